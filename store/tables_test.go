package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestTableListCachesUntilReset(t *testing.T) {
	var l TableList
	calls := 0
	fetch := func(context.Context) ([]string, error) {
		calls++
		return []string{"events", "logs"}, nil
	}
	ctx := context.Background()
	for range 3 {
		names, err := l.Get(ctx, fetch)
		if err != nil || !reflect.DeepEqual(names, []string{"events", "logs"}) {
			t.Fatalf("Get = %v, %v", names, err)
		}
	}
	if calls != 1 {
		t.Fatalf("fetched %d times, want once", calls)
	}
	l.Reset()
	boom := errors.New("boom")
	if _, err := l.Get(ctx, func(context.Context) ([]string, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("Get after Reset = %v, want the fetch's error", err)
	}
	// A failed fetch is not cached.
	if _, err := l.Get(ctx, fetch); err != nil || calls != 2 {
		t.Fatalf("Get after a failed fetch = %v, %d fetches", err, calls)
	}
}
