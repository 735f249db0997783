package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/logmart/logmart/alerts"
	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/internal/wire"
	"github.com/logmart/logmart/store"
)

// startBudgets loads the budgets of dir and of the budgets table, checked
// against refs, has ingest count every record against them, and keeps
// their usage in ClickHouse; the book serves the API and follows changes
// to the budgets (OnChange).
func startBudgets(ctx context.Context, cfg budgets.Config, st store.Store, ing *ingest.Ingester, replica string, refs *budgets.Refs, log *slog.Logger) (*budgets.Keeper, *budgets.Book, error) {
	lib := budgets.Library(cfg.Dir, st, refs, log)
	if err := lib.Load(ctx); err != nil {
		return nil, nil, fmt.Errorf("budgets in %s are not usable (fix them, or run logmart budgets lint):\n%w", cfg.Dir, err)
	}
	book := budgets.NewBook(st, lib, log)
	if err := book.Refresh(ctx); err != nil {
		return nil, nil, err
	}
	a, err := budgets.NewAccountant(nil)
	if err != nil {
		return nil, nil, err
	}
	// Every budget in the set has passed Decode, so Replace cannot fail on
	// one; if it ever does, the budgets so far stay in force.
	book.OnChange(func(bs []*budgets.Budget) {
		if err := a.Replace(bs); err != nil {
			log.Error("budgets: the changed budgets cannot be enforced; the earlier ones stay in force", "err", err)
		}
	})
	k := budgets.NewKeeper(st, a, replica, cfg.SyncEvery, log)
	// The usage every replica persisted so far counts from the start.
	if err := k.Sync(ctx); err != nil {
		return nil, nil, err
	}
	ing.UseBudgets(wire.BudgetDecider{A: a})
	book.ShowOverlaps(a.Overlaps)
	log.Info("ingest budgets in force", "dir", cfg.Dir, "budgets", len(book.Budgets()))
	return k, book, nil
}

// budgetNotifier sends budget notices through the alerts outbox: the one
// notifier, so budget pages reach PagerDuty, Slack, webhooks and
// Alertmanager as monitors' do, with dedup_key = budget + period.
type budgetNotifier struct {
	n    alerts.Notifier
	base string
}

func (b budgetNotifier) NotifyBudget(ctx context.Context, channels []string, n budgets.Notice) error {
	severity := map[string]string{budgets.StateExceeded: "critical", budgets.StateForecastOver: "error"}[n.State]
	if severity == "" {
		severity = "warning"
	}
	summary := map[string]string{
		budgets.StateExceeded:      "exceeded its capacity",
		budgets.StateForecastOver:  "is forecast to exceed its capacity this period",
		budgets.StateThreshold:     fmt.Sprintf("crossed %g%% of its capacity", n.Threshold*100),
		budgets.StateForecastUnder: "is forecast to end the period below its lower bound: its source may have gone quiet",
	}[n.State]
	text := fmt.Sprintf("%s %s: %.4g of %.4g %s used; forecast %.4g (%.4g–%.4g, %s)", n.Budget, summary, n.Usage, n.Capacity, n.Unit, n.Forecast, n.Lower, n.Upper, n.Method)
	if !n.BreachAt.IsZero() {
		text += ", breach expected at " + n.BreachAt.Format(time.RFC3339)
	}
	e := alerts.Event{ID: "budget-" + n.ID, Source: "budget", Key: n.Key, Action: "trigger", State: n.State, Severity: severity,
		Title: "Budget " + n.Budget + " " + summary, Summary: text, Value: fmt.Sprintf("%.6g %s", n.Usage, n.Unit),
		Threshold: fmt.Sprintf("%.6g %s", n.Capacity, n.Unit),
		Labels:    map[string]string{"alertname": "budget_" + n.State, "budget": n.Budget, "severity": severity, "team": n.Owner},
		Playbook:  n.Playbook, StartsAt: n.At, At: n.At, From: n.Period, To: n.At}
	if n.Dashboard != "" {
		e.DashboardURL = strings.TrimRight(b.base, "/") + "/d/" + n.Dashboard
	}
	return b.n.Notify(ctx, channels, e)
}
