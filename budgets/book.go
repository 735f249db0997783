package budgets

import (
	"context"
	"time"

	"github.com/logmart/logmart/store"
)

// Book is the budgets an instance enforces, as the API reads them.
type Book struct {
	st store.Store
	bs []*Budget
}

// NewBook returns the book of bs over st.
func NewBook(st store.Store, bs []*Budget) *Book { return &Book{st: st, bs: bs} }

// Status judges every budget now.
func (b *Book) Status(ctx context.Context) ([]Status, error) {
	return StatusAt(ctx, b.st, b.bs, time.Now())
}

// Budgets are the book's budgets.
func (b *Book) Budgets() []*Budget { return b.bs }
