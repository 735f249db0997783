package query

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Histogram is the volume of a log search over its range: lines per
// bucket and level.
type Histogram struct {
	// StepMS is the width of a bucket in milliseconds; buckets start at
	// multiples of it since the Unix epoch.
	StepMS int64 `json:"step_ms"`
	// Buckets hold only the buckets with lines, oldest first.
	Buckets []HistogramBucket `json:"buckets"`
}

// HistogramBucket is one bucket: lines per level, starting at T.
type HistogramBucket struct {
	T      int64            `json:"t"` // Unix milliseconds
	Levels map[string]int64 `json:"levels"`
}

// histogramSteps are the bucket widths a histogram may use, so that bars
// fall on round times.
var histogramSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour,
}

// maxHistogramBuckets bounds the bars a histogram draws.
const maxHistogramBuckets = 120

// HistogramStep is the narrowest round step that covers span in at most
// maxHistogramBuckets buckets.
func HistogramStep(span time.Duration) time.Duration {
	for _, s := range histogramSteps {
		if span/s <= maxHistogramBuckets {
			return s
		}
	}
	return histogramSteps[len(histogramSteps)-1]
}

// LogHistogram counts q's lines per bucket and level over q's range.
func (r *Runner) LogHistogram(ctx context.Context, who Caller, q LogSearch, s store.Settings) (*Histogram, error) {
	q.Limit = 1
	if err := q.Validate(); err != nil {
		return nil, err
	}
	step := HistogramStep(q.To.Sub(q.From))
	params := map[string]string{"step": strconv.FormatInt(int64(step/time.Second), 10)}
	var b strings.Builder
	b.WriteString("SELECT toUnixTimestamp(toStartOfInterval(timestamp, toIntervalSecond({step:UInt32}))) * 1000 AS t, level, count() AS n FROM logs\n")
	q.where(&b, params)
	b.WriteString("\nGROUP BY t, level ORDER BY t, level")
	s.ReadOnly = true
	res, err := r.run(ctx, who, store.Query{SQL: b.String(), Params: params, Settings: s}, Entry{Template: "logs.histogram", Params: params})
	if err != nil {
		return nil, err
	}
	h := &Histogram{StepMS: step.Milliseconds(), Buckets: []HistogramBucket{}}
	for _, row := range res.Rows {
		t := store.CellInt64(row[0])
		if n := len(h.Buckets); n == 0 || h.Buckets[n-1].T != t {
			h.Buckets = append(h.Buckets, HistogramBucket{T: t, Levels: map[string]int64{}})
		}
		h.Buckets[len(h.Buckets)-1].Levels[store.CellString(row[1])] += store.CellInt64(row[2])
	}
	return h, nil
}

// Facet is the top values of one field among the newest lines of a
// search.
type Facet struct {
	// Field is level, service, host, stream, or attr.<key> for an
	// attribute.
	Field string `json:"field"`
	// Lines is how many of the sampled lines have the field set.
	Lines  int64        `json:"lines"`
	Values []FacetValue `json:"values"`
}

// FacetValue is one value of a facet and the sampled lines that have it.
type FacetValue struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Facets summarises the newest FacetSample lines of a search.
type Facets struct {
	// Sampled is how many lines the facets count (at most FacetSample).
	Sampled int64   `json:"sampled"`
	Fields  []Facet `json:"fields"`
}

// FacetSample is how many of a search's newest lines its facets count, so
// that facets cost the same whatever the range.
const FacetSample = 5000

// facetValues is how many values each facet lists; facetAttrs how many
// attribute keys get a facet.
const (
	facetValues = 10
	facetAttrs  = 12
)

// LogFacets returns the top values of level, service, host, stream and the
// most common attributes among the newest FacetSample lines of q, in one
// statement.
func (r *Runner) LogFacets(ctx context.Context, who Caller, q LogSearch, s store.Settings) (*Facets, error) {
	q.Limit = 1
	if err := q.Validate(); err != nil {
		return nil, err
	}
	params := map[string]string{"sample": strconv.Itoa(FacetSample)}
	var b strings.Builder
	// lines is how many sampled lines set the field: a line holds at most
	// one value of each field, so the sum of its values' counts.
	b.WriteString(`SELECT f, v, n, lines FROM (
  SELECT f, v, count() AS n, sum(count()) OVER (PARTITION BY f) AS lines FROM (
    SELECT arrayJoin(arrayConcat(
        [('level', level), ('service', service), ('host', host), ('stream', stream)],
        arrayMap((k, x) -> (concat('attr.', k), x), mapKeys(attributes), mapValues(attributes)))) AS kv,
      kv.1 AS f, kv.2 AS v
    FROM (SELECT level, service, host, stream, attributes FROM logs
`)
	q.where(&b, params)
	b.WriteString(`
      ORDER BY timestamp DESC LIMIT {sample:UInt32})
    WHERE v != '')
  GROUP BY f, v)
ORDER BY f, n DESC, v LIMIT ` + strconv.Itoa(facetValues) + ` BY f`)
	s.ReadOnly = true
	res, err := r.run(ctx, who, store.Query{SQL: b.String(), Params: params, Settings: s}, Entry{Template: "logs.facets", Params: params})
	if err != nil {
		return nil, err
	}
	return facetsOf(ctx, r, who, q, s, res)
}

// facetsOf groups the facet rows by field and counts the sample: fixed
// fields first, then attributes by how many lines carry them.
func facetsOf(ctx context.Context, r *Runner, who Caller, q LogSearch, s store.Settings, res *store.Result) (*Facets, error) {
	out := &Facets{Fields: []Facet{}}
	byField := map[string]int{}
	for _, row := range res.Rows {
		f := store.CellString(row[0])
		i, ok := byField[f]
		if !ok {
			i = len(out.Fields)
			byField[f] = i
			out.Fields = append(out.Fields, Facet{Field: f})
		}
		out.Fields[i].Values = append(out.Fields[i].Values, FacetValue{Value: store.CellString(row[1]), Count: store.CellInt64(row[2])})
		out.Fields[i].Lines = store.CellInt64(row[3])
	}
	sampled, err := r.countSample(ctx, who, q, s)
	if err != nil {
		return nil, err
	}
	out.Sampled = sampled
	fixed := []string{"level", "service", "host", "stream"}
	slices.SortStableFunc(out.Fields, func(a, b Facet) int {
		ia, ib := slices.Index(fixed, a.Field), slices.Index(fixed, b.Field)
		switch {
		case ia >= 0 && ib >= 0:
			return ia - ib
		case ia >= 0:
			return -1
		case ib >= 0:
			return 1
		case a.Lines != b.Lines:
			if a.Lines > b.Lines {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Field, b.Field)
	})
	attrs := 0
	out.Fields = slices.DeleteFunc(out.Fields, func(f Facet) bool {
		if !strings.HasPrefix(f.Field, "attr.") {
			return false
		}
		attrs++
		return attrs > facetAttrs
	})
	return out, nil
}

// countSample is how many lines the facets of q counted.
func (r *Runner) countSample(ctx context.Context, who Caller, q LogSearch, s store.Settings) (int64, error) {
	params := map[string]string{"sample": strconv.Itoa(FacetSample)}
	var b strings.Builder
	b.WriteString("SELECT count() FROM (SELECT 1 FROM logs\n")
	q.where(&b, params)
	b.WriteString("\nLIMIT {sample:UInt32})")
	s.ReadOnly = true
	res, err := r.run(ctx, who, store.Query{SQL: b.String(), Params: params, Settings: s}, Entry{Template: "logs.facets", Params: params})
	if err != nil || len(res.Rows) == 0 {
		return 0, err
	}
	return store.CellInt64(res.Rows[0][0]), nil
}

// LogContextRequest names one line whose neighbours are wanted.
type LogContextRequest struct {
	// At is the line's timestamp; Service, Host and Stream pick the lines
	// it is shown among.
	At                    time.Time
	Service, Host, Stream string
	// Lines is how many lines to show on each side.
	Lines int
}

// MaxContextLines bounds LogContextRequest.Lines.
const MaxContextLines = 200

// contextWindow is how far from the line its context is looked for.
const contextWindow = time.Hour

// LogContext returns the Lines lines before and after At from the same
// service, host and stream, oldest first: what was happening around one
// line.
func (r *Runner) LogContext(ctx context.Context, who Caller, c LogContextRequest, s store.Settings) (*store.Result, error) {
	switch {
	case c.At.IsZero():
		return nil, fault.New(fault.BadInput, "at is required: the timestamp of the line")
	case c.Lines < 1 || c.Lines > MaxContextLines:
		return nil, fault.New(fault.BadInput, "lines must be between 1 and %d, got %d", MaxContextLines, c.Lines)
	}
	q := LogSearch{From: c.At.Add(-contextWindow), To: c.At.Add(contextWindow), Service: c.Service, Host: c.Host, Stream: c.Stream, Limit: 1}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	params := map[string]string{"at": fmtTime(c.At), "n": strconv.Itoa(c.Lines)}
	var w strings.Builder
	q.where(&w, params)
	sql := "SELECT * FROM (\n(SELECT " + logColumns + " FROM logs " + w.String() +
		"\n  AND timestamp <= {at:DateTime64(3)} ORDER BY timestamp DESC, kafka_topic DESC, kafka_partition DESC, kafka_offset DESC LIMIT {n:UInt32} + 1)" +
		"\nUNION ALL\n(SELECT " + logColumns + " FROM logs " + w.String() +
		"\n  AND timestamp > {at:DateTime64(3)} ORDER BY timestamp, kafka_topic, kafka_partition, kafka_offset LIMIT {n:UInt32}))" +
		"\nORDER BY timestamp, kafka_topic, kafka_partition, kafka_offset"
	s.ReadOnly = true
	return r.run(ctx, who, store.Query{SQL: sql, Params: params, Settings: s}, Entry{Template: "logs.context", Params: params})
}

// TailWindow is how far back a live tail looks for lines: it follows
// lines stamped within it, in the order they were ingested.
const TailWindow = time.Hour

// TailLogs returns the lines ingested after q.Cursor (a LogPage.Next of a
// tail) that match q's filters and are stamped within TailWindow of now,
// oldest first, at most q.Limit. Without a cursor it returns the newest
// q.Limit lines. Next continues the tail.
func (r *Runner) TailLogs(ctx context.Context, who Caller, q LogSearch, now time.Time, s store.Settings) (*LogPage, error) {
	q.From, q.To = now.Add(-TailWindow), now.Add(time.Minute)
	if err := q.Validate(); err != nil {
		return nil, err
	}
	params := map[string]string{"limit": strconv.Itoa(q.Limit)}
	var b strings.Builder
	b.WriteString("SELECT " + logColumns + " FROM logs\n")
	q.where(&b, params)
	order := "ASC"
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		b.WriteString("\n  AND (ingest_time, kafka_topic, kafka_partition, kafka_offset) > ({ct:DateTime64(3)}, {ck:String}, {cp:Int32}, {co:Int64})")
		c.params(params)
	} else {
		order = "DESC"
	}
	b.WriteString("\nORDER BY ingest_time " + order + ", kafka_topic " + order + ", kafka_partition " + order + ", kafka_offset " + order + "\nLIMIT {limit:UInt32}")
	s.ReadOnly = true
	res, err := r.run(ctx, who, store.Query{SQL: b.String(), Params: params, Settings: s}, Entry{Template: "logs.tail", Params: params})
	if err != nil {
		return nil, err
	}
	if order == "DESC" {
		slices.Reverse(res.Rows)
	}
	page := &LogPage{Result: res, Next: q.Cursor}
	if n := len(res.Rows); n > 0 {
		page.Next = cursorAt(res, n-1, "ingest_time")
	} else if q.Cursor == "" {
		page.Next = logCursor{T: now.Add(-time.Second).UnixMilli()}.String()
	}
	return page, nil
}
