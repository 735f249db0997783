package query

import (
	"context"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Progress is how far one running statement has got, as ClickHouse's
// process list reports it while the statement runs.
type Progress struct {
	// Running is false once the statement has left the process list
	// (finished, failed or cancelled); the other fields are then zero.
	Running bool `json:"running"`
	// ElapsedMS is how long the statement has run, in milliseconds.
	ElapsedMS int64 `json:"elapsed_ms"`
	// RowsRead and BytesRead are what it has read so far.
	RowsRead  uint64 `json:"rows_read"`
	BytesRead uint64 `json:"bytes_read"`
	// TotalRowsApprox is the engine's estimate of the rows it will read
	// (0 when it has none), for a progress bar.
	TotalRowsApprox uint64 `json:"total_rows_approx"`
	// MemoryBytes is the memory the statement holds now.
	MemoryBytes int64 `json:"memory_bytes"`
}

// Statements follows and cancels statements that callers started with a
// statement id of their own (store.Settings.Statement). It reads and kills
// only statements whose leading comment carries the caller's owner and the
// id, so no caller can see or stop another's work.
type Statements struct{ st store.Store }

// NewStatements returns Statements on st.
func NewStatements(st store.Store) *Statements { return &Statements{st: st} }

// CheckStatementID refuses an id store.ValidStatementID refuses, naming it.
func CheckStatementID(id string) error {
	if !store.ValidStatementID(id) {
		if len(id) > 64 {
			return fault.New(fault.BadInput, "statement id is %d bytes; it must be 8 to 64 letters, digits or dashes", len(id))
		}
		return fault.New(fault.BadInput, "statement id %q must be 8 to 64 letters, digits or dashes", id)
	}
	return nil
}

// Progress reads owner's statement id from the engine's process list.
func (s *Statements) Progress(ctx context.Context, owner, id string) (Progress, error) {
	if err := CheckStatementID(id); err != nil {
		return Progress{}, err
	}
	res, err := s.st.Query(ctx, store.Query{
		SQL: "SELECT toInt64(elapsed * 1000), read_rows, read_bytes, total_rows_approx, memory_usage FROM " + store.ProcessesTable +
			" WHERE startsWith(query, {marker:String}) LIMIT 1",
		Params:   map[string]string{"marker": store.Marker(owner, id)},
		Settings: store.Settings{ReadOnly: true, MaxExecutionTime: 5 * time.Second},
	})
	if err != nil {
		return Progress{}, err
	}
	if len(res.Rows) == 0 {
		return Progress{}, nil
	}
	row := res.Rows[0]
	return Progress{
		Running:         true,
		ElapsedMS:       store.CellInt64(row[0]),
		RowsRead:        store.CellUint64(row[1]),
		BytesRead:       store.CellUint64(row[2]),
		TotalRowsApprox: store.CellUint64(row[3]),
		MemoryBytes:     store.CellInt64(row[4]),
	}, nil
}

// Cancel stops owner's statement id in the engine and reports whether one
// was running. The statement's caller then gets its error; a statement
// that finished meanwhile is left alone.
func (s *Statements) Cancel(ctx context.Context, owner, id string) (bool, error) {
	p, err := s.Progress(ctx, owner, id)
	if err != nil || !p.Running {
		return false, err
	}
	err = s.st.Exec(ctx, store.Query{
		// The marker is hex and a checked id, quoted all the same.
		SQL: "KILL QUERY WHERE startsWith(query, " + store.Quote(store.Marker(owner, id)) + ") SYNC",
	})
	return err == nil, err
}
