package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/store"
)

// budgetDecider gives ingest the budgets' accountant through the
// interface ingest owns.
type budgetDecider struct{ a *budgets.Accountant }

func (d budgetDecider) Decide(m ingest.BudgetMeta, size int, at time.Time) ingest.BudgetAction {
	dec, err := d.a.Account(budgets.Meta{Stream: m.Stream, Topic: m.Topic, Source: m.Source, Service: m.Service,
		Host: m.Host, Tenant: m.Tenant, Level: m.Level}, size, at)
	if err != nil {
		return ingest.BudgetStore
	}
	switch dec.Action {
	case budgets.ActionStop:
		return ingest.BudgetDrop
	case budgets.ActionArchiveOnly:
		return ingest.BudgetArchiveOnly
	}
	return ingest.BudgetStore
}

// startBudgets loads the budgets of dir, has ingest count every record
// against them, and keeps their usage in ClickHouse; the book serves the
// API. No budgets: nothing.
func startBudgets(ctx context.Context, cfg budgets.Config, st store.Store, ing *ingest.Ingester, replica string, log *slog.Logger) (*budgets.Keeper, *budgets.Book, error) {
	fs, err := dashboards.ReadItems(budgets.Kind(), cfg.Dir)
	if err != nil {
		return nil, nil, fmt.Errorf("budgets in %s are not usable (fix them, or run logmart budgets lint):\n%w", cfg.Dir, err)
	}
	if len(fs) == 0 {
		return nil, nil, nil
	}
	bs := make([]*budgets.Budget, len(fs))
	for i, f := range fs {
		bs[i] = f.Item
	}
	a, err := budgets.NewAccountant(bs)
	if err != nil {
		return nil, nil, err
	}
	k := budgets.NewKeeper(st, a, replica, cfg.SyncEvery, log)
	// The usage every replica persisted so far counts from the start.
	if err := k.Sync(ctx); err != nil {
		return nil, nil, err
	}
	ing.UseBudgets(budgetDecider{a})
	log.Info("ingest budgets in force", "dir", cfg.Dir, "budgets", len(bs))
	return k, budgets.NewBook(st, bs), nil
}
