// Package wire holds the joints between logmart's capabilities that both
// the server (cmd/logmart) and the benchmarks (internal/bench) make, so
// that each is made one way.
package wire

import (
	"time"

	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/ingest"
)

// BudgetDecider gives ingest an accountant through the interface ingest
// owns (ingest.Budgets): an exceeded stop budget drops the record, an
// exceeded archive-only budget archives it without a row.
type BudgetDecider struct{ A *budgets.Accountant }

// Decide counts the record and says what to do with it. A scope that
// fails on a record stores it: a budget never loses data by mistake.
func (d BudgetDecider) Decide(m ingest.BudgetMeta, size int, at time.Time) ingest.BudgetAction {
	dec, err := d.A.Account(budgets.Meta(m), size, at)
	switch {
	case err != nil:
		return ingest.BudgetStore
	case dec.Action == budgets.ActionStop:
		return ingest.BudgetDrop
	case dec.Action == budgets.ActionArchiveOnly:
		return ingest.BudgetArchiveOnly
	}
	return ingest.BudgetStore
}
