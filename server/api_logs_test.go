package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/store"
)

// hostileBodies are log bodies an export must carry unchanged.
var hostileBodies = []string{
	`plain`,
	`comma, inside`,
	`"quoted" and ""doubled""`,
	"two\nlines, and a \"quote\"",
	"crlf\r\nline",
	`=HYPERLINK("http://x")`,
	"tab\there",
}

func insertExportLines(t *testing.T, service string, at time.Time, bodies []string) {
	t.Helper()
	var vals []string
	for i, b := range bodies {
		vals = append(vals, fmt.Sprintf("(%s, 'test', %s, 'h1', 'info', %s, map('k', %s), 'logs', 0, %d)",
			store.Quote(at.Add(time.Duration(i)*time.Millisecond).Format("2006-01-02 15:04:05.000")), store.Quote(service),
			store.Quote(b), store.Quote(b), i))
	}
	err := testStore.Exec(context.Background(), store.Query{SQL: "INSERT INTO logs (timestamp, stream, service, host, level, body, attributes, kafka_topic, kafka_partition, kafka_offset) SETTINGS insert_deduplicate = 0 VALUES " + strings.Join(vals, ", ")})
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url, token string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestExportCSVRoundTrips: commas, quotes, newlines and formula-looking
// text come back from a CSV parser exactly, times carry the zone asked
// for, and JSON and NDJSON carry the same lines.
func TestExportCSVRoundTrips(t *testing.T) {
	ts := newTestServer(t, true)
	at := time.Now().UTC().Add(-3 * time.Minute).Truncate(time.Second)
	insertExportLines(t, "export-rt", at, hostileBodies)
	plain := ts.URL + "/api/v1/logs/export?from=now-10m&service=export-rt"
	base := plain + "&tz=America/New_York"

	resp, body := get(t, base+"&format=csv", viewerTok)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export = %d %v: %s", resp.StatusCode, resp.Header, body)
	}
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("the export does not parse as CSV: %v\n%s", err, body)
	}
	col := map[string]int{}
	for i, n := range recs[0] {
		col[n] = i
	}
	if len(recs) != len(hostileBodies)+1 {
		t.Fatalf("%d records, want a header and %d lines", len(recs), len(hostileBodies))
	}
	ny, _ := time.LoadLocation("America/New_York")
	for i, rec := range recs[1:] {
		want := hostileBodies[len(hostileBodies)-1-i] // newest first
		// encoding/csv reads a quoted \r\n as \n, as RFC 4180 readers do.
		if got := rec[col["body"]]; got != strings.ReplaceAll(want, "\r\n", "\n") {
			t.Errorf("line %d body = %q, want %q", i, got, want)
		}
		if got := rec[col["attributes"]]; !strings.HasPrefix(got, `{"k":`) {
			t.Errorf("line %d attributes = %q, want a JSON object", i, got)
		}
		tm, err := time.Parse(time.RFC3339Nano, rec[col["timestamp"]])
		if err != nil {
			t.Fatalf("timestamp %q: %v", rec[col["timestamp"]], err)
		}
		if _, off := tm.Zone(); func() int { _, o := tm.In(ny).Zone(); return o }() != off {
			t.Errorf("timestamp %q is not in New York's offset", rec[col["timestamp"]])
		}
		if !tm.Equal(at.Add(time.Duration(len(hostileBodies)-1-i) * time.Millisecond)) {
			t.Errorf("timestamp %q, want %s", rec[col["timestamp"]], at.Add(time.Duration(len(hostileBodies)-1-i)*time.Millisecond))
		}
	}

	_, body = get(t, base+"&format=json", viewerTok)
	var arr []map[string]any
	if err := json.Unmarshal(body, &arr); err != nil || len(arr) != len(hostileBodies) || arr[0]["body"] != hostileBodies[len(hostileBodies)-1] {
		t.Fatalf("JSON export = %v (%v)\n%s", arr, err, body)
	}
	_, body = get(t, base+"&format=ndjson", viewerTok)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != len(hostileBodies) {
		t.Fatalf("NDJSON export has %d lines, want %d:\n%s", len(lines), len(hostileBodies), body)
	}

	for _, c := range []struct{ q, want string }{
		{"&format=xlsx", `format \"xlsx\"`},
		{"&tz=Mars/Olympus", `tz \"Mars/Olympus\"`},
		{"&tz=" + url.QueryEscape("../../etc/passwd"), "tz"},
		{"&level=bogus", `bogus`},
	} {
		resp, body := get(t, plain+c.q, viewerTok)
		if resp.StatusCode != 400 || !strings.Contains(string(body), c.want) {
			t.Errorf("%s = %d %s, want 400 naming %s", c.q, resp.StatusCode, body, c.want)
		}
	}
}

// TestExportPagesPastOneStatement: an export longer than one page comes
// whole, each line once.
func TestExportPagesPastOneStatement(t *testing.T) {
	ts := newTestServer(t, true)
	at := time.Now().UTC().Add(-4 * time.Minute).Truncate(time.Second)
	bodies := make([]string, exportPage+7)
	for i := range bodies {
		bodies[i] = fmt.Sprintf("line %d", i)
	}
	insertExportLines(t, "export-pages", at, bodies)
	resp, body := get(t, ts.URL+"/api/v1/logs/export?from=now-10m&service=export-pages&format=csv", viewerTok)
	if resp.StatusCode != 200 {
		t.Fatalf("export = %d %s", resp.StatusCode, body)
	}
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		seen[r[4]] = true
	}
	if len(recs) != len(bodies)+1 || len(seen) != len(bodies) {
		t.Fatalf("%d records, %d distinct bodies; want %d", len(recs)-1, len(seen), len(bodies))
	}
}

// TestSQLExportAndStatementCancel: an editor's SQL answers as CSV when
// asked; a long statement started with an id shows progress to its owner
// only and is stopped in the engine by DELETE.
func TestSQLExportAndStatementCancel(t *testing.T) {
	ts := newTestServer(t, true)
	code, out := call(t, ts, "POST", "/api/v1/sql?format=csv", editorTok, `{"sql":"SELECT 'a,b' AS x, 2 AS n"}`)
	if code != 200 || out["raw"] != "x,n\n\"a,b\",2\n" {
		t.Fatalf("SQL as CSV = %d %v", code, out)
	}

	const id = "cancel-from-http-01"
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", ts.URL+"/api/v1/sql", strings.NewReader(`{"sql":"SELECT count() FROM numbers_mt(9000000000) WHERE sipHash64(number) = 0"}`))
		req.Header.Set("Authorization", "Bearer "+editorTok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(StatementHeader, id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	var running bool
	for range 200 {
		_, p := call(t, ts, "GET", "/api/v1/statements/"+id, editorTok, "")
		if running = p["running"] == true && p["rows_read"].(float64) > 0; running {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !running {
		t.Fatal("the statement never showed as running with rows read")
	}
	if _, p := call(t, ts, "GET", "/api/v1/statements/"+id, viewerTok, ""); p["running"] != false {
		t.Fatalf("another caller sees the statement: %v", p)
	}
	if code, p := call(t, ts, "DELETE", "/api/v1/statements/"+id, viewerTok, ""); code != 200 || p["cancelled"] != false {
		t.Fatalf("another caller's cancel = %d %v, want cancelled false", code, p)
	}
	if code, p := call(t, ts, "DELETE", "/api/v1/statements/"+id, editorTok, ""); code != 200 || p["cancelled"] != true {
		t.Fatalf("cancel = %d %v", code, p)
	}
	select {
	case code := <-done:
		if code == 200 {
			t.Fatal("the cancelled statement answered 200")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cancelled statement still runs after 30 s")
	}
	if _, p := call(t, ts, "GET", "/api/v1/statements/"+id, editorTok, ""); p["running"] != false {
		t.Fatalf("after cancel: %v", p)
	}
	code, out = call(t, ts, "GET", "/api/v1/statements/bad'id", editorTok, "")
	if code != 400 {
		t.Fatalf("a malformed id = %d %v", code, out)
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/sql", strings.NewReader(`{"sql":"SELECT 1"}`))
	req.Header.Set("Authorization", "Bearer "+editorTok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(StatementHeader, "x y")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
		t.Fatalf("a malformed statement header = %v %v, want 400", resp, err)
	}
}

// TestLogToolsOverHTTP: attribute filters in the query string, the
// histogram, facets, context and a tail answer, and a forged cursor is a
// 400.
func TestLogToolsOverHTTP(t *testing.T) {
	ts := newTestServer(t, true)
	at := time.Now().UTC().Add(-2 * time.Minute).Truncate(time.Second)
	insertExportLines(t, "tools-http", at, []string{"a", "b", "c"})
	q := "from=now-10m&service=tools-http"
	code, out := call(t, ts, "GET", "/api/v1/logs?"+q+"&attr.k=b", viewerTok, "")
	if code != 200 || len(out["rows"].([]any)) != 1 {
		t.Fatalf("attribute filter = %d %v", code, out)
	}
	code, out = call(t, ts, "GET", "/api/v1/logs?"+q+"&limit=2", viewerTok, "")
	if code != 200 || out["next"] == nil {
		t.Fatalf("a full page has no next: %d %v", code, out)
	}
	code, out = call(t, ts, "GET", "/api/v1/logs?"+q+"&limit=2&cursor="+out["next"].(string), viewerTok, "")
	if code != 200 || len(out["rows"].([]any)) != 1 || out["next"] != nil {
		t.Fatalf("second page = %d %v", code, out)
	}
	code, out = call(t, ts, "GET", "/api/v1/logs/histogram?"+q, viewerTok, "")
	if code != 200 || out["step_ms"] == nil || len(out["buckets"].([]any)) == 0 {
		t.Fatalf("histogram = %d %v", code, out)
	}
	code, out = call(t, ts, "GET", "/api/v1/logs/facets?"+q, viewerTok, "")
	if code != 200 || out["sampled"].(float64) != 3 {
		t.Fatalf("facets = %d %v", code, out)
	}
	code, out = call(t, ts, "GET", "/api/v1/logs/context?service=tools-http&host=h1&stream=test&lines=5&at="+url.QueryEscape(at.Format(time.RFC3339Nano)), viewerTok, "")
	if code != 200 || len(out["rows"].([]any)) != 3 {
		t.Fatalf("context = %d %v", code, out)
	}
	code, out = call(t, ts, "GET", "/api/v1/logs/tail?service=tools-http", viewerTok, "")
	if code != 200 || out["next"] == nil {
		t.Fatalf("tail = %d %v", code, out)
	}
	code, out = call(t, ts, "GET", "/api/v1/logs?"+q+"&cursor=forged", viewerTok, "")
	if code != 400 || !strings.Contains(fmt.Sprint(out), "cursor") {
		t.Fatalf("forged cursor = %d %v", code, out)
	}
	code, out = call(t, ts, "GET", "/api/v1/logs/context?at=yesterday", viewerTok, "")
	if code != 400 || !strings.Contains(fmt.Sprint(out), `at "yesterday"`) {
		t.Fatalf("bad at = %d %v", code, out)
	}
}
