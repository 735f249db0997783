package bench

import (
	"fmt"

	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/internal/demo"
)

// benchBudgets are n overlapping keep budgets, as a platform team writes
// them: one over everything, one per level, then one per service.
func benchBudgets(n int) (*budgets.Accountant, error) {
	scopes := []string{`true`, `level == "error"`, `level == "warn"`, `level == "info"`}
	for _, s := range demo.Services() {
		scopes = append(scopes, fmt.Sprintf("service == %q", s))
	}
	var bs []*budgets.Budget
	for i := range n {
		bs = append(bs, &budgets.Budget{ID: fmt.Sprintf("b%02d", i), Owner: "bench", Scope: scopes[i%len(scopes)],
			Capacity: "100TB", Period: budgets.PeriodDaily, Action: budgets.ActionKeep})
	}
	return budgets.NewAccountant(bs)
}
