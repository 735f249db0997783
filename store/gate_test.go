package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
)

// blockStore runs every statement until its release channel closes.
type blockStore struct {
	Store
	started chan string
	release chan struct{}
}

func (b blockStore) Query(ctx context.Context, q Query) (*Result, error) {
	b.started <- q.Settings.Pool
	<-b.release
	return &Result{}, nil
}

// Regression: one pool of engine sessions served every role, so eight
// editor scans made a 25 ms viewer template wait 25.9 s while /readyz said
// ready.
func TestPoolsHaveTheirOwnSlots(t *testing.T) {
	b := blockStore{started: make(chan string, 16), release: make(chan struct{})}
	g := NewGated(b, map[string]int{"editor": 2, "viewer": 1}, 50*time.Millisecond)
	ctx := context.Background()
	run := func(pool string) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := g.Query(ctx, Query{Settings: Settings{Pool: pool}})
			done <- err
		}()
		return done
	}
	ed1, ed2 := run("editor"), run("editor")
	<-b.started
	<-b.started
	// The editors' slots are full; a viewer still starts at once.
	vi := run("viewer")
	if p := <-b.started; p != "viewer" {
		t.Fatalf("started %q, want the viewer", p)
	}
	// A third editor waits, readiness says so, and past the queue timeout
	// it is refused as unavailable (503).
	ed3 := run("editor")
	deadline := time.Now().Add(5 * time.Second)
	for g.pools["editor"].waiting.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := g.Saturation(ctx); err == nil || !strings.Contains(err.Error(), "editor: 2 of 2 busy, 1 waiting") {
		t.Fatalf("readiness while an editor waits: %v", err)
	}
	if err := <-ed3; fault.KindOf(err) != fault.Unavailable || !strings.Contains(err.Error(), "all 2 query slots of editor stayed busy") {
		t.Fatalf("err = %v", err)
	}
	if err := g.Saturation(ctx); err != nil {
		t.Fatalf("readiness with no one waiting: %v", err)
	}
	// Statements with no pool are not gated.
	free := run("")
	<-b.started
	close(b.release)
	for _, c := range []chan error{ed1, ed2, vi, free} {
		if err := <-c; err != nil {
			t.Fatal(err)
		}
	}
}
