package query

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// TemplateRun is a finished run as the API shows it: the result, and what
// ran — the values used (defaults included), the absolute range, and
// whether the result came from the cache.
type TemplateRun struct {
	*TemplateResult
	// Params are the values the statement ran with, by name, as JSON
	// values (durations and times as text); unset optional parameters are
	// absent.
	Params   map[string]any
	From, To time.Time
	// Cached is true when the result was reused: from the cache, or from an
	// identical run in flight.
	Cached bool
}

// prepared is a checked request: the statement variant and its bound values.
type prepared struct {
	t      *Template
	sql    string
	params map[string]string // bound text, by placeholder name
	values map[string]any    // for TemplateRun.Params
	given  map[string]any    // for TemplateRef.Values
}

// ref names the version that runs, with the values the request set.
func (p *prepared) ref() TemplateRef {
	r := p.t.Ref()
	r.Values = p.given
	return r
}

// ResolveRange resolves a request's from and to by TemplateRange against
// now rounded down to the cache's lifetime, so one relative range maps to
// one cache entry for that long.
func (c *Catalog) ResolveRange(from, to string) (time.Time, time.Time, error) {
	r := TemplateRange
	r.Align = max(c.cfg.CacheTTL, time.Second)
	return r.Resolve(from, to, c.now())
}

// CheckTemplate implements Templates: it validates req as RunTemplate
// would, without running it. values_query enums are checked with read-only
// settings and no scope.
func (c *Catalog) CheckTemplate(ctx context.Context, req TemplateRequest) (TemplateRef, error) {
	t, err := c.lookup(ctx, req.Template, req.Version)
	if err != nil {
		return TemplateRef{}, err
	}
	p, err := c.prepare(ctx, t, req, store.Settings{ReadOnly: true})
	if err != nil {
		return TemplateRef{}, err
	}
	return p.ref(), nil
}

// RunTemplate implements Templates.
func (c *Catalog) RunTemplate(ctx context.Context, who Caller, req TemplateRequest, s store.Settings) (*TemplateResult, error) {
	run, err := c.Run(ctx, who, req, s)
	if err != nil {
		return nil, err
	}
	return run.TemplateResult, nil
}

// Run checks req, renders the statement and runs it for who in a read-only
// session with s (limits and scope, enforced by ClickHouse). Identical
// requests (same version, values, range and settings) share one run while
// it is in flight and its result for the cache's lifetime. Every request is
// recorded in the query audit: the run itself with its statistics, and each
// reuse with the caller, no rows read and the time it waited.
func (c *Catalog) Run(ctx context.Context, who Caller, req TemplateRequest, s store.Settings) (*TemplateRun, error) {
	start := time.Now()
	refused := func(err error) (*TemplateRun, error) {
		c.r.audit.Record(refusedEntry(start, who, req, err))
		return nil, err
	}
	t, err := c.lookup(ctx, req.Template, req.Version)
	if err != nil {
		return refused(err)
	}
	s.ReadOnly = true
	p, err := c.prepare(ctx, t, req, s)
	if err != nil {
		return refused(err)
	}
	if err := t.checkVariant(ctx, c.r.st, p); err != nil {
		return refused(err)
	}
	if s, err = c.archiveSettings(ctx, t, req.From, req.To, s); err != nil {
		return refused(err)
	}
	q := store.Query{SQL: p.sql, Params: p.params, Settings: s}
	entry := Entry{Template: t.ID, TemplateVersion: uint32(t.Version), Params: p.params, SQL: p.sql}
	res, cached, err := c.r.runCached(ctx, c.cache, cacheKey(t.ID+"\x00"+strconv.Itoa(t.Version), q), who, q, entry)
	if err != nil {
		return nil, err
	}
	return &TemplateRun{
		TemplateResult: &TemplateResult{TemplateRef: p.ref(), SQL: p.sql, Result: res},
		Params:         p.values, From: req.From.UTC(), To: req.To.UTC(), Cached: cached,
	}, nil
}

// maxAuditValue caps each value of a refused request in the audit.
const maxAuditValue = 1024

// refusedEntry records a request that never reached the engine (an
// unknown template, a bad value): the users who keep failing are the ones a
// template's owner wants to find in query_log.
func refusedEntry(start time.Time, who Caller, req TemplateRequest, err error) Entry {
	params := make(map[string]string, len(req.Params)+2)
	for name, v := range req.Params {
		b, _ := json.Marshal(v)
		if len(b) > maxAuditValue {
			b = append(b[:maxAuditValue], "…"...)
		}
		if len(name) > 128 {
			name = name[:128] + "…"
		}
		params[name] = string(b)
	}
	params[ParamFrom], params[ParamTo] = fmtTime(req.From), fmtTime(req.To)
	id := req.Template
	if len(id) > 128 {
		id = id[:128] + "…"
	}
	return Entry{Time: start, Caller: who, Template: id, TemplateVersion: req.Version, Params: params, Err: err, Duration: time.Since(start)}
}

// prepare checks every value of req against t and renders the statement.
// Errors are BadInput and name the parameter.
func (c *Catalog) prepare(ctx context.Context, t *Template, req TemplateRequest, s store.Settings) (*prepared, error) {
	if req.From.IsZero() || req.To.IsZero() {
		return nil, fault.New(fault.BadInput, "from and to are required")
	}
	if !req.From.Before(req.To) {
		return nil, fault.New(fault.BadInput, "from (%s) must be before to (%s)", req.From.UTC().Format(time.RFC3339Nano), req.To.UTC().Format(time.RFC3339Nano))
	}
	var unknown []string
	for name := range req.Params {
		if t.byName[name] == nil {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		name := unknown[0]
		if name == ParamFrom || name == ParamTo {
			return nil, fault.New(fault.BadInput, "param %q: the time range is the request's from and to, not a parameter", name)
		}
		takes := "no parameters"
		if names := t.paramNames(false); len(names) > 0 {
			takes = strings.Join(names, ", ")
		}
		return nil, fault.New(fault.BadInput, "param %s: unknown; template %s v%d takes %s", show(name), t.ID, t.Version, takes)
	}
	now := c.now().UTC()
	values, given := map[string]any{}, map[string]any{}
	for _, p := range t.params {
		raw, set := req.Params[p.Name]
		if isEmpty(p.typ, raw) {
			set = false
		}
		if !set {
			if p.Default == nil {
				if p.Required {
					return nil, fault.New(fault.BadInput, "param %q: is required", p.Name)
				}
				continue
			}
			raw = p.Default
		}
		v, err := p.check(raw, now)
		if err != nil {
			return nil, fault.New(fault.BadInput, "param %q: %v", p.Name, err)
		}
		values[p.Name] = v
		if set {
			given[p.Name] = jsonValue(v)
		}
	}
	env := map[string]any{ParamFrom: req.From.UTC(), ParamTo: req.To.UTC()}
	for _, p := range t.params {
		if v, ok := values[p.Name]; ok {
			env[p.Name] = v
		} else {
			env[p.Name] = zeroOf(p.typ)
		}
	}
	for _, p := range t.params {
		if _, ok := values[p.Name]; !ok {
			continue
		}
		if p.prog != nil {
			ok, err := expr.Run(p.prog, env)
			if err != nil {
				return nil, fault.New(fault.BadInput, "param %q: constraint %s cannot be checked: %s", p.Name, p.Constraint, firstLine(err.Error()))
			}
			if ok != true {
				msg := p.Message
				if msg == "" {
					msg = "must satisfy " + p.Constraint
				}
				return nil, fault.New(fault.BadInput, "param %q: %s", p.Name, msg)
			}
		}
		if p.values != nil {
			e, err := c.enumEntry(ctx, t, p, s)
			if err != nil {
				return nil, err
			}
			if x := values[p.Name].(string); !e.allowed[x] {
				return nil, fault.New(fault.BadInput, "param %q: %s is not one of the %d allowed values", p.Name, show(x), len(e.values))
			}
		}
	}
	sql, names := t.render(func(name string) bool { _, ok := values[name]; return ok })
	out := &prepared{t: t, sql: sql, params: make(map[string]string, len(names)), values: make(map[string]any, len(values)), given: given}
	for name, v := range values {
		out.values[name] = jsonValue(v)
	}
	for _, name := range names {
		var v any
		typ := TypeTime
		switch name {
		case ParamFrom:
			v = req.From
		case ParamTo:
			v = req.To
		default:
			v, typ = values[name], t.byName[name].typ
		}
		text, err := bindText(typ, t.types[name], v)
		if err != nil {
			return nil, fault.New(fault.BadInput, "param %q: %v", name, err)
		}
		out.params[name] = text
	}
	return out, nil
}

// isEmpty: an absent value, null, "" and [] all leave a parameter unset
// (a form's empty field means "no filter"), and so does a list written as
// text with no items (" , ").
func isEmpty(t ParamType, v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		if t == TypeStringList || t == TypeIntList {
			return len(listText(x)) == 0
		}
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// checkVariant makes sure the statement variant about to run is one read
// query (checks 1 and 2 of catalog_check.go). Load checks the variants it
// can; a variant first seen here is checked once and remembered.
func (t *Template) checkVariant(ctx context.Context, st store.Store, p *prepared) error {
	if v, ok := t.checked.Load(p.sql); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	ast, err := readStatement(ctx, st, p.sql, p.params)
	if err == nil {
		err = t.checkArchiveTables(ast)
	}
	if err != nil {
		if store.KindOf(err) == fault.Unavailable {
			return err
		}
		err = fault.New(fault.BadInput, "template %s v%d cannot run with these parameters set: the statement %v", t.ID, t.Version, err)
		t.checked.Store(p.sql, err)
		return err
	}
	t.checked.Store(p.sql, nil)
	return nil
}

// enumValues returns a values_query enum's values for the caller's
// settings.
func (c *Catalog) enumValues(ctx context.Context, t *Template, p *param, s store.Settings) ([]string, error) {
	s.ReadOnly = true
	e, err := c.enumEntry(ctx, t, p, s)
	if err != nil {
		return nil, err
	}
	return e.values, nil
}

func (c *Catalog) enumEntry(ctx context.Context, t *Template, p *param, s store.Settings) (enumEntry, error) {
	key := t.ID + "\x00" + strconv.Itoa(t.Version) + "\x00" + p.Name + "\x00" + settingsKey(s)
	now := c.now()
	if e, ok := c.enums.get(key, now); ok {
		return e, nil
	}
	sql := renderSQL(p.values, func(string) bool { return false }, nil)
	// The look-up is the server's own read, not a run of the template: it
	// goes to the engine directly, with the caller's settings (so their
	// scope and limits), and not to query_log, where it counted as a user
	// run of the template in "Most used templates". The caller's run or
	// refusal that needed it is audited as usual.
	res, err := c.r.st.Query(ctx, store.Query{SQL: sql, Settings: s})
	if err != nil {
		return enumEntry{}, fmt.Errorf("param %q: cannot read the allowed values: %w", p.Name, err)
	}
	e := enumEntry{allowed: map[string]bool{}, expires: now.Add(c.enums.ttl)}
	for _, r := range res.Rows {
		if len(r) == 0 || len(e.values) >= maxEnumValues {
			continue
		}
		v := store.CellString(r[0])
		if !e.allowed[v] {
			e.allowed[v] = true
			e.values = append(e.values, v)
		}
	}
	c.enums.put(key, e)
	return e, nil
}

// Statement returns the statement and bound values req would run with, for
// benchmarks that time the engine alone against the API.
func (c *Catalog) Statement(ctx context.Context, req TemplateRequest, s store.Settings) (string, map[string]string, error) {
	t, err := c.lookup(ctx, req.Template, req.Version)
	if err != nil {
		return "", nil, err
	}
	p, err := c.prepare(ctx, t, req, s)
	if err != nil {
		return "", nil, err
	}
	return p.sql, p.params, nil
}
