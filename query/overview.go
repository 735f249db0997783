package query

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// MaxOverviewMinutes is the longest window the overview reads: a week.
const MaxOverviewMinutes = 7 * 24 * 60

// overviewCacheEntries caps the overview's cached results. Each overview
// is six results per window and caller settings, so this holds a few
// hundred distinct viewers' pages.
const overviewCacheEntries = 2000

var overviewCache = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "logmart_overview_cache_total",
	Help: "Overview reads by how the result came: hit (cached), shared (waited for an identical read in flight) or miss (ran).",
}, []string{"result"})

func init() { prometheus.MustRegister(overviewCache) }

// Overview is what the overview page shows of the stored data in a window
// of the last minutes: how many rows each table holds, how fast logs
// arrived, at what level, in which streams and from which services. Every
// figure but the size on disk counts rows in the window only.
type Overview struct {
	// GeneratedAt is the end of the window the figures count.
	GeneratedAt time.Time      `json:"generated_at"`
	Totals      OverviewTotals `json:"totals"`
	// Tables counts each table's rows in the window: logs, events,
	// metrics, in that order.
	Tables []TableRows `json:"tables"`
	// Scoped is set when the caller's token is scoped: its figures count
	// only what the scope lets it read, and the size on disk (which parts
	// metadata gives for every stream at once) is left out.
	Scoped   bool            `json:"scoped"`
	Rate     []RatePoint     `json:"rate"`
	Levels   []LevelPoint    `json:"levels"`
	Streams  []StreamSize    `json:"streams"`
	Services []ServiceErrors `json:"services"`
}

// TableRows is one table's rows in the window.
type TableRows struct {
	Table string `json:"table"`
	Rows  uint64 `json:"rows"`
	// BytesOnDisk is the whole table's compressed size; 0 when
	// Overview.Scoped.
	BytesOnDisk uint64 `json:"bytes_on_disk"`
}

// overviewTables are the tables the overview counts, in the order shown.
var overviewTables = []string{"logs", "events", "metrics"}

// OverviewTotals are the headline numbers.
type OverviewTotals struct {
	// Rows are the logs rows whose timestamp is in the window (Tables has
	// every table's).
	Rows uint64 `json:"rows"`
	// BytesOnDisk is the logs, events and metrics tables' compressed size,
	// from their parts; 0 for a scoped caller, or one who may not read
	// system.parts.
	BytesOnDisk uint64 `json:"bytes_on_disk"`
	// RowsLastMinute are the rows ingested in the window's last minute.
	RowsLastMinute uint64 `json:"rows_last_minute"`
	// Services are the distinct services with a row in the window.
	Services uint64 `json:"services"`
}

// RatePoint is the rows ingested in one 10-second bucket.
type RatePoint struct {
	T    int64  `json:"t"`
	Rows uint64 `json:"rows"`
}

// LevelPoint is the rows of one level in one 10-second bucket.
type LevelPoint struct {
	T     int64  `json:"t"`
	Level string `json:"level"`
	Rows  uint64 `json:"rows"`
}

// StreamSize is one stream's rows in the window.
type StreamSize struct {
	Name string `json:"name"`
	Rows uint64 `json:"rows"`
	// BytesOnDisk estimates the stream's share of the logs table: its
	// size split by the streams' rows in the window. Parts hold many
	// streams, so nothing cheaper is exact; the UI labels it an estimate.
	BytesOnDisk uint64 `json:"bytes_on_disk"`
	// Newest is the stream's newest timestamp in the window, RFC 3339 in
	// UTC.
	Newest string `json:"newest"`
}

// ServiceErrors counts a service's lines and errors in the window.
type ServiceErrors struct {
	Service string `json:"service"`
	Rows    uint64 `json:"rows"`
	Errors  uint64 `json:"errors"`
}

// The overview's reads. Each is bounded by the window: timestamp for what
// happened in it, ingest_time for what arrived in it. The bounds are
// [from, to); lastMinute is to less a minute.
const (
	overviewTotalsSQL = `SELECT count(), uniqExact(service) FROM logs
WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}`
	overviewRateSQL = `SELECT toUnixTimestamp(toStartOfInterval(ingest_time, INTERVAL 10 SECOND)) AS t, count(), countIf(ingest_time >= {last_minute:DateTime64(3)})
FROM logs WHERE ingest_time >= {from:DateTime64(3)} AND ingest_time < {to:DateTime64(3)}
GROUP BY t ORDER BY t`
	overviewLevelsSQL = `SELECT toUnixTimestamp(toStartOfInterval(timestamp, INTERVAL 10 SECOND)) AS t, level, count()
FROM logs WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
GROUP BY t, level ORDER BY t, level`
	overviewTablesSQL = `SELECT 'logs', count() FROM logs WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
UNION ALL SELECT 'events', count() FROM events WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
UNION ALL SELECT 'metrics', count() FROM metrics WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}`
	overviewStreamsSQL = `SELECT stream, count(), toUnixTimestamp64Milli(max(timestamp)) FROM logs
WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
GROUP BY stream ORDER BY stream`
	overviewServicesSQL = `SELECT service, count(), countIf(level IN ('error', 'fatal', 'critical')) FROM logs
WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
GROUP BY service ORDER BY count() DESC, service LIMIT 50`
	// The table's size comes from its parts' metadata, not from its rows.
	overviewDiskSQL = `SELECT table, sum(bytes_on_disk) FROM system.parts WHERE active AND database = currentDatabase() AND table IN ('logs', 'events', 'metrics')
GROUP BY table`
)

// OverviewReader reads the overview through a Runner, so each of its reads
// is audited like any other (template "overview.<read>"), and keeps each
// result for the template cache's lifetime, shared by callers with the
// same settings. The window's end is now rounded down to that lifetime, so
// a page refreshed by many viewers reads each figure once per lifetime.
// It is safe for concurrent use.
type OverviewReader struct {
	r     *Runner
	cache *resultCache
	align time.Duration
	now   func() time.Time
}

// NewOverviewReader returns an OverviewReader whose reads run through r
// and are reused for ttl (templates.cache_ttl; 0 reuses nothing, though
// identical reads in flight still run once).
func NewOverviewReader(r *Runner, ttl time.Duration) *OverviewReader {
	c := newResultCache(ttl, overviewCacheEntries)
	c.counts = overviewCache
	return &OverviewReader{r: r, cache: c, align: max(ttl, time.Second), now: time.Now}
}

// Overview reads the overview of the last minutes (1 to MaxOverviewMinutes)
// for who, in a read-only session with s, so a scoped token sees only its
// streams. A scoped caller (s.DenyUnlisted: its token has scopes) is not told the size on
// disk: parts hold every stream's rows, so the size would tell it about
// streams outside its scope. Only the size may fail to read (a limited
// caller may not read system.parts); it is 0 then.
func (o *OverviewReader) Overview(ctx context.Context, who Caller, minutes int, s store.Settings) (*Overview, error) {
	if minutes < 1 || minutes > MaxOverviewMinutes {
		err := fault.New(fault.BadInput, "minutes must be between 1 and %d, got %d", MaxOverviewMinutes, minutes)
		o.r.audit.Record(Entry{Time: o.now(), Caller: who, Template: "overview", Params: map[string]string{"minutes": strconv.Itoa(minutes)}, Err: err})
		return nil, err
	}
	s.ReadOnly = true
	to := o.now().UTC().Truncate(o.align)
	params := map[string]string{
		"from":        fmtTime(to.Add(-time.Duration(minutes) * time.Minute)),
		"to":          fmtTime(to),
		"last_minute": fmtTime(to.Add(-time.Minute)),
	}
	out := &Overview{GeneratedAt: to, Tables: []TableRows{}, Rate: []RatePoint{}, Levels: []LevelPoint{}, Streams: []StreamSize{}, Services: []ServiceErrors{},
		Scoped: s.DenyUnlisted}
	read := func(name, sql string, each func(r []any)) error {
		q := store.Query{SQL: sql, Params: boundIn(sql, params), Settings: s}
		res, _, err := o.r.runCached(ctx, o.cache, cacheKey(name, q), who, q, Entry{Template: "overview." + name, Params: q.Params})
		if err != nil {
			return fmt.Errorf("cannot read the overview's %s: %w", name, err)
		}
		for _, r := range res.Rows {
			each(r)
		}
		return nil
	}
	reads := []struct {
		name, sql string
		each      func(r []any)
	}{
		{"totals", overviewTotalsSQL, func(r []any) { out.Totals.Rows, out.Totals.Services = store.CellUint64(r[0]), store.CellUint64(r[1]) }},
		{"tables", overviewTablesSQL, func(r []any) {
			out.Tables = append(out.Tables, TableRows{Table: store.CellString(r[0]), Rows: store.CellUint64(r[1])})
		}},
		{"rate", overviewRateSQL, func(r []any) {
			out.Rate = append(out.Rate, RatePoint{T: store.CellInt64(r[0]), Rows: store.CellUint64(r[1])})
			out.Totals.RowsLastMinute += store.CellUint64(r[2])
		}},
		{"levels", overviewLevelsSQL, func(r []any) {
			out.Levels = append(out.Levels, LevelPoint{T: store.CellInt64(r[0]), Level: store.CellString(r[1]), Rows: store.CellUint64(r[2])})
		}},
		{"streams", overviewStreamsSQL, func(r []any) {
			out.Streams = append(out.Streams, StreamSize{Name: store.CellString(r[0]), Rows: store.CellUint64(r[1]), Newest: store.CellUnixMilli(r[2]).Format(time.RFC3339Nano)})
		}},
		{"services", overviewServicesSQL, func(r []any) {
			out.Services = append(out.Services, ServiceErrors{Service: store.CellString(r[0]), Rows: store.CellUint64(r[1]), Errors: store.CellUint64(r[2])})
		}},
	}
	for _, rd := range reads {
		if err := read(rd.name, rd.sql, rd.each); err != nil {
			return nil, err
		}
	}
	sort.Slice(out.Tables, func(i, j int) bool {
		return slices.Index(overviewTables, out.Tables[i].Table) < slices.Index(overviewTables, out.Tables[j].Table)
	})
	var logsOnDisk uint64
	if !out.Scoped {
		_ = read("disk", overviewDiskSQL, func(r []any) {
			table, size := store.CellString(r[0]), store.CellUint64(r[1])
			out.Totals.BytesOnDisk += size
			if table == "logs" {
				logsOnDisk = size
			}
			for i := range out.Tables {
				if out.Tables[i].Table == table {
					out.Tables[i].BytesOnDisk = size
				}
			}
		})
	}
	var inStreams uint64
	for _, st := range out.Streams {
		inStreams += st.Rows
	}
	for i := range out.Streams {
		if inStreams > 0 {
			out.Streams[i].BytesOnDisk = uint64(float64(logsOnDisk) * float64(out.Streams[i].Rows) / float64(inStreams))
		}
	}
	return out, nil
}

// boundIn returns the params sql names, so each read's audit entry and
// cache key hold only what it ran with.
func boundIn(sql string, params map[string]string) map[string]string {
	out := map[string]string{}
	for name, v := range params {
		if strings.Contains(sql, "{"+name+":") {
			out[name] = v
		}
	}
	return out
}
