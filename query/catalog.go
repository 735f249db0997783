package query

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Config configures the template catalog (the templates: section).
type Config struct {
	// Dir holds the template files (*.yaml, one template per file).
	// Default configs/templates.
	Dir string `yaml:"dir"`
	// CacheTTL is how long a template result is reused for an identical
	// request (same template version, values, range and caller settings).
	// Relative ranges ("now-1h") resolve against now rounded down to it, so
	// a dashboard opened by many people within that window runs each panel
	// once. The overview page's reads are reused for as long. 0 turns the
	// cache off (identical concurrent requests still run once). Default
	// 10s.
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// CacheEntries caps the cached results; the least recently used goes
	// first. Results over 10000 rows are not cached. Default 1000.
	CacheEntries int `yaml:"cache_entries"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{Dir: "configs/templates", CacheTTL: 10 * time.Second, CacheEntries: 1000}
}

// Validate reports the first field a user must fix.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("templates.dir must name a folder")
	case c.CacheTTL < 0 || c.CacheTTL > time.Hour:
		return fmt.Errorf("templates.cache_ttl must be between 0 and 1h, got %s", c.CacheTTL)
	case c.CacheEntries < 0 || c.CacheEntries > 1_000_000:
		return fmt.Errorf("templates.cache_entries must be between 0 and 1000000, got %d", c.CacheEntries)
	}
	return nil
}

// Catalog holds the checked templates and runs them. Every version ever
// loaded stays runnable: versions no longer in the files are read back from
// query_templates, because shared links pin them.
//
// A Catalog is safe for concurrent use; Load swaps the whole set at once.
type Catalog struct {
	cfg   Config
	r     *Runner
	log   *slog.Logger
	now   func() time.Time
	cache *resultCache
	enums *enumCache
	// archive is the archive read in place, for archive templates; nil
	// where it is not (SetArchive).
	archive atomic.Pointer[archiveSource]

	loadMu sync.Mutex
	state  atomic.Pointer[catalogState]
}

// catalogState is one loaded set of templates.
type catalogState struct {
	// current is each template id's version in the files.
	current map[string]*Template
	// versions holds every known version: the files' and the stored ones.
	versions map[string]map[uint32]*Template
	// fetched holds versions recorded by other instances since the load
	// (versionKey → *Template).
	fetched sync.Map
}

// NewCatalog returns an empty catalog whose templates run through r (its
// store and audit). Call Load before use.
func NewCatalog(cfg Config, r *Runner, log *slog.Logger) *Catalog {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{cfg: cfg, r: r, log: log, now: time.Now,
		cache: newResultCache(cfg.CacheTTL, cfg.CacheEntries), enums: newEnumCache(enumValuesTTL)}
	c.state.Store(&catalogState{current: map[string]*Template{}, versions: map[string]map[uint32]*Template{}})
	return c
}

// Load reads the template folder, checks every template (YAML, parameters,
// placeholders, then ClickHouse: one read statement that EXPLAINs against
// the live schema) and its version against query_templates, records new
// versions there, and swaps the set in. On any problem nothing changes and
// the error lists every problem as file:line: message. A missing folder
// loads no templates.
func (c *Catalog) Load(ctx context.Context) error {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	st := c.r.st
	if _, err := os.Stat(c.cfg.Dir); errors.Is(err, os.ErrNotExist) {
		c.log.Warn("no template folder; no templates loaded", "dir", c.cfg.Dir)
		return nil
	}
	stored, err := readStoredVersions(ctx, st)
	if err != nil {
		return err
	}
	files, err := loadTemplates(ctx, c.cfg.Dir, st, stored)
	if err != nil {
		return err
	}
	for _, t := range files {
		if _, ok := stored[versionKey{t.ID, uint32(t.Version)}]; ok {
			continue
		}
		if err := recordVersion(ctx, st, t); err != nil {
			return err
		}
		c.log.Info("template version recorded", "template", t.ID, "version", t.Version, "file", t.File)
	}
	next := &catalogState{current: map[string]*Template{}, versions: map[string]map[uint32]*Template{}}
	add := func(t *Template) {
		if next.versions[t.ID] == nil {
			next.versions[t.ID] = map[uint32]*Template{}
		}
		next.versions[t.ID][uint32(t.Version)] = t
	}
	for _, t := range files {
		add(t)
		if cur := next.current[t.ID]; cur == nil || cur.Version < t.Version {
			next.current[t.ID] = t
		}
	}
	for k, sv := range stored {
		if next.versions[k.id][k.version] != nil {
			continue
		}
		t, err := sv.compile()
		if err != nil {
			c.log.Warn("a stored template version no longer compiles; it cannot run", "template", k.id, "version", k.version, "err", err)
			continue
		}
		add(t)
	}
	c.state.Store(next)
	c.log.Info("templates loaded", "dir", c.cfg.Dir, "templates", len(next.current))
	return nil
}

// LintOptions configure Lint.
type LintOptions struct {
	// CompareStored also compares each file with the versions recorded in
	// st's query_templates (a changed spec without a version bump is an
	// error). Without it, versions are checked within the file set only.
	CompareStored bool
}

// Lint checks every template in dir as Load would, against st's schema,
// and records nothing. The error lists every problem as file:line: message.
func Lint(ctx context.Context, dir string, st store.Store, o LintOptions) error {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("template folder %q: not a folder", dir)
	}
	var stored map[versionKey]*storedVersion
	if o.CompareStored {
		var err error
		if stored, err = readStoredVersions(ctx, st); err != nil {
			return err
		}
	}
	_, err := loadTemplates(ctx, dir, st, stored)
	return err
}

// loadTemplates reads and checks dir's templates: each file alone, the file
// set (one file per id and version), each against the engine, and each
// against the stored versions.
func loadTemplates(ctx context.Context, dir string, st store.Store, stored map[versionKey]*storedVersion) ([]*Template, error) {
	paths, err := templateFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list templates in %q: %w", dir, err)
	}
	var errs []error
	var out []*Template
	seen := map[versionKey]*Template{}
	for _, path := range paths {
		t, probs := readTemplateFile(path)
		if len(probs) > 0 {
			errs = append(errs, probs...)
			continue
		}
		k := versionKey{t.ID, uint32(t.Version)}
		if prev := seen[k]; prev != nil {
			errs = append(errs, &TemplateError{File: path, Line: 1, Msg: fmt.Sprintf("template %s version %d is also defined in %s; give each version one file", t.ID, t.Version, prev.File)})
			continue
		}
		seen[k] = t
		if sv := stored[k]; sv != nil && sv.hash != t.Hash {
			errs = append(errs, &TemplateError{File: path, Line: t.versionLine, Msg: fmt.Sprintf(
				"template %s version %d changed without a version bump (the version recorded on %s from %s has other sql or params); set version: %d",
				t.ID, t.Version, sv.loadedAt.UTC().Format(time.RFC3339), sv.file, nextVersion(t.ID, stored, seen))})
			continue
		}
		if probs := checkWithEngine(ctx, st, t); len(probs) > 0 {
			errs = append(errs, probs...)
			continue
		}
		out = append(out, t)
	}
	if len(errs) > 0 {
		return nil, fault.Wrap(fault.BadInput, errors.Join(errs...))
	}
	return out, nil
}

// nextVersion is one above every version known for id.
func nextVersion(id string, stored map[versionKey]*storedVersion, files map[versionKey]*Template) uint32 {
	var top uint32
	for k := range stored {
		if k.id == id && k.version > top {
			top = k.version
		}
	}
	for k := range files {
		if k.id == id && k.version > top {
			top = k.version
		}
	}
	return top + 1
}

// lookup finds a template version: the files' one when version is 0. A
// version the catalog has not seen is looked up in query_templates, where
// another instance may have recorded it.
func (c *Catalog) lookup(ctx context.Context, id string, version uint32) (*Template, error) {
	s := c.state.Load()
	if version == 0 {
		if t := s.current[id]; t != nil {
			return t, nil
		}
		if vs := s.versions[id]; len(vs) > 0 {
			return nil, fault.New(fault.NotFound, "template %s is no longer in the catalog; its versions %s can still run: pass version", show(id), versionList(vs))
		}
		return nil, fault.New(fault.NotFound, "no template %s", show(id))
	}
	if t := s.versions[id][version]; t != nil {
		return t, nil
	}
	if t, ok := s.fetched.Load(versionKey{id, version}); ok {
		return t.(*Template), nil
	}
	if templateIDRe.MatchString(id) {
		sv, err := readStoredVersion(ctx, c.r.st, id, version)
		if err != nil {
			return nil, err
		}
		if sv != nil {
			t, err := sv.compile()
			if err != nil {
				return nil, err
			}
			s.fetched.Store(versionKey{id, version}, t)
			return t, nil
		}
	}
	if vs := s.versions[id]; len(vs) > 0 {
		return nil, fault.New(fault.NotFound, "template %q has no version %d (versions: %s)", id, version, versionList(vs))
	}
	return nil, fault.New(fault.NotFound, "no template %s", show(id))
}

func versionList(vs map[uint32]*Template) string {
	nums := make([]uint32, 0, len(vs))
	for v := range vs {
		nums = append(nums, v)
	}
	slices.Sort(nums)
	return fmt.Sprint(nums)
}

// TemplateInfo is a template version as the API lists it. from and to are
// implicit and not listed.
type TemplateInfo struct {
	ID            string      `json:"id"`
	Version       uint32      `json:"version"`
	Title         string      `json:"title"`
	Description   string      `json:"description,omitempty"`
	Owner         string      `json:"owner,omitempty"`
	Tags          []string    `json:"tags"`
	Params        []ParamInfo `json:"params"`
	Visualization string      `json:"visualization"`
	// Chart names the columns the visualization draws; absent, the UI
	// infers them from the result.
	Chart *ChartSpec `json:"chart,omitempty"`
	// Versions are every version that can run, oldest first.
	Versions []uint32 `json:"versions"`
	// Hash fingerprints this version's SQL and parameters: two instances
	// holding one version with different hashes hold different
	// templates, which dashboard promotion refuses to paper over.
	Hash string `json:"hash"`
	// SQL is the template's statement as written (placeholders and
	// {{if}} blocks), in single-template answers only.
	SQL string `json:"sql,omitempty"`
	// Archive marks a template that reads the archive in place.
	Archive bool `json:"archive,omitempty"`
}

// ParamInfo is a parameter as the API lists it, enough to build a form.
type ParamInfo struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Default     any    `json:"default,omitempty"`
	Description string `json:"description,omitempty"`
	// Values are an enum's allowed values (evaluated for values_query
	// enums, with the caller's scope).
	Values      []string `json:"values,omitempty"`
	ValuesError string   `json:"values_error,omitempty"`
	MaxLen      int      `json:"max_len,omitempty"`
	MaxItems    int      `json:"max_items,omitempty"`
	Min         any      `json:"min,omitempty"`
	Max         any      `json:"max,omitempty"`
	Constraint  string   `json:"constraint,omitempty"`
	Message     string   `json:"message,omitempty"`
}

// List returns the current version of every template, sorted by id.
// values_query enums are evaluated for the caller's settings s.
func (c *Catalog) List(ctx context.Context, s store.Settings) []TemplateInfo {
	st := c.state.Load()
	ids := make([]string, 0, len(st.current))
	for id := range st.current {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]TemplateInfo, 0, len(ids))
	for _, id := range ids {
		out = append(out, c.info(ctx, st.current[id], s))
	}
	return out
}

// Info returns one template version (the current one when version is 0),
// with its SQL.
func (c *Catalog) Info(ctx context.Context, id string, version uint32, s store.Settings) (*TemplateInfo, error) {
	t, err := c.lookup(ctx, id, version)
	if err != nil {
		return nil, err
	}
	info := c.info(ctx, t, s)
	info.SQL = t.SQL
	return &info, nil
}

func (c *Catalog) info(ctx context.Context, t *Template, s store.Settings) TemplateInfo {
	info := TemplateInfo{ID: t.ID, Version: uint32(t.Version), Title: t.Title, Description: t.Description, Owner: t.Owner,
		Tags: t.Tags, Visualization: t.Visualization, Chart: t.Chart, Params: []ParamInfo{}, Hash: t.Hash, Archive: t.Archive}
	if info.Tags == nil {
		info.Tags = []string{}
	}
	for v := range c.state.Load().versions[t.ID] {
		info.Versions = append(info.Versions, v)
	}
	if !slices.Contains(info.Versions, info.Version) {
		info.Versions = append(info.Versions, info.Version)
	}
	slices.Sort(info.Versions)
	for _, p := range t.params {
		pi := ParamInfo{Name: p.Name, Type: p.Type, Required: p.Required, Description: p.Description,
			Values: p.Values, Constraint: p.Constraint, Message: p.Message, Min: jsonValue(p.min), Max: jsonValue(p.max)}
		if p.def != nil {
			pi.Default = jsonValue(p.def)
			if p.typ == TypeTime {
				pi.Default = p.Default // relative defaults stay relative
			}
		}
		if p.hasText() {
			pi.MaxLen = p.maxLen()
		}
		if p.isList() {
			pi.MaxItems = p.maxItems()
		}
		if p.values != nil {
			vals, err := c.enumValues(ctx, t, p, s)
			if err != nil {
				pi.ValuesError = err.Error()
			} else {
				pi.Values = vals
			}
		}
		info.Params = append(info.Params, pi)
	}
	return info
}
