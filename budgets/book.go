package budgets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/store"
)

// Book is the budgets an instance enforces: the files of a folder and the
// ones written through the API, kept in the budgets table so that every
// replica enforces the same ones. A write through this replica applies at
// once; one through another replica applies at this one's next Refresh
// (Run: every few seconds).
//
// Whoever enforces the budgets (the accountant, the evaluator) follows
// them through OnChange.
type Book struct {
	st  store.Store
	lib *dashboards.Library[*Budget]
	log *slog.Logger

	mu       sync.Mutex
	bs       []*Budget
	entries  map[string]*dashboards.Stored[*Budget]
	print    string
	onChange []func([]*Budget)
	overlaps func() map[string][]string
}

// NewBook returns the book of lib over st. Load it, then Refresh.
func NewBook(st store.Store, lib *dashboards.Library[*Budget], log *slog.Logger) *Book {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Book{st: st, lib: lib, log: log, entries: map[string]*dashboards.Stored[*Budget]{}}
}

// ShowOverlaps has Status name, for each budget, the budgets its records
// also counted toward, as f (Accountant.Overlaps) says.
func (b *Book) ShowOverlaps(f func() map[string][]string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.overlaps = f
}

// Library is where the book's budgets are kept.
func (b *Book) Library() *dashboards.Library[*Budget] { return b.lib }

// OnChange calls f with the budgets now, and with every new set after a
// Refresh that changes them.
func (b *Book) OnChange(f func([]*Budget)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onChange = append(b.onChange, f)
	f(b.bs)
}

// Refresh reads the library and, when its budgets changed, hands the new
// set to every OnChange.
func (b *Book) Refresh(ctx context.Context) error {
	if b.lib == nil {
		return nil
	}
	es, err := b.lib.List(ctx)
	if err != nil {
		return err
	}
	h := sha256.New()
	bs := make([]*Budget, len(es))
	entries := make(map[string]*dashboards.Stored[*Budget], len(es))
	for i, e := range es {
		bs[i] = e.Item
		entries[e.Item.ID] = e
		h.Write([]byte(e.Item.ID + "\x00" + e.Hash + "\x00"))
	}
	b.set(bs, entries, hex.EncodeToString(h.Sum(nil)))
	return nil
}

func (b *Book) set(bs []*Budget, entries map[string]*dashboards.Stored[*Budget], print string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if print == b.print {
		return
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].ID < bs[j].ID })
	first := b.print == ""
	b.bs, b.entries, b.print = bs, entries, print
	for _, f := range b.onChange {
		f(bs)
	}
	if !first {
		b.log.Info("ingest budgets changed", "budgets", len(bs))
	}
}

// Run refreshes every every until ctx ends.
func (b *Book) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
				b.log.Warn("budgets: cannot read the budgets", "err", err)
			}
		}
	}
}

// Budgets are the budgets in force.
func (b *Book) Budgets() []*Budget {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bs
}

// Status judges every budget now. Each carries its definition's hash and
// source, as promotion compares them.
func (b *Book) Status(ctx context.Context) ([]Status, error) {
	b.mu.Lock()
	bs, entries, overlaps := b.bs, b.entries, b.overlaps
	b.mu.Unlock()
	out, err := StatusAt(ctx, b.st, bs, time.Now())
	if err != nil {
		return nil, err
	}
	var ov map[string][]string
	if overlaps != nil {
		ov = overlaps()
	}
	for i := range out {
		if e := entries[out[i].ID]; e != nil {
			out[i].Hash, out[i].Source = e.Hash, e.Source
		}
		if l := ov[out[i].ID]; l != nil {
			out[i].Overlaps = l
		}
	}
	return out, nil
}

// Get is one budget's definition.
func (b *Book) Get(ctx context.Context, id string) (*dashboards.Stored[*Budget], error) {
	return b.lib.Get(ctx, id)
}

// Put writes a budget through the API (dashboards.Library.Put) and puts
// it in force on this replica at once.
func (b *Book) Put(ctx context.Context, id string, body []byte, ifMatch, who string) (*dashboards.Stored[*Budget], bool, error) {
	e, created, err := b.lib.Put(ctx, id, body, ifMatch, who)
	if err != nil {
		return nil, false, err
	}
	return e, created, b.Refresh(ctx)
}

// Delete removes a budget written through the API, and stops enforcing it
// here at once.
func (b *Book) Delete(ctx context.Context, id, ifMatch, who string) error {
	if err := b.lib.Delete(ctx, id, ifMatch, who); err != nil {
		return err
	}
	return b.Refresh(ctx)
}
