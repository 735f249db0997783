package ingest

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Budgets is what ingest asks of the ingest budgets (package budgets,
// which cmd wires in): count this record toward every budget that takes
// it, and say what to do with it. Implementations are safe for concurrent
// use and cheap per record (a lookup per distinct metadata).
type Budgets interface {
	Decide(m BudgetMeta, size int, at time.Time) BudgetAction
}

// BudgetMeta is the metadata a budget's scope reads of a record.
type BudgetMeta struct {
	Stream, Topic, Source, Service, Host, Tenant, Level string
}

// BudgetAction is what a record's budgets decide.
type BudgetAction uint8

const (
	// BudgetStore stores the record as usual.
	BudgetStore BudgetAction = iota
	// BudgetDrop drops it: no row, no archive (a stop budget exceeded).
	BudgetDrop
	// BudgetArchiveOnly archives it and stores no row (an archive-only
	// budget exceeded): a rehydration brings it back.
	BudgetArchiveOnly
)

var budgetRecords = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "logmart_ingest_budget_records_total",
	Help: "Records an exceeded ingest budget kept out of ClickHouse, by stream and outcome: dropped (stop) or archive-only.",
}, []string{"stream", "outcome"})

func init() { prometheus.MustRegister(budgetRecords) }

// UseBudgets has every record counted against b and its decisions
// applied. Call it before Run.
func (g *Ingester) UseBudgets(b Budgets) { g.budgets = b }

// budgetKeeps counts the record being decoded against the batch's budgets
// and reports whether its rows are stored; a dropped record is not
// archived either.
func (b *partBatch) budgetKeeps(m BudgetMeta, size int, nowMs int64) bool {
	if b.budgets == nil || b.rehydrate != nil {
		return true
	}
	switch b.budgets.Decide(m, size, time.UnixMilli(nowMs)) {
	case BudgetDrop:
		b.noArchive = true
		budgetRecords.WithLabelValues(m.Stream, "dropped").Inc()
		return false
	case BudgetArchiveOnly:
		budgetRecords.WithLabelValues(m.Stream, "archive-only").Inc()
		return false
	}
	return true
}
