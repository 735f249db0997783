package query

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// LogSearch is the Logs page's question: a time range and optional filters.
type LogSearch struct {
	From, To time.Time
	Text     string // substring of the body, case-insensitive
	Service  string
	Host     string
	Level    string
	Stream   string
	// Attrs are attribute filters: each key's value must equal the given
	// one (attributes['key'] = 'value').
	Attrs map[string]string
	Limit int
	// Cursor continues a search from the page before: only lines older
	// than the last line of that page (LogPage.Next). Empty: the newest.
	Cursor string
}

// Limits of a log search.
const (
	MaxSearchLimit   = 10000
	MaxSearchTextLen = 1024
	// MaxSearchAttrs is how many attribute filters one search may carry.
	MaxSearchAttrs = 20
	maxFilterLen   = 256
)

// Validate names the first field at fault.
func (q LogSearch) Validate() error {
	switch {
	case q.From.IsZero() || q.To.IsZero():
		return fault.New(fault.BadInput, "from and to are required")
	case !q.From.Before(q.To):
		return fault.New(fault.BadInput, "from (%s) must be before to (%s)", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	case q.Limit < 1 || q.Limit > MaxSearchLimit:
		return fault.New(fault.BadInput, "limit must be between 1 and %d, got %d", MaxSearchLimit, q.Limit)
	case len(q.Text) > MaxSearchTextLen:
		return fault.New(fault.BadInput, "q is %d bytes, more than %d", len(q.Text), MaxSearchTextLen)
	case q.Level != "" && !slices.Contains(store.LogLevels, q.Level):
		return fault.New(fault.BadInput, "level %q must be one of %s", q.Level, strings.Join(store.LogLevels, ", "))
	case len(q.Attrs) > MaxSearchAttrs:
		return fault.New(fault.BadInput, "%d attribute filters, more than %d", len(q.Attrs), MaxSearchAttrs)
	}
	fields := map[string]string{"q": q.Text, "service": q.Service, "host": q.Host, "level": q.Level, "stream": q.Stream}
	for _, k := range slices.Sorted(maps.Keys(q.Attrs)) {
		if k == "" {
			return fault.New(fault.BadInput, "attr: an attribute filter needs a key (attr=key:value)")
		}
		fields["attr key "+strconv.Quote(k)] = k
		fields["attr "+strconv.Quote(k)] = q.Attrs[k]
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		v := fields[name]
		if !utf8.ValidString(v) {
			return fault.New(fault.BadInput, "%s is not valid UTF-8", name)
		}
		if name != "q" && len(v) > maxFilterLen {
			return fault.New(fault.BadInput, "%s is longer than %d bytes", name, maxFilterLen)
		}
	}
	return nil
}

// where writes q's filters as a WHERE clause of bound parameters into b and
// params; optional clauses are added only for filters that are set.
func (q LogSearch) where(b *strings.Builder, params map[string]string) {
	params["from"], params["to"] = fmtTime(q.From), fmtTime(q.To)
	b.WriteString("WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}")
	if q.Text != "" {
		b.WriteString("\n  AND positionCaseInsensitiveUTF8(body, {text:String}) > 0")
		params["text"] = q.Text
	}
	for _, f := range []struct{ col, v string }{{"service", q.Service}, {"host", q.Host}, {"level", q.Level}, {"stream", q.Stream}} {
		if f.v != "" {
			fmt.Fprintf(b, "\n  AND %s = {%s:String}", f.col, f.col)
			params[f.col] = f.v
		}
	}
	for i, k := range slices.Sorted(maps.Keys(q.Attrs)) {
		fmt.Fprintf(b, "\n  AND attributes[{ak%d:String}] = {av%d:String}", i, i)
		params[fmt.Sprintf("ak%d", i)], params[fmt.Sprintf("av%d", i)] = k, q.Attrs[k]
	}
}

// logColumns are the columns a log line is shown with. The Kafka position
// names the line: cursors and "show context" use it.
const logColumns = "timestamp, service, host, level, body, stream, trace_id, attributes, ingest_time, kafka_topic, kafka_partition, kafka_offset"

// LogPage is one page of a log search.
type LogPage struct {
	*store.Result
	// Next continues the search after this page (LogSearch.Cursor); empty
	// when the page was not full, so no older line matches.
	Next string
}

// SearchLogs returns the newest matching log lines in the range, older
// than q.Cursor when it is set. Every filter is a bound parameter.
func (r *Runner) SearchLogs(ctx context.Context, who Caller, q LogSearch, s store.Settings) (*LogPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	params := map[string]string{"limit": strconv.Itoa(q.Limit)}
	var b strings.Builder
	b.WriteString("SELECT " + logColumns + " FROM logs\n")
	q.where(&b, params)
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		b.WriteString("\n  AND (timestamp, kafka_topic, kafka_partition, kafka_offset) < ({ct:DateTime64(3)}, {ck:String}, {cp:Int32}, {co:Int64})")
		c.params(params)
	}
	b.WriteString("\nORDER BY timestamp DESC, kafka_topic DESC, kafka_partition DESC, kafka_offset DESC\nLIMIT {limit:UInt32}")
	s.ReadOnly = true
	res, err := r.run(ctx, who, store.Query{SQL: b.String(), Params: params, Settings: s}, Entry{Template: "logs.search", Params: params})
	if err != nil {
		return nil, err
	}
	page := &LogPage{Result: res}
	if len(res.Rows) == q.Limit {
		page.Next = cursorAt(res, len(res.Rows)-1, "timestamp")
	}
	return page, nil
}

// logCursor is a position in a log search's order: a time (the line's
// timestamp, or its ingest time for a tail) and the line's Kafka position
// to order lines of the same millisecond.
type logCursor struct {
	T int64  `json:"t"` // Unix milliseconds
	K string `json:"k"`
	P int32  `json:"p"`
	O int64  `json:"o"`
}

func (c logCursor) params(p map[string]string) {
	p["ct"] = fmtTime(time.UnixMilli(c.T))
	p["ck"] = c.K
	p["cp"] = strconv.FormatInt(int64(c.P), 10)
	p["co"] = strconv.FormatInt(c.O, 10)
}

func (c logCursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (logCursor, error) {
	var c logCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil && len(s) <= 512 {
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		err = dec.Decode(&c)
	}
	if err != nil || len(s) > 512 || !utf8.ValidString(c.K) {
		return logCursor{}, fault.New(fault.BadInput, "cursor is not one this server gave: start the search again")
	}
	return c, nil
}

// cursorAt is the cursor of res's row i, timed by column timeCol.
func cursorAt(res *store.Result, i int, timeCol string) string {
	row := res.Rows[i]
	var c logCursor
	for j, col := range res.Columns {
		switch col.Name {
		case timeCol:
			c.T = store.CellTime(row[j]).UnixMilli()
		case "kafka_topic":
			c.K = store.CellString(row[j])
		case "kafka_partition":
			c.P = int32(store.CellInt64(row[j]))
		case "kafka_offset":
			c.O = store.CellInt64(row[j])
		}
	}
	return c.String()
}

// fmtTime writes t the way ClickHouse parses a DateTime64(3) parameter (UTC).
func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }
