package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/logmart/logmart/internal/apiclient"
)

// Issue 13, defect 6: `logmart sql` printed raw tabs and newlines inside
// values, NULL and the empty string alike, and no header, so its output did
// not survive cut, awk or a spreadsheet. Each format is pinned here over
// values that broke it.
func TestWriteResult(t *testing.T) {
	raw := `{"columns":[{"name":"id","type":"UInt8"},{"name":"body","type":"Nullable(String)"},{"name":"tags","type":"Array(String)"}],` +
		`"rows":[[1,"a\tb\nc\\d",["x","y"]],[2,"",[]],[3,null,[]],[4,"say \"hi\", then go",[]]],"stats":{}}`
	var res apiclient.Result
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		t.Fatal(err)
	}
	res.Raw = json.RawMessage(raw)
	f := func(format string, header bool, want string) {
		t.Helper()
		var b bytes.Buffer
		if err := writeResult(&b, &res, format, header); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Fatalf("--format %s --header=%t:\n got  %q\n want %q", format, header, b.String(), want)
		}
	}
	f("tsv", false, "1\ta\\tb\\nc\\\\d\t[\"x\",\"y\"]\n2\t\t[]\n3\t\\N\t[]\n4\tsay \"hi\", then go\t[]\n")
	f("tsv", true, "id\tbody\ttags\n1\ta\\tb\\nc\\\\d\t[\"x\",\"y\"]\n2\t\t[]\n3\t\\N\t[]\n4\tsay \"hi\", then go\t[]\n")
	f("csv", true, "id,body,tags\n1,\"a\tb\nc\\d\",\"[\"\"x\"\",\"\"y\"\"]\"\n2,,[]\n3,\\N,[]\n4,\"say \"\"hi\"\", then go\",[]\n")
	f("json", false, raw+"\n")
	f("table", false, ""+
		"id  body               tags\n"+
		"1   a\\tb\\nc\\\\d         [\"x\",\"y\"]\n"+
		"2                      []\n"+
		"3   NULL               []\n"+
		"4   say \"hi\", then go  []\n")

	// The CSV reads back to the values the server sent.
	var b bytes.Buffer
	if err := writeResult(&b, &res, "csv", true); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 5 || recs[1][1] != "a\tb\nc\\d" || recs[4][1] != `say "hi", then go` {
		t.Fatalf("csv does not read back: %q %v", recs, err)
	}
	// Every tsv row is one line with one field per column.
	b.Reset()
	if err := writeResult(&b, &res, "tsv", false); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if n := strings.Count(line, "\t"); n != 2 {
			t.Fatalf("tsv line %q has %d tabs, want 2", line, n)
		}
	}
}

func TestCheckOutputFormat(t *testing.T) {
	for _, ok := range outputFormats {
		if err := checkOutputFormat(ok); err != nil {
			t.Fatal(err)
		}
	}
	want := `--format "xml" must be tsv, csv, json or table`
	if err := checkOutputFormat("xml"); err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}
