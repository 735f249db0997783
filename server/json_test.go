package server

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/store"
)

// The streaming encoder writes the bytes encoding/json would, for values
// with rows and for every other value.
func TestStreamJSONMatchesEncodingJSON(t *testing.T) {
	e := echo.New()
	f := func(v any, streamed bool) {
		t.Helper()
		if _, _, _, ok := splitRows(v); ok != streamed {
			t.Fatalf("%T: streamed %v, want %v", v, ok, streamed)
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(v); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if err := (streamJSON{}).Serialize(e.NewContext(httptest.NewRequest("GET", "/", nil), rec), v, ""); err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != want.String() {
			t.Fatalf("%T:\n got  %.300s\n want %.300s", v, got, want.String())
		}
	}
	rows := [][]any{{json.Number("1"), "a<b>&\"c\"", nil}, {json.Number("2.5"), "[[\"x\"]]", []any{"y"}}, {}}
	res := resultJSON{Columns: []store.Column{{Name: "n", Type: "UInt8"}}, Rows: rows, Stats: statsJSON{RowsRead: 3}}
	f(res, true)
	f(resultJSON{Rows: [][]any{}}, true)
	f(resultJSON{}, false) // nil rows are null
	run := templateRunJSON{resultJSON: res, SQL: "SELECT 1", Params: map[string]any{"rows": nil, "q": `[["x"]]`}, From: time.Unix(0, 0).UTC()}
	f(run, true)
	f(&run, true)
	f(map[string]any{"rows": rows}, false)
	f(store.Result{Rows: rows}, false) // no "rows" tag: encoded as Rows
	big := make([][]any, 20000)
	for i := range big {
		big[i] = []any{json.Number("12345"), strings.Repeat("v", 20)}
	}
	f(resultJSON{Rows: big}, true)
}
