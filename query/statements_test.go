package query

import (
	"context"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// TestStatementProgressAndCancel starts a statement that would run for
// minutes under a chosen id, follows its progress, and cancels it in the
// engine: it leaves the process list and its caller gets an error. Another
// owner using the same id neither sees nor stops it.
func TestStatementProgressAndCancel(t *testing.T) {
	ctx := context.Background()
	sts := NewStatements(testStore)
	const id = "progress-test-0001"
	done := make(chan error, 1)
	go func() {
		_, err := testStore.Query(ctx, store.Query{
			SQL:      "SELECT count() FROM numbers_mt(1000000000000) WHERE sipHash64(number) = 0",
			Settings: store.Settings{ReadOnly: true, Owner: "alice", Statement: id},
		})
		done <- err
	}()

	var p Progress
	for range 200 {
		var err error
		if p, err = sts.Progress(ctx, "alice", id); err != nil {
			t.Fatal(err)
		}
		if p.Running && p.RowsRead > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !p.Running || p.RowsRead == 0 || p.BytesRead == 0 {
		t.Fatalf("progress of the running statement = %+v, want running with rows and bytes read", p)
	}

	if other, err := sts.Progress(ctx, "bob", id); err != nil || other.Running {
		t.Fatalf("bob's progress of alice's statement = %+v, %v; want not running", other, err)
	}
	if stopped, err := sts.Cancel(ctx, "bob", id); err != nil || stopped {
		t.Fatalf("bob cancelling alice's statement = %t, %v; want false", stopped, err)
	}

	stopped, err := sts.Cancel(ctx, "alice", id)
	if err != nil || !stopped {
		t.Fatalf("Cancel = %t, %v; want true", stopped, err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the cancelled statement returned a result")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cancelled statement is still running after 30 s")
	}
	if p, err := sts.Progress(ctx, "alice", id); err != nil || p.Running {
		t.Fatalf("progress after cancel = %+v, %v; want not running", p, err)
	}
	if stopped, err := sts.Cancel(ctx, "alice", id); err != nil || stopped {
		t.Fatalf("cancelling a finished statement = %t, %v; want false", stopped, err)
	}
}

func TestStatementIDChecked(t *testing.T) {
	sts := NewStatements(testStore)
	for _, id := range []string{"", "short", "has space 123", "quote'12345", "x-" + string(make([]byte, 70))} {
		_, err := sts.Progress(context.Background(), "alice", id)
		if fault.KindOf(err) != fault.BadInput {
			t.Errorf("Progress(%q) = %v, want bad input", id, err)
		}
	}
}
