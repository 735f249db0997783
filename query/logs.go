package query

import (
	"context"
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
	Level    string
	Stream   string
	Limit    int
}

// Limits of a log search.
const (
	MaxSearchLimit   = 10000
	MaxSearchTextLen = 1024
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
	}
	for name, v := range map[string]string{"q": q.Text, "service": q.Service, "level": q.Level, "stream": q.Stream} {
		if !utf8.ValidString(v) {
			return fault.New(fault.BadInput, "%s is not valid UTF-8", name)
		}
		if name != "q" && len(v) > 256 {
			return fault.New(fault.BadInput, "%s is longer than 256 bytes", name)
		}
	}
	return nil
}

// SearchLogs returns the newest matching log lines in the range. Every
// filter is a bound parameter; optional clauses are added only for filters
// that are set.
func (r *Runner) SearchLogs(ctx context.Context, who Caller, q LogSearch, s store.Settings) (*store.Result, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	params := map[string]string{
		"from":  fmtTime(q.From),
		"to":    fmtTime(q.To),
		"limit": strconv.Itoa(q.Limit),
	}
	var b strings.Builder
	b.WriteString("SELECT timestamp, service, host, level, body, stream, trace_id FROM logs\n")
	b.WriteString("WHERE timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}")
	if q.Text != "" {
		b.WriteString("\n  AND positionCaseInsensitiveUTF8(body, {text:String}) > 0")
		params["text"] = q.Text
	}
	if q.Service != "" {
		b.WriteString("\n  AND service = {service:String}")
		params["service"] = q.Service
	}
	if q.Level != "" {
		b.WriteString("\n  AND level = {level:String}")
		params["level"] = q.Level
	}
	if q.Stream != "" {
		b.WriteString("\n  AND stream = {stream:String}")
		params["stream"] = q.Stream
	}
	b.WriteString("\nORDER BY timestamp DESC\nLIMIT {limit:UInt32}")
	s.ReadOnly = true
	sq := store.Query{SQL: b.String(), Params: params, Settings: s}
	return r.run(ctx, who, sq, Entry{Template: "logs.search", Params: params})
}

// fmtTime writes t the way ClickHouse parses a DateTime64(3) parameter (UTC).
func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }
