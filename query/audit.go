package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Caller is who a query runs for, as recorded in the audit.
type Caller struct {
	User   string
	Role   string
	Source string // ui, api, cli, dashboard, link, alert
}

// Entry is one query_log row.
type Entry struct {
	Time            time.Time
	Caller          Caller
	Template        string
	TemplateVersion uint32
	Params          map[string]string
	SQL             string
	Err             error
	Duration        time.Duration
	Stats           store.Stats
	ResultRows      int
}

var (
	auditDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "logmart_query_audit_dropped_total",
		Help: "Query audit entries dropped because the audit queue was full or the write failed.",
	})
	queriesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_queries_total",
		Help: "Queries run on a caller's behalf, by source and status.",
	}, []string{"source", "status"})
	auditTruncated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "logmart_query_audit_truncated_total",
		Help: "Query audit entries of refused or failed requests whose SQL, parameters or error were cut to the audit's caps.",
	})
)

func init() { prometheus.MustRegister(auditDropped, queriesTotal, auditTruncated) }

// Caps on what a refused or failed request writes to query_log. Anyone who
// can send a request can have it refused, as fast as they can send it, so
// what it writes is bounded: SQL and error text to 4 KiB, at most 64
// parameters (by name order) of at most 256 bytes each. Every cut is
// marked in the text, with the size that was cut from. Requests that ran
// are recorded whole: the engine's work already paces them.
const (
	auditMaxSQL    = 4 << 10
	auditMaxError  = 4 << 10
	auditMaxParams = 64
	auditMaxValue  = 256
	// auditMaxName caps a template or parameter name.
	auditMaxName = 128
	// auditMoreParams is the parameter that counts those left out.
	auditMoreParams = "…"
)

// Audit writes query_log in batches from a bounded queue, so recording a
// query never slows or fails the query itself.
type Audit struct {
	st    store.Store
	log   *slog.Logger
	queue chan Entry
	wg    sync.WaitGroup
	stop  chan struct{}
}

// NewAudit starts the writer; Close flushes what is queued.
func NewAudit(st store.Store, log *slog.Logger) *Audit {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Audit{st: st, log: log, queue: make(chan Entry, 10000), stop: make(chan struct{})}
	a.wg.Add(1)
	go a.run()
	return a
}

// Record queues one entry; a full queue drops it and counts the drop. An
// entry with an error is first cut to the caps above.
func (a *Audit) Record(e Entry) {
	status := "ok"
	if e.Err != nil {
		status = "error"
		e = capped(e)
	}
	queriesTotal.WithLabelValues(e.Caller.Source, status).Inc()
	if a == nil {
		return
	}
	select {
	case a.queue <- e:
	default:
		auditDropped.Inc()
	}
}

// capped returns e with its SQL, parameters, template name and error text
// cut to the caps for refused or failed requests.
func capped(e Entry) Entry {
	cut := false
	if t, ok := clip(e.SQL, auditMaxSQL); ok {
		e.SQL, cut = t, true
	}
	if t, ok := clip(e.Template, auditMaxName); ok {
		e.Template, cut = t, true
	}
	if len(e.Params) > 0 {
		names := slices.Sorted(maps.Keys(e.Params))
		over := len(names) > auditMaxParams
		long := false
		for _, n := range names {
			if len(n) > auditMaxName || len(e.Params[n]) > auditMaxValue {
				long = true
				break
			}
		}
		if over || long {
			cut = true
			kept := names
			if over {
				kept = names[:auditMaxParams]
			}
			p := make(map[string]string, len(kept)+1)
			for _, n := range kept {
				v, _ := clip(e.Params[n], auditMaxValue)
				if short, ok := clip(n, auditMaxName); ok {
					n = short
				}
				p[n] = v
			}
			if over {
				p[auditMoreParams] = fmt.Sprintf("%d more parameters not recorded", len(names)-auditMaxParams)
			}
			e.Params = p
		}
	}
	if e.Err != nil {
		if t, ok := clip(e.Err.Error(), auditMaxError); ok {
			e.Err, cut = fault.Wrap(fault.KindOf(e.Err), errors.New(t)), true
		}
	}
	if cut {
		auditTruncated.Inc()
	}
	return e
}

// clip cuts s to at most limit bytes at a character boundary, marking the
// cut with the size s had; ok says it cut.
func clip(s string, limit int) (string, bool) {
	if len(s) <= limit {
		return s, false
	}
	mark := fmt.Sprintf("… [cut, %d bytes]", len(s))
	n := limit - len(mark)
	if n < 0 {
		n = 0
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + mark, true
}

func (a *Audit) run() {
	defer a.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var batch []Entry
	for {
		select {
		case e := <-a.queue:
			batch = append(batch, e)
			if len(batch) >= 1000 {
				a.flush(batch)
				batch = batch[:0]
			}
		case <-t.C:
			a.flush(batch)
			batch = batch[:0]
		case <-a.stop:
			for {
				select {
				case e := <-a.queue:
					batch = append(batch, e)
					continue
				default:
				}
				break
			}
			a.flush(batch)
			return
		}
	}
}

func (a *Audit) flush(batch []Entry) {
	if len(batch) == 0 {
		return
	}
	var (
		tm     = &store.Int64Column{Name: "time", Type: "DateTime64(3)"}
		user   = &store.StringColumn{Name: "user"}
		role   = &store.StringColumn{Name: "role"}
		source = &store.StringColumn{Name: "source"}
		tmpl   = &store.StringColumn{Name: "template"}
		ver    = &store.UInt32Column{Name: "template_version"}
		params = &store.StringColumn{Name: "params"}
		sql    = &store.StringColumn{Name: "sql"}
		status = &store.StringColumn{Name: "status"}
		errc   = &store.StringColumn{Name: "error"}
		dur    = &store.Float64Column{Name: "duration_ms"}
		rr     = &store.UInt64Column{Name: "rows_read"}
		br     = &store.UInt64Column{Name: "bytes_read"}
		res    = &store.UInt64Column{Name: "result_rows"}
	)
	for _, e := range batch {
		tm.Append(e.Time.UnixMilli())
		user.Append(e.Caller.User)
		role.Append(e.Caller.Role)
		source.Append(e.Caller.Source)
		tmpl.Append(e.Template)
		ver.Append(e.TemplateVersion)
		p := ""
		if len(e.Params) > 0 {
			b, _ := json.Marshal(e.Params)
			p = string(b)
		}
		params.Append(p)
		sql.Append(e.SQL)
		if e.Err != nil {
			status.Append("error")
			errc.Append(e.Err.Error())
		} else {
			status.Append("ok")
			errc.Append("")
		}
		dur.Append(float64(e.Duration.Microseconds()) / 1000)
		rr.Append(e.Stats.RowsRead)
		br.Append(e.Stats.BytesRead)
		res.Append(uint64(e.ResultRows))
	}
	b := &store.Block{Cols: []store.BlockColumn{tm, user, role, source, tmpl, ver, params, sql, status, errc, dur, rr, br, res}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.st.Insert(ctx, "query_log", b, ""); err != nil {
		auditDropped.Add(float64(len(batch)))
		a.log.Warn("cannot write query audit", "entries", len(batch), "err", err)
	}
}

// Close flushes queued entries and stops the writer.
func (a *Audit) Close() {
	close(a.stop)
	a.wg.Wait()
}
