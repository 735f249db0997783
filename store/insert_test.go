package store

import (
	"strings"
	"testing"
)

func TestValidIdent(t *testing.T) {
	f := func(s string, want bool) {
		t.Helper()
		if got := ValidIdent(s); got != want {
			t.Errorf("ValidIdent(%q) = %v, want %v", s, got, want)
		}
	}
	f("logs", true)
	f("_tmp", true)
	f("Logs_2", true)
	f(strings.Repeat("a", 128), true)
	f(strings.Repeat("a", 129), false)
	f("", false)
	f("2logs", false)
	f("logs; DROP TABLE x", false)
	f("db.logs", false)
	f("body`", false)
	f("naïve", false)

	if err := CheckDatabase("logmart"); err != nil {
		t.Errorf("CheckDatabase(logmart) = %v", err)
	}
	want := `store.database "log-mart" must be a letter or _, then letters, digits and _, at most 128 in all`
	if err := CheckDatabase("log-mart"); err == nil || err.Error() != want {
		t.Errorf("CheckDatabase(log-mart) = %v, want %q", err, want)
	}
}

func TestDedupToken(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got := DedupToken(in)
		if got != want {
			t.Errorf("DedupToken(%q) = %q, want %q", in, got, want)
		}
		if got != "" && !tokenRe.MatchString(got) {
			t.Errorf("DedupToken(%q) = %q is outside the token alphabet", in, got)
		}
	}
	// The tokens ingest writes today must not change: a batch retried
	// across an upgrade would be written twice.
	f("app-logs.3.100-199.logs", "app-logs.3.100-199.logs")
	f("a_b:c/d.0.0-0.dead_letters", "a_b:c/d.0.0-0.dead_letters")
	f("logs topic'x.1.2-3.logs", "logs_topic_x.1.2-3.logs")
	f("naïve.0.1-1.logs", "na__ve.0.1-1.logs") // each byte of a multi-byte rune
	f("", "")
}

func TestCheckInsert(t *testing.T) {
	good := func() *Block {
		return &Block{Cols: []BlockColumn{
			Strings("body", "a", "b"),
			&UInt64Column{Name: "n", Data: []uint64{1, 2}},
		}}
	}
	f := func(table string, b *Block, token, want string) {
		t.Helper()
		write, err := CheckInsert(table, b, token)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want || write != (want == "" && b.Rows() > 0) {
			t.Errorf("CheckInsert(%q, …, %q) = %v, %q; want %q", table, token, write, got, want)
		}
	}
	f("logs", good(), "", "")
	f("logs", good(), "app-logs.0.1-2.logs", "")
	f("logs", good(), strings.Repeat("t", 256), "")

	ragged := good()
	ragged.Cols[1].(*UInt64Column).Data = []uint64{1}
	f("logs", ragged, "", `cannot insert into logs: column "n" has 1 rows, want 2`)
	f("logs; DROP TABLE x", good(), "", `cannot insert into "logs; DROP TABLE x": not a table name`)
	f("logs", good(), "batch 1", `cannot insert into logs: deduplication token "batch 1" has characters outside [A-Za-z0-9_.:/-]`)
	f("logs", good(), "a'b", `cannot insert into logs: deduplication token "a'b" has characters outside [A-Za-z0-9_.:/-]`)
	long := strings.Repeat("t", 257)
	f("logs", good(), long, `cannot insert into logs: deduplication token "`+long+`" is longer than 256 bytes`)
	badCol := good()
	badCol.Cols[0].(*StringColumn).Name = "body`, `x"
	f("logs", badCol, "", "cannot insert into logs: \"body`, `x\" is not a column name")

	// An empty block writes nothing, whatever its table and token.
	f("logs; DROP TABLE x", &Block{}, "a'b", "")
	f("logs", &Block{Cols: []BlockColumn{Strings("body")}}, "", "")
}

func TestInsertStatement(t *testing.T) {
	got := InsertStatement("logs", []string{"ts", "body", "attributes"})
	if want := "INSERT INTO logs (`ts`, `body`, `attributes`)"; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
}

func TestInsertSettings(t *testing.T) {
	f := func(token string, deferIndexes bool, want string) {
		t.Helper()
		var parts []string
		for _, s := range InsertSettings(token, deferIndexes) {
			parts = append(parts, s.Name+" = "+s.Render())
		}
		if got := strings.Join(parts, ", "); got != want {
			t.Errorf("InsertSettings(%q, %v) = %s, want %s", token, deferIndexes, got, want)
		}
	}
	f("", false, "insert_deduplicate = 0")
	f("", true, "insert_deduplicate = 0, materialize_skip_indexes_on_insert = 0")
	f("t.0.1-2.logs", true, "insert_deduplicate = 1, insert_deduplication_token = 't.0.1-2.logs', materialize_skip_indexes_on_insert = 0")
}
