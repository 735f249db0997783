package archive

import (
	"context"
	"fmt"
	"time"

	"github.com/logmart/logmart/store"
)

// Querier is the read the catalog needs of a store.Store.
type Querier interface {
	Query(ctx context.Context, q store.Query) (*store.Result, error)
}

// Catalog answers what the archive holds, from archive_manifests: the
// server's `archive ls` and, later, what rehydration and reads in place
// look for.
type Catalog struct {
	q Querier
}

// NewCatalog reads the manifest through q (for the server, the store that
// counts reads against the caller's role).
func NewCatalog(q Querier) *Catalog { return &Catalog{q: q} }

// Day is one stream's archive for one day of its records' time.
type Day struct {
	Stream  string    `json:"stream"`
	Day     string    `json:"day"`
	Objects uint64    `json:"objects"`
	Records uint64    `json:"records"`
	Bytes   uint64    `json:"bytes"`
	Oldest  time.Time `json:"oldest"`
	Newest  time.Time `json:"newest"`
}

// DayFilter selects days: by stream (empty: all), and by the records'
// time, keeping the objects whose records overlap [From, To) (zero: open).
type DayFilter struct {
	Stream   string
	From, To time.Time
}

// Days sums the manifest by stream and day, oldest day first, reading
// with s: a scoped caller, whose settings deny the tables its scopes do
// not name, sees nothing of the archive.
func (c *Catalog) Days(ctx context.Context, f DayFilter, s store.Settings) ([]Day, error) {
	where, params := "1", map[string]string{}
	if f.Stream != "" {
		where += " AND stream = {stream:String}"
		params["stream"] = f.Stream
	}
	if !f.From.IsZero() {
		where += " AND newest >= fromUnixTimestamp64Milli({from:Int64})"
		params["from"] = fmt.Sprint(f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where += " AND oldest < fromUnixTimestamp64Milli({to:Int64})"
		params["to"] = fmt.Sprint(f.To.UnixMilli())
	}
	res, err := c.q.Query(ctx, store.Query{
		SQL: `SELECT stream, dt, count(), sum(records), sum(bytes),
				toUnixTimestamp64Milli(min(oldest)), toUnixTimestamp64Milli(max(newest))
			FROM (SELECT * FROM ` + ManifestTable + ` WHERE ` + where + ` LIMIT 1 BY object)
			GROUP BY stream, dt ORDER BY dt, stream`,
		Params:   params,
		Settings: s,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the archive manifest: %w", err)
	}
	out := make([]Day, 0, len(res.Rows))
	for _, r := range res.Rows {
		out = append(out, Day{
			Stream: store.CellString(r[0]), Day: store.CellString(r[1]),
			Objects: store.CellUint64(r[2]), Records: store.CellUint64(r[3]), Bytes: store.CellUint64(r[4]),
			Oldest: store.CellUnixMilli(r[5]).UTC(), Newest: store.CellUnixMilli(r[6]).UTC(),
		})
	}
	return out, nil
}
