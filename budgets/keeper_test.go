package budgets

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/storetest"
)

// TestTwoReplicasOvershootWithinTheBound: two replicas, each with its own
// accountant and keeper over one database, take a stop budget's records
// at the same time. Together they store at least the capacity and at most
// the capacity plus what they receive in one sync interval.
func TestTwoReplicasOvershootWithinTheBound(t *testing.T) {
	st := storetest.Database(t)
	b := mustBudget(t, "id: edge\nowner: sre\nscope: \"true\"\ncapacity: 2000 events\nperiod: daily\naction: stop\n")
	ctx := context.Background()
	const perTick, every = 40, 50 * time.Millisecond // records each replica takes between two of its syncs
	var wg sync.WaitGroup
	stored := make([]int, 2)
	for r := range 2 {
		a, err := NewAccountant([]*Budget{b})
		if err != nil {
			t.Fatal(err)
		}
		k := NewKeeper(st, a, "replica", every, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 60 {
				for range perTick {
					if d, _ := a.Account(Meta{}, 100, time.Now()); d.Outcome == OutcomeStored {
						stored[r]++
					}
				}
				if err := k.Sync(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	total := stored[0] + stored[1]
	// Between two syncs of one replica the other may take one tick of its
	// own records (and one of a sync it was running): the bound.
	if bound := 2000 + 2*perTick; total < 2000 || total > bound {
		t.Fatalf("stored %d (%v): outside [2000, %d]", total, stored, bound)
	}
	t.Logf("two replicas stored %d records of a 2000-record stop budget (%v)", total, stored)
	res, err := st.Query(ctx, store.Query{SQL: "SELECT outcome, sum(events) FROM budget_usage GROUP BY outcome ORDER BY outcome"})
	if err != nil || len(res.Rows) != 2 {
		t.Fatalf("%v %v", res, err)
	}
	if got := store.CellUint64(res.Rows[1][1]); got != uint64(total) {
		t.Fatalf("budget_usage has %d stored, the replicas stored %d", got, total)
	}
}
