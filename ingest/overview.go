package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Overview is what the overview page shows: how much is stored, how fast it
// arrives, and where.
type Overview struct {
	GeneratedAt time.Time       `json:"generated_at"`
	Totals      OverviewTotals  `json:"totals"`
	Rate        []RatePoint     `json:"rate"`
	Levels      []LevelPoint    `json:"levels"`
	Streams     []StreamSize    `json:"streams"`
	Services    []ServiceErrors `json:"services"`
	// Ingest is this replica's view of its Kafka partitions.
	Ingest []PartitionHealth `json:"ingest"`
}

// OverviewTotals are the headline numbers.
type OverviewTotals struct {
	Rows           uint64 `json:"rows"`
	BytesOnDisk    uint64 `json:"bytes_on_disk"`
	RowsLastMinute uint64 `json:"rows_last_minute"`
	Services       uint64 `json:"services"`
}

// RatePoint is the rows ingested in one 10-second bucket.
type RatePoint struct {
	T    int64  `json:"t"`
	Rows uint64 `json:"rows"`
}

// LevelPoint is the rows of one level in one bucket.
type LevelPoint struct {
	T     int64  `json:"t"`
	Level string `json:"level"`
	Rows  uint64 `json:"rows"`
}

// StreamSize is one stream's share of the logs table.
type StreamSize struct {
	Name        string `json:"name"`
	Rows        uint64 `json:"rows"`
	BytesOnDisk uint64 `json:"bytes_on_disk"`
	Newest      string `json:"newest"`
}

// ServiceErrors counts a service's lines and errors in the window.
type ServiceErrors struct {
	Service string `json:"service"`
	Rows    uint64 `json:"rows"`
	Errors  uint64 `json:"errors"`
}

// ReadOverview gathers the overview for the last minutes, with the caller's
// settings (so a scoped token sees only its streams).
func ReadOverview(ctx context.Context, st store.Store, minutes int, s store.Settings) (*Overview, error) {
	if minutes < 1 || minutes > 7*24*60 {
		return nil, fault.New(fault.BadInput, "minutes must be between 1 and 10080, got %d", minutes)
	}
	s.ReadOnly = true
	now := time.Now().UTC()
	p := map[string]string{"from": now.Add(-time.Duration(minutes) * time.Minute).Format("2006-01-02 15:04:05.000")}
	o := &Overview{GeneratedAt: now, Rate: []RatePoint{}, Levels: []LevelPoint{}, Streams: []StreamSize{}, Services: []ServiceErrors{}}

	q := func(sql string, each func(r []any)) error {
		res, err := st.Query(ctx, store.Query{SQL: sql, Params: p, Settings: s})
		if err != nil {
			return fmt.Errorf("cannot read the overview: %w", err)
		}
		for _, r := range res.Rows {
			each(r)
		}
		return nil
	}
	if err := q(`SELECT count(), countIf(ingest_time >= now64(3) - INTERVAL 1 MINUTE), uniqExact(service) FROM logs`, func(r []any) {
		o.Totals.Rows, o.Totals.RowsLastMinute, o.Totals.Services = u64(r[0]), u64(r[1]), u64(r[2])
	}); err != nil {
		return nil, err
	}
	if err := q(`SELECT toUnixTimestamp(toStartOfInterval(ingest_time, INTERVAL 10 SECOND)) AS t, count()
		FROM logs WHERE ingest_time >= {from:DateTime64(3)} GROUP BY t ORDER BY t`, func(r []any) {
		o.Rate = append(o.Rate, RatePoint{T: int64(u64(r[0])), Rows: u64(r[1])})
	}); err != nil {
		return nil, err
	}
	if err := q(`SELECT toUnixTimestamp(toStartOfInterval(timestamp, INTERVAL 10 SECOND)) AS t, level, count()
		FROM logs WHERE timestamp >= {from:DateTime64(3)} GROUP BY t, level ORDER BY t, level`, func(r []any) {
		o.Levels = append(o.Levels, LevelPoint{T: int64(u64(r[0])), Level: fmt.Sprint(r[1]), Rows: u64(r[2])})
	}); err != nil {
		return nil, err
	}
	if err := q(`SELECT stream, count(), toString(max(timestamp)) FROM logs GROUP BY stream ORDER BY stream`, func(r []any) {
		o.Streams = append(o.Streams, StreamSize{Name: fmt.Sprint(r[0]), Rows: u64(r[1]), Newest: fmt.Sprint(r[2])})
	}); err != nil {
		return nil, err
	}
	if err := q(`SELECT service, count(), countIf(level IN ('error', 'fatal', 'critical'))
		FROM logs WHERE timestamp >= {from:DateTime64(3)} GROUP BY service ORDER BY count() DESC LIMIT 50`, func(r []any) {
		o.Services = append(o.Services, ServiceErrors{Service: fmt.Sprint(r[0]), Rows: u64(r[1]), Errors: u64(r[2])})
	}); err != nil {
		return nil, err
	}
	// Disk size per table comes from system.parts; a scoped or limited reader
	// may not be allowed to see it, and the page works without it.
	total := uint64(0)
	_ = q(`SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = currentDatabase() AND table = 'logs'`, func(r []any) {
		total = u64(r[0])
	})
	o.Totals.BytesOnDisk = total
	o.Ingest = Health()
	if o.Ingest == nil {
		o.Ingest = []PartitionHealth{}
	}
	// Split the table's size across streams by row share: parts hold many
	// streams, so this is an estimate, labelled as such in the UI.
	for i := range o.Streams {
		if o.Totals.Rows > 0 {
			o.Streams[i].BytesOnDisk = uint64(float64(total) * float64(o.Streams[i].Rows) / float64(o.Totals.Rows))
		}
	}
	return o, nil
}

func u64(v any) uint64 {
	switch x := v.(type) {
	case json.Number:
		n, _ := strconv.ParseUint(string(x), 10, 64)
		return n
	case uint64:
		return x
	case int64:
		return uint64(x)
	case float64:
		return uint64(x)
	case string:
		n, _ := strconv.ParseUint(x, 10, 64)
		return n
	}
	return 0
}

// OverviewReader serves the overview from a store.
type OverviewReader struct{ Store store.Store }

// Overview implements the server's OverviewSource.
func (r OverviewReader) Overview(ctx context.Context, minutes int, s store.Settings) (*Overview, error) {
	return ReadOverview(ctx, r.Store, minutes, s)
}
