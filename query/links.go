package query

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// TemplateRequest is one run of a template: which version, with which
// parameter values, over which absolute range.
type TemplateRequest struct {
	Template string
	// Version 0 means the latest version.
	Version uint32
	// Params are JSON values (strings, json.Number, bools, slices) by name.
	// Any value may be text ("5", "true", "a,b"): the template's parameter
	// types it.
	Params   map[string]any
	From, To time.Time
}

// TemplateRef names the template version a request resolved to.
type TemplateRef struct {
	Template      string
	Version       uint32
	Title         string
	Visualization string
	// Chart names the columns the visualization draws; nil infers them.
	Chart *ChartSpec
	// Values are the values the request set (defaults left out), typed by
	// the version's parameters and written as JSON values: numbers, bools,
	// lists as arrays, durations and times as text, a relative time made
	// absolute. A link pins these, so "5" and 5 pin the same link.
	Values map[string]any
}

// TemplateResult is a finished template run.
type TemplateResult struct {
	TemplateRef
	// SQL is the rendered statement, with {name:Type} placeholders.
	SQL    string
	Result *store.Result
}

// Templates is what shared links need from the template engine. The engine
// keeps every version a link may pin runnable; implementations are safe for
// concurrent use.
type Templates interface {
	// CheckTemplate validates req exactly as RunTemplate would (template,
	// version, parameter values, range) without running it, and names the
	// version that would run: the latest when req.Version is 0. Errors are
	// fault-kinded: BadInput naming the parameter, NotFound for an unknown
	// template or version.
	CheckTemplate(ctx context.Context, req TemplateRequest) (TemplateRef, error)
	// RunTemplate runs req for who, with s applied by ClickHouse, and records
	// the run in the query audit.
	RunTemplate(ctx context.Context, who Caller, req TemplateRequest, s store.Settings) (*TemplateResult, error)
}

// Limits of a shared link.
const (
	MaxLinkTitle       = 200
	MaxLinkNote        = 4000
	MaxLinkParamsBytes = 64 << 10
	// MaxSnapshotRows bounds a frozen result, as LinkConfig.MaxSnapshotBytes
	// does its size; a larger result is refused at creation rather than
	// frozen in part.
	MaxSnapshotRows = 10000
	// linkIDBytes is a link id's entropy: 160 bits from crypto/rand, written
	// as 32 base32 characters.
	linkIDBytes = 20
	linkIDLen   = 32
)

var linkIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// LinkRequest is what a caller asks to pin.
type LinkRequest struct {
	Template string
	Version  uint32 // 0: the latest version at creation
	Params   map[string]any
	// From and To are absolute or relative ("now-1h", "last 1h"); relative
	// ends are resolved when the link is created. See ResolveLinkRange.
	From, To    string
	Title, Note string
	// Snapshot freezes the result at creation, so the link still shows rows
	// after the data ages out.
	Snapshot bool
}

// Link is a pinned request. Links never change once created.
type Link struct {
	ID        string         `json:"id"`
	Template  string         `json:"template"`
	Version   uint32         `json:"version"`
	Params    map[string]any `json:"params"`
	From      time.Time      `json:"from"`
	To        time.Time      `json:"to"`
	Title     string         `json:"title"`
	Note      string         `json:"note"`
	CreatedAt time.Time      `json:"created_at"`
	CreatedBy string         `json:"created_by"`
	// Snapshot is the frozen result, when the link has one and the reader may
	// see it.
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	// SnapshotHidden says why a frozen result exists but is not shown.
	SnapshotHidden string `json:"snapshot_hidden,omitempty"`
	// SnapshotExpiresAt is when the frozen result is dropped
	// (links.snapshot_retention_days after it was taken); set while the
	// link has one, shown or hidden.
	SnapshotExpiresAt *time.Time `json:"snapshot_expires_at,omitempty"`
	// SnapshotExpired says that the link had a frozen result and when it
	// was dropped; the pinned request still reruns.
	SnapshotExpired string `json:"snapshot_expired,omitempty"`

	// scopes are the creator's table filters when the link was made.
	scopes map[string]string
}

// Snapshot is a result frozen when its link was created.
type Snapshot struct {
	At            time.Time      `json:"at"`
	Columns       []store.Column `json:"columns"`
	Rows          [][]any        `json:"rows"`
	Stats         SnapshotStats  `json:"stats"`
	SQL           string         `json:"sql"`
	Visualization string         `json:"visualization"`
}

// SnapshotStats are what ClickHouse reported for the frozen run.
type SnapshotStats struct {
	RowsRead  uint64  `json:"rows_read"`
	BytesRead uint64  `json:"bytes_read"`
	ElapsedMs float64 `json:"elapsed_ms"`
}

// URL is the link's path in the UI.
func (l *Link) URL() string { return "/s/" + l.ID }

// Markdown is the line to paste into a postmortem:
// [<title> (<template> vN, <from> – <to> UTC)](<base>/s/<id>). base is the
// server's absolute URL, without a trailing slash.
func (l *Link) Markdown(base string) string {
	title := l.Title
	if title == "" {
		title = l.Template
	}
	return fmt.Sprintf("[%s (%s v%d, %s – %s UTC)](%s%s)", mdEscape(title), mdEscape(l.Template), l.Version,
		FormatLinkTime(l.From), FormatLinkTime(l.To), strings.TrimRight(base, "/"), l.URL())
}

// FormatLinkTime writes a pinned end the way the UI and the Markdown line
// show it: UTC, seconds, milliseconds only when set.
func FormatLinkTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02 15:04:05.000")
	}
	return t.Format("2006-01-02 15:04:05")
}

// mdEscape keeps a title on one line and its brackets from ending the link
// text.
func mdEscape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(s)
}

// Links creates and reads shared links in the shared_links table.
type Links struct {
	st        store.Store
	tmpl      Templates
	cfg       LinkConfig
	admission *linkAdmission
	now       func() time.Time
	retention func() (shortest, longest time.Duration)
}

// LinkOptions configure Links; zero values take the defaults.
type LinkOptions struct {
	// Config bounds snapshots and how many links a caller may create; it
	// must be valid. Default (nil): DefaultLinkConfig().
	Config *LinkConfig
	// Retention returns the shortest and longest stream retention in force,
	// for HotStatus. Default: unknown, every range counts as complete.
	Retention func() (shortest, longest time.Duration)
	// Now is the clock relative ranges are resolved against, and the one
	// the rate, the quota and snapshot expiry are judged by. Default
	// time.Now.
	Now func() time.Time
}

// NewLinks returns the shared-link service over st, running templates with t.
func NewLinks(st store.Store, t Templates, o LinkOptions) *Links {
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := DefaultLinkConfig()
	if o.Config != nil {
		cfg = *o.Config
	}
	return &Links{st: st, tmpl: t, cfg: cfg, admission: newLinkAdmission(st, cfg), now: o.Now, retention: o.Retention}
}

// Create validates req, pins it (resolving a relative range and the latest
// version), freezes the result when asked, and stores the link. Running the
// snapshot is audited with source "link". s are the creator's settings: the
// snapshot runs with them, and their table filters are kept with the link.
//
// A caller over links.rate_per_minute or links.quota_per_day gets a
// fault.RateLimited error saying when to retry; a snapshot over
// links.max_snapshot_bytes or MaxSnapshotRows is fault.Limit, and nothing
// is stored.
func (l *Links) Create(ctx context.Context, who Caller, req LinkRequest, s store.Settings) (link *Link, err error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	now := l.now().UTC()
	from, to, err := ResolveLinkRange(req.From, req.To, now)
	if err != nil {
		return nil, err
	}
	if to.After(now.Add(time.Minute)) {
		return nil, fault.New(fault.BadInput, "to (%s) is in the future: a link pins a range that has already happened", to.Format(time.RFC3339))
	}
	params, _, err := canonicalParams(req.Params)
	if err != nil {
		return nil, err
	}
	adm, err := l.admission.admit(ctx, who.User, now)
	if err != nil {
		return nil, err
	}
	ran := false
	defer func() { adm.finish(ran, err == nil) }()
	treq := TemplateRequest{Template: req.Template, Version: req.Version, Params: params, From: from, To: to}
	link = &Link{
		Template: req.Template, Params: params, From: from, To: to,
		Title: strings.TrimSpace(req.Title), Note: strings.TrimSpace(req.Note),
		CreatedAt: now.Truncate(time.Millisecond), CreatedBy: who.User, scopes: s.TableFilters,
	}
	var snapJSON []byte
	if req.Snapshot {
		who.Source = "link"
		ran = true
		res, err := l.tmpl.RunTemplate(ctx, who, treq, s)
		if err != nil {
			return nil, err
		}
		link.Version, link.Params = res.Version, res.Values
		link.Snapshot = newSnapshot(res, l.now())
		if n := len(link.Snapshot.Rows); n > MaxSnapshotRows {
			linksRefused.WithLabelValues(refusedSnapshot).Inc()
			return nil, fault.New(fault.Limit, "snapshot: the result has %d rows, more than the %d a link can freeze; narrow the range or the parameters, or share without a snapshot", n, MaxSnapshotRows)
		}
		if snapJSON, err = json.Marshal(link.Snapshot); err != nil {
			return nil, fmt.Errorf("cannot encode the snapshot: %w", err)
		}
		if n, limit := len(snapJSON), l.cfg.MaxSnapshotBytes; n > limit {
			linksRefused.WithLabelValues(refusedSnapshot).Inc()
			return nil, fault.New(fault.Limit, "snapshot: the result is %s of JSON (%d bytes), more than links.max_snapshot_bytes allows (%s, %d bytes); narrow the range or the parameters, or share without a snapshot",
				sizeText(n), n, sizeText(limit), limit)
		}
		exp := link.Snapshot.At.Truncate(time.Second).Add(l.cfg.snapshotRetention())
		link.SnapshotExpiresAt = &exp
	} else {
		ref, err := l.tmpl.CheckTemplate(ctx, treq)
		if err != nil {
			return nil, err
		}
		link.Version, link.Params = ref.Version, ref.Values
	}
	// Pin the values as the template typed them: "5" and 5 are one link.
	var canon string
	if link.Params, canon, err = canonicalParams(link.Params); err != nil {
		return nil, err
	}
	if link.Version == 0 {
		return nil, fmt.Errorf("template %q resolved to version 0", req.Template)
	}
	if link.ID, err = newLinkID(); err != nil {
		return nil, err
	}
	scopes := ""
	if len(s.TableFilters) > 0 {
		b, _ := json.Marshal(s.TableFilters)
		scopes = string(b)
	}
	p := map[string]string{
		"id": link.ID, "created_at": fmtTime(link.CreatedAt), "created_by": link.CreatedBy,
		"template": link.Template, "version": strconv.FormatUint(uint64(link.Version), 10),
		"params": canon, "from": fmtTime(from), "to": fmtTime(to),
		"title": link.Title, "note": link.Note, "scopes": scopes,
		"has_snapshot": "0", "snapshot": "", "snapshot_at": fmtTime(now),
		"expires": strconv.FormatInt(now.Add(l.cfg.snapshotRetention()).Unix(), 10),
	}
	if link.Snapshot != nil {
		p["has_snapshot"], p["snapshot"], p["snapshot_at"] = "1", string(snapJSON), fmtTime(link.Snapshot.At)
		p["expires"] = strconv.FormatInt(link.SnapshotExpiresAt.Unix(), 10)
	}
	err = l.st.Exec(ctx, store.Query{SQL: `INSERT INTO shared_links
  (id, created_at, created_by, template, version, params, from_time, to_time, title, note, scopes, snapshot, snapshot_at, snapshot_expires_at)
SELECT {id:String}, {created_at:DateTime64(3)}, {created_by:String}, {template:String}, {version:UInt32},
  {params:String}, {from:DateTime64(3)}, {to:DateTime64(3)}, {title:String}, {note:String}, {scopes:String},
  if({has_snapshot:UInt8} = 1, {snapshot:String}, NULL), if({has_snapshot:UInt8} = 1, {snapshot_at:DateTime64(3)}, NULL),
  toDateTime({expires:Int64})`, Params: p})
	if err != nil {
		return nil, fmt.Errorf("cannot store the shared link: %w", err)
	}
	return link, nil
}

func (r LinkRequest) validate() error {
	switch {
	case strings.TrimSpace(r.Template) == "":
		return fault.New(fault.BadInput, "template is required")
	case len(r.Template) > 128 || !utf8.ValidString(r.Template):
		return fault.New(fault.BadInput, "template %s is not a template id", show(r.Template))
	case !utf8.ValidString(r.Title) || !utf8.ValidString(r.Note):
		return fault.New(fault.BadInput, "title and note must be valid UTF-8")
	case utf8.RuneCountInString(r.Title) > MaxLinkTitle:
		return fault.New(fault.BadInput, "title is %d characters, more than %d", utf8.RuneCountInString(r.Title), MaxLinkTitle)
	case utf8.RuneCountInString(r.Note) > MaxLinkNote:
		return fault.New(fault.BadInput, "note is %d characters, more than %d", utf8.RuneCountInString(r.Note), MaxLinkNote)
	}
	return nil
}

// canonicalParams copies the values and writes them as canonical JSON
// (sorted keys, numbers as given), which is what the link stores.
func canonicalParams(in map[string]any) (map[string]any, string, error) {
	out := maps.Clone(in)
	if out == nil {
		out = map[string]any{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, "", fault.New(fault.BadInput, "params cannot be written as JSON: %v", err)
	}
	if len(b) > MaxLinkParamsBytes {
		return nil, "", fault.New(fault.BadInput, "params are %d bytes of JSON, more than %d", len(b), MaxLinkParamsBytes)
	}
	// Decode the canonical text back, so the returned values are exactly what
	// a later Get returns (json.Number for numbers).
	params, err := decodeParams(b)
	if err != nil {
		return nil, "", fault.New(fault.BadInput, "params: %v", err)
	}
	return params, string(b), nil
}

// DecodeParams reads a JSON object of parameter values, keeping numbers as
// json.Number so no digit is lost.
func DecodeParams(b []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(b)) == 0 || bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return map[string]any{}, nil
	}
	p, err := decodeParams(b)
	if err != nil {
		return nil, fault.New(fault.BadInput, "params must be a JSON object of values by name: %v", err)
	}
	return p, nil
}

func decodeParams(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var p map[string]any
	if err := d.Decode(&p); err != nil {
		return nil, err
	}
	if p == nil {
		p = map[string]any{}
	}
	return p, nil
}

func newSnapshot(r *TemplateResult, at time.Time) *Snapshot {
	s := &Snapshot{At: at.UTC().Truncate(time.Millisecond), SQL: r.SQL, Visualization: r.Visualization, Columns: []store.Column{}, Rows: [][]any{}}
	if r.Result != nil {
		if r.Result.Columns != nil {
			s.Columns = r.Result.Columns
		}
		if r.Result.Rows != nil {
			s.Rows = r.Result.Rows
		}
		s.Stats = SnapshotStats{RowsRead: r.Result.Stats.RowsRead, BytesRead: r.Result.Stats.BytesRead,
			ElapsedMs: float64(r.Result.Stats.Elapsed.Microseconds()) / 1000}
	}
	return s
}

// newLinkID returns 160 random bits as 32 lowercase base32 characters.
func newLinkID() (string, error) {
	b := make([]byte, linkIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot draw a random link id: %w", err)
	}
	return linkIDEncoding.EncodeToString(b), nil
}

// ValidLinkID reports whether id has the shape of a link id.
func ValidLinkID(id string) bool {
	if len(id) != linkIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Get returns the pinned request with id. The frozen result is included
// only when the reader's table filters (s.TableFilters) are none, or the
// ones the creator had: a frozen result must not show a scoped reader rows
// outside their scope. A frozen result past its SnapshotExpiresAt is gone
// for every reader, whether or not ClickHouse has dropped it from disk
// yet; the link then says so in SnapshotExpired. Unknown and malformed ids
// are NotFound.
func (l *Links) Get(ctx context.Context, id string, s store.Settings) (*Link, error) {
	if !ValidLinkID(id) {
		return nil, fault.New(fault.NotFound, "no shared link %s", show(id))
	}
	now := l.now().UTC()
	res, err := l.st.Query(ctx, store.Query{SQL: `SELECT id, toUnixTimestamp64Milli(created_at), created_by, template, version, params,
  toUnixTimestamp64Milli(from_time), toUnixTimestamp64Milli(to_time), title, note, scopes,
  if(snapshot_expires_at > toDateTime({now:Int64}), snapshot, NULL),
  toUnixTimestamp64Milli(snapshot_at), toUnixTimestamp(snapshot_expires_at)
FROM shared_links WHERE id = {id:String} LIMIT 1`, Params: map[string]string{"id": id, "now": strconv.FormatInt(now.Unix(), 10)}})
	if err != nil {
		return nil, fmt.Errorf("cannot read shared link %s: %w", id, err)
	}
	if len(res.Rows) == 0 {
		return nil, fault.New(fault.NotFound, "no shared link %q", id)
	}
	r := res.Rows[0]
	link := &Link{ID: store.CellString(r[0]), CreatedBy: store.CellString(r[2]), Template: store.CellString(r[3]), Title: store.CellString(r[8]), Note: store.CellString(r[9])}
	link.CreatedAt, link.From, link.To = store.CellUnixMilli(r[1]), store.CellUnixMilli(r[6]), store.CellUnixMilli(r[7])
	v, err := strconv.ParseUint(store.CellString(r[4]), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("shared link %s has version %v: %w", id, r[4], err)
	}
	link.Version = uint32(v)
	if link.Params, err = decodeParams([]byte(store.CellString(r[5]))); err != nil {
		return nil, fmt.Errorf("shared link %s has unreadable params: %w", id, err)
	}
	if sc := store.CellString(r[10]); sc != "" {
		if err := json.Unmarshal([]byte(sc), &link.scopes); err != nil {
			return nil, fmt.Errorf("shared link %s has unreadable scopes: %w", id, err)
		}
	}
	if r[12] != nil && r[11] == nil {
		// The link had a frozen result, past its retention: dropped by
		// ClickHouse, or about to be.
		link.SnapshotExpired = fmt.Sprintf("the result frozen at %s UTC was kept until %s UTC (links.snapshot_retention_days) and has been dropped; the link still pins its template version, values and range, and the live result reruns them",
			FormatLinkTime(store.CellUnixMilli(r[12])), FormatLinkTime(store.CellUnix(r[13])))
	}
	if r[11] != nil {
		exp := store.CellUnix(r[13])
		link.SnapshotExpiresAt = &exp
		if len(s.TableFilters) > 0 && !maps.Equal(s.TableFilters, link.scopes) {
			link.SnapshotHidden = "the frozen result was taken with a different data scope than your token's, so it is not shown; the live result below runs with your scope"
		} else {
			d := json.NewDecoder(strings.NewReader(store.CellString(r[11])))
			d.UseNumber()
			var snap Snapshot
			if err := d.Decode(&snap); err != nil {
				return nil, fmt.Errorf("shared link %s has an unreadable snapshot: %w", id, err)
			}
			link.Snapshot = &snap
		}
	}
	return link, nil
}

// Run reruns the link's pinned request (template version, parameter
// values, absolute range) for who, audited with source "link", with the
// caller's own settings: a link never widens what its reader may see.
func (l *Links) Run(ctx context.Context, who Caller, id string, s store.Settings) (*Link, *TemplateResult, error) {
	link, err := l.Get(ctx, id, s)
	if err != nil {
		return nil, nil, err
	}
	who.Source = "link"
	res, err := l.tmpl.RunTemplate(ctx, who, link.Request(), s)
	if err != nil {
		return link, nil, err
	}
	return link, res, nil
}

// Request is the template run the link pins.
func (l *Link) Request() TemplateRequest {
	return TemplateRequest{Template: l.Template, Version: l.Version, Params: maps.Clone(l.Params), From: l.From, To: l.To}
}

// HotStatus says how much of a link's range the hot store still holds,
// judged by the stream retentions in force.
type HotStatus string

// The hot-store states of a link's range.
const (
	// HotComplete: the whole range is within every stream's retention.
	HotComplete HotStatus = "complete"
	// HotPartial: the range starts before the shortest retention; rows of
	// some streams have aged out.
	HotPartial HotStatus = "partial"
	// HotGone: the range ends before the longest retention; no rows of it
	// are left in the hot store.
	HotGone HotStatus = "gone"
)

// Hot judges link's range against the stream retentions at now.
func (l *Links) Hot(link *Link) HotStatus {
	if l.retention == nil {
		return HotComplete
	}
	shortest, longest := l.retention()
	now := l.now()
	switch {
	case longest > 0 && link.To.Before(now.Add(-longest)):
		return HotGone
	case shortest > 0 && link.From.Before(now.Add(-shortest)):
		return HotPartial
	}
	return HotComplete
}

// sizeText writes a byte count the way the links: limits are read: KiB or
// MiB with one decimal, bytes under 1 KiB.
func sizeText(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}
