package chdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logmart/logmart/store"
)

// poison fails during execution, after the engine has begun writing output
// (CANNOT_PARSE_TEXT on the 200,000th row).
const poison = "SELECT number AS secret, toUInt64(if(number < 200000, toString(number), 'boom')) AS v FROM numbers(300000)"

// Regression: a statement that failed after its output had begun left that
// output in the session; the session went back to the pool (the error was
// "bad input") and the next statement on it answered with the failed one's
// rows: SELECT 42 AS answer came back as 196,227 rows of secret, v.
func TestFailedStatementNeverAnswersTheNext(t *testing.T) {
	ctx := context.Background()
	for _, s := range []store.Settings{{}, {ReadOnly: true}} {
		for i := range 3 {
			if _, err := testEngine.Query(ctx, store.Query{SQL: poison, Settings: s}); err == nil {
				t.Fatalf("settings %+v: the poison statement succeeded", s)
			}
			res, err := testEngine.Query(ctx, store.Query{SQL: fmt.Sprintf("SELECT %d AS answer", 40+i), Settings: s})
			if err != nil {
				t.Fatalf("settings %+v: %v", s, err)
			}
			if len(res.Columns) != 1 || res.Columns[0].Name != "answer" || len(res.Rows) != 1 || res.Rows[0][0] != json.Number(fmt.Sprint(40+i)) {
				t.Fatalf("settings %+v: SELECT %d AS answer came back with columns %v and %d rows", s, 40+i, res.Columns, len(res.Rows))
			}
		}
	}
}

// TestConcurrentAnswersBelongToTheirStatement runs many callers at once, on
// both pools, mixing statements that fail mid-output, that fail at parse and
// that succeed, and checks every answer against what its own statement must
// return.
func TestConcurrentAnswersBelongToTheirStatement(t *testing.T) {
	ctx := context.Background()
	const callers, rounds = 12, 25
	var wg sync.WaitGroup
	errs := make(chan error, callers*rounds)
	for w := range callers {
		wg.Go(func() {
			s := store.Settings{}
			if w%2 == 1 {
				s = store.Settings{ReadOnly: true, MaxResultRows: uint64(1_000_000 + w)}
			}
			for r := range rounds {
				switch (w + r) % 4 {
				case 0:
					if _, err := testEngine.Query(ctx, store.Query{SQL: poison, Settings: s}); err == nil {
						errs <- fmt.Errorf("caller %d round %d: poison succeeded", w, r)
					}
				case 1:
					if _, err := testEngine.Query(ctx, store.Query{SQL: "SELECT throwIf(number = 5000, 'late') FROM numbers(10000)", Settings: s}); err == nil {
						errs <- fmt.Errorf("caller %d round %d: throwIf succeeded", w, r)
					}
				default:
					want := fmt.Sprintf("w%d-r%d", w, r)
					n := 1 + (w*rounds+r)%7
					res, err := testEngine.Query(ctx, store.Query{
						SQL:      "SELECT {tag:String} AS tag, number AS n FROM numbers({n:UInt64})",
						Params:   map[string]string{"tag": want, "n": fmt.Sprint(n)},
						Settings: s,
					})
					if err != nil {
						errs <- fmt.Errorf("caller %d round %d: %v", w, r, err)
						continue
					}
					if len(res.Columns) != 2 || res.Columns[0].Name != "tag" || len(res.Rows) != n {
						errs <- fmt.Errorf("caller %d round %d: got columns %v and %d rows, want tag, n and %d rows", w, r, res.Columns, len(res.Rows), n)
						continue
					}
					for i, row := range res.Rows {
						if row[0] != want || row[1] != json.Number(fmt.Sprint(i)) {
							errs <- fmt.Errorf("caller %d round %d: row %d is %v, want [%s %d]", w, r, i, row, want, i)
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n < 10 {
			t.Error(err)
		}
		n++
	}
	if n > 0 {
		t.Fatalf("%d answers did not belong to their statement", n)
	}
}

// Regression: the request context never reached the engine, so a query whose
// caller went away ran on to its own end (28 s for editor scans abandoned
// after 1 s) and held its session all that time.
func TestAbandonedStatementIsKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	slow := "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 7"
	_, err := testEngine.Query(ctx, store.Query{SQL: slow, Settings: store.Settings{ReadOnly: true, Owner: "editor-1"}})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the statement stopped with the context's deadline", err)
	}
	// The engine no longer runs it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := testEngine.Query(context.Background(), store.Query{SQL: "SELECT count() FROM system.processes WHERE query LIKE '%sipHash64(number) = 7%' AND query NOT LIKE '%system.processes%'"})
		must(t, err)
		if res.Rows[0][0] == json.Number("0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the abandoned statement still runs: %v", res.Rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Regression: system.processes showed every caller's statements (text,
// parameters) to any reader.
func TestProcessesShowOnlyTheOwnersStatements(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	go func() {
		close(started)
		testEngine.Query(ctx, store.Query{SQL: "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 11", Settings: store.Settings{ReadOnly: true, Owner: "alice"}})
	}()
	<-started
	see := func(owner string) int {
		s := store.Settings{ReadOnly: true, Owner: owner, TableFilters: map[string]string{store.ProcessesTable: store.OwnerFilter(owner)}}
		for range 50 {
			res, err := testEngine.Query(context.Background(), store.Query{SQL: "SELECT query FROM system.processes WHERE query LIKE '%sipHash64(number) = 11%'", Settings: s})
			must(t, err)
			n := 0
			for _, r := range res.Rows {
				if !strings.Contains(r[0].(string), "system.processes") {
					n++
				}
			}
			if n > 0 || owner != "alice" {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
		return 0
	}
	if n := see("alice"); n != 1 {
		t.Fatalf("alice sees %d of her statements, want 1", n)
	}
	if n := see("mallory"); n != 0 {
		t.Fatalf("mallory sees %d of alice's statements", n)
	}
	// A name that tries to close the comment or forge a prefix gains nothing.
	if n := see("alice */ "); n != 0 {
		t.Fatalf("a forged owner sees %d of alice's statements", n)
	}
}

// Regression: a scope that named logs left events, metrics and every other
// table readable in full.
func TestDenyUnlistedReadsOnlyNamedTables(t *testing.T) {
	ctx := context.Background()
	must(t, testEngine.Exec(ctx, store.Query{SQL: "CREATE TABLE IF NOT EXISTS scope_a (s String) ENGINE = MergeTree ORDER BY s"}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "CREATE TABLE IF NOT EXISTS scope_b (s String) ENGINE = MergeTree ORDER BY s"}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE scope_a"}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "TRUNCATE TABLE scope_b"}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "INSERT INTO scope_a VALUES ('payments'), ('search')"}))
	must(t, testEngine.Exec(ctx, store.Query{SQL: "INSERT INTO scope_b VALUES ('secret')"}))
	testEngine.tableList.Reset()
	s := store.Settings{ReadOnly: true, DenyUnlisted: true, TableFilters: map[string]string{"scope_a": "s = 'payments'"}}
	count := func(sql string) string {
		res, err := testEngine.Query(ctx, store.Query{SQL: sql, Settings: s})
		must(t, err)
		return fmt.Sprint(res.Rows[0][0])
	}
	if got := count("SELECT count() FROM scope_a"); got != "1" {
		t.Fatalf("scope_a: %s rows, want the 1 in scope", got)
	}
	if got := count("SELECT count() FROM scope_b"); got != "0" {
		t.Fatalf("scope_b, which the scope does not name: %s rows, want 0", got)
	}
	if got := count("SELECT count() FROM scope_a AS a, scope_b AS b"); got != "0" {
		t.Fatalf("a join through scope_b: %s rows, want 0", got)
	}
}
