package dashboards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Config configures the dashboards an instance serves (the dashboards:
// section).
type Config struct {
	// Dir holds the file-provisioned dashboards (*.yaml, one per file),
	// read at start and on reload, read-only in the API. Default
	// configs/dashboards.
	Dir string `yaml:"dir"`
	// InstanceVariables are what differs between this instance and the
	// others a dashboard is promoted to (env: prod, region: eu-west-1).
	// A dashboard writes ${name}; the instance resolves it when the
	// dashboard is shown and its panels run, so the definition, and its
	// hash, stay the same everywhere. Default env: local.
	InstanceVariables map[string]string `yaml:"instance_variables"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{Dir: "configs/dashboards", InstanceVariables: map[string]string{"env": "local"}}
}

// Validate reports the first field a user must fix.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("dashboards.dir must name a folder")
	}
	for name, v := range c.InstanceVariables {
		if !instanceVarRe.MatchString(name) {
			return fmt.Errorf("dashboards.instance_variables: %q is not a name (letters, digits and _, starting with a letter)", name)
		}
		if len(v) > 256 {
			return fmt.Errorf("dashboards.instance_variables.%s is %d bytes, more than 256", name, len(v))
		}
	}
	return nil
}

// Where a dashboard comes from.
const (
	SourceFile = "file"
	SourceAPI  = "api"
)

// ErrPrecondition is a write whose If-Match does not hold: a create of a
// uid that exists, or a replace or delete with a stale hash. server/
// answers it with 412.
var ErrPrecondition = errors.New("precondition failed")

// Entry is one dashboard an instance serves.
type Entry struct {
	Dashboard *Dashboard
	// Hash is the SHA-256 of the canonical form (what ETag and If-Match
	// carry).
	Hash string
	// Source is SourceFile or SourceAPI; File is the file's path for the
	// first.
	Source string
	File   string
	// Updated is the file's modification time, or the last API write's.
	Updated   time.Time
	UpdatedBy string
	revision  uint64
}

// Service serves the dashboards of one instance: the files of Config.Dir
// (provisioned read-only by Load) and the ones written through the API,
// kept in the dashboards table so every instance on the database sees
// them. A file's uid shadows a stored one.
//
// Writes are serialized within the instance; two instances writing one uid
// at the same moment may both succeed, and the later revision wins.
type Service struct {
	cfg Config
	st  store.Store
	tpl Templates
	log *slog.Logger

	mu    sync.Mutex // serializes writes and loads
	files atomic.Pointer[map[string]*Entry]
}

// New returns a Service over st. tpl, when not nil, checks API writes
// against the templates (as lint does, without EXPLAIN). Call Load before
// use.
func New(cfg Config, st store.Store, tpl Templates, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, st: st, tpl: tpl, log: log}
	empty := map[string]*Entry{}
	s.files.Store(&empty)
	return s
}

// Load reads Config.Dir and swaps its dashboards in; on any problem
// nothing changes and the error lists every problem as file:line. It is
// the provisioning at start and the "dashboards" reloader.
func (s *Service) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs, err := ReadDir(s.cfg.Dir)
	if err != nil {
		return err
	}
	next := make(map[string]*Entry, len(fs))
	for _, f := range fs {
		next[f.Dashboard.UID] = nil
	}
	stored, err := s.readStored(ctx, "")
	if err != nil {
		return err
	}
	if s.tpl != nil {
		exists := func(uid string) bool { _, ok := next[uid]; return ok || stored[uid] != nil }
		var probs []*Problem
		for _, f := range fs {
			probs = append(probs, Check(ctx, f.Dashboard, f.Positions, f.Path, s.tpl, LintOptions{Exists: exists})...)
		}
		if err := Problems(probs); err != nil {
			return err
		}
	}
	for _, f := range fs {
		h, err := Hash(f.Dashboard)
		if err != nil {
			return err
		}
		e := &Entry{Dashboard: f.Dashboard, Hash: h, Source: SourceFile, File: f.Path}
		if fi, err := os.Stat(f.Path); err == nil {
			e.Updated = fi.ModTime().UTC()
		}
		next[f.Dashboard.UID] = e
		if st := stored[f.Dashboard.UID]; st != nil {
			s.log.Warn("a file-provisioned dashboard shadows one saved through the API; the file's is served", "uid", f.Dashboard.UID, "file", f.Path)
		}
	}
	s.files.Store(&next)
	s.log.Info("dashboards provisioned", "dir", s.cfg.Dir, "dashboards", len(next))
	return nil
}

// List returns every dashboard, by folder, title and uid.
func (s *Service) List(ctx context.Context) ([]*Entry, error) {
	files := *s.files.Load()
	stored, err := s.readStored(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]*Entry, 0, len(files)+len(stored))
	for _, e := range files {
		out = append(out, e)
	}
	for uid, e := range stored {
		if files[uid] == nil {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Dashboard, out[j].Dashboard
		if a.Folder != b.Folder {
			return a.Folder < b.Folder
		}
		if a.Title != b.Title {
			return a.Title < b.Title
		}
		return a.UID < b.UID
	})
	return out, nil
}

// Get returns one dashboard; NotFound when there is none.
func (s *Service) Get(ctx context.Context, uid string) (*Entry, error) {
	if e := (*s.files.Load())[uid]; e != nil {
		return e, nil
	}
	stored, err := s.readStored(ctx, uid)
	if err != nil {
		return nil, err
	}
	if e := stored[uid]; e != nil {
		return e, nil
	}
	return nil, fault.New(fault.NotFound, "no dashboard %s", quoteUID(uid))
}

// Put creates or replaces the dashboard uid from body (the model, JSON or
// YAML). With ifMatch empty it creates, and refuses a uid that exists
// (ErrPrecondition); with ifMatch it replaces the dashboard whose hash is
// ifMatch ("*" matches any). Writing what is already there changes
// nothing. File-provisioned dashboards are Forbidden.
func (s *Service) Put(ctx context.Context, uid string, body []byte, ifMatch, who string) (e *Entry, created bool, err error) {
	d, pos, err := Decode(body, "")
	if err != nil {
		return nil, false, err
	}
	if d.UID != uid {
		return nil, false, fault.New(fault.BadInput, "uid: %q in the body differs from %s in the path", d.UID, quoteUID(uid))
	}
	if f := (*s.files.Load())[uid]; f != nil {
		return nil, false, readOnly(f)
	}
	if s.tpl != nil {
		// As lint does in CI: every panel's query, with the variables'
		// defaults, must pass the engine's EXPLAIN, so a broken panel is
		// neither saved nor promoted here.
		if err := Problems(Check(ctx, d, pos, "", s.tpl, LintOptions{Exists: s.exists(ctx), Explain: true})); err != nil {
			return nil, false, err
		}
	}
	h, err := Hash(d)
	if err != nil {
		return nil, false, err
	}
	body, err = Canonical(d)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := (*s.files.Load())[uid]; f != nil {
		return nil, false, readOnly(f)
	}
	stored, err := s.readStored(ctx, uid)
	if err != nil {
		return nil, false, err
	}
	cur := stored[uid]
	switch {
	case ifMatch == "" && cur != nil:
		return nil, false, fmt.Errorf("%w: dashboard %s exists (hash %s); send If-Match with its hash to replace it", ErrPrecondition, quoteUID(uid), cur.Hash)
	case ifMatch != "" && cur == nil:
		return nil, false, fmt.Errorf("%w: If-Match: no dashboard %s to replace; leave If-Match out to create it", ErrPrecondition, quoteUID(uid))
	case ifMatch != "" && ifMatch != "*" && ifMatch != cur.Hash:
		return nil, false, fmt.Errorf("%w: If-Match %s is stale: dashboard %s is now %s (changed by %s at %s); read it again and reapply your change",
			ErrPrecondition, ifMatch, quoteUID(uid), cur.Hash, cur.UpdatedBy, cur.Updated.Format(time.RFC3339))
	case cur != nil && cur.Hash == h:
		return cur, false, nil
	}
	var rev uint64
	if cur != nil {
		rev = cur.revision + 1
	} else if rev, err = s.lastRevision(ctx, uid); err != nil {
		return nil, false, err
	} else {
		rev++
	}
	now := time.Now().UTC()
	if err := s.write(ctx, uid, rev, h, string(body), false, now, who); err != nil {
		return nil, false, err
	}
	return &Entry{Dashboard: d, Hash: h, Source: SourceAPI, Updated: now.Truncate(time.Millisecond), UpdatedBy: who, revision: rev}, cur == nil, nil
}

// Delete removes an API dashboard; with ifMatch only when its hash is
// ifMatch. NotFound when there is none, Forbidden for a file's.
func (s *Service) Delete(ctx context.Context, uid, ifMatch, who string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := (*s.files.Load())[uid]; f != nil {
		return readOnly(f)
	}
	stored, err := s.readStored(ctx, uid)
	if err != nil {
		return err
	}
	cur := stored[uid]
	if cur == nil {
		return fault.New(fault.NotFound, "no dashboard %s", quoteUID(uid))
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != cur.Hash {
		return fmt.Errorf("%w: If-Match %s is stale: dashboard %s is now %s; read it again before deleting it", ErrPrecondition, ifMatch, quoteUID(uid), cur.Hash)
	}
	return s.write(ctx, uid, cur.revision+1, "", "", true, time.Now().UTC(), who)
}

func (s *Service) exists(ctx context.Context) func(string) bool {
	return func(uid string) bool {
		_, err := s.Get(ctx, uid)
		return err == nil
	}
}

func readOnly(f *Entry) error {
	return fault.New(fault.Forbidden, "dashboard %s is provisioned from the file %s and is read-only here; change the file (then reload), or save a copy under another uid", quoteUID(f.Dashboard.UID), f.File)
}

func quoteUID(uid string) string {
	if len(uid) > 64 {
		uid = uid[:64] + "…"
	}
	return strconv.Quote(uid)
}

func (s *Service) write(ctx context.Context, uid string, rev uint64, hash, body string, deleted bool, at time.Time, who string) error {
	del := "0"
	if deleted {
		del = "1"
	}
	err := s.st.Exec(ctx, store.Query{
		SQL: `INSERT INTO dashboards (uid, revision, hash, body, deleted, updated_at, updated_by)
VALUES ({uid:String}, {rev:UInt64}, {hash:String}, {body:String}, {deleted:UInt8}, fromUnixTimestamp64Milli({at:Int64}), {who:String})`,
		Params: map[string]string{"uid": uid, "rev": strconv.FormatUint(rev, 10), "hash": hash, "body": body, "deleted": del,
			"at": strconv.FormatInt(at.UnixMilli(), 10), "who": who},
	})
	if err != nil {
		return fmt.Errorf("cannot write dashboard %s to the dashboards table: %w", quoteUID(uid), err)
	}
	return nil
}

// lastRevision is uid's highest revision, a delete's included (0 when it
// has none): a dashboard created again after a delete must write above the
// delete's row, or the delete stays the latest and the new one is never
// served.
func (s *Service) lastRevision(ctx context.Context, uid string) (uint64, error) {
	res, err := s.st.Query(ctx, store.Query{SQL: "SELECT max(revision) FROM dashboards WHERE uid = {uid:String}", Params: map[string]string{"uid": uid}})
	if err != nil {
		return 0, fmt.Errorf("cannot read the dashboards table: %w", err)
	}
	if len(res.Rows) == 0 || len(res.Rows[0]) == 0 {
		return 0, nil
	}
	return store.CellUint64(res.Rows[0][0]), nil
}

// readStored reads the latest revision of every stored dashboard (of uid
// alone when not empty), without the deleted ones.
func (s *Service) readStored(ctx context.Context, uid string) (map[string]*Entry, error) {
	sql := `SELECT uid, max(revision), argMax(hash, revision), argMax(body, revision), argMax(deleted, revision),
       toUnixTimestamp64Milli(argMax(updated_at, revision)), argMax(updated_by, revision)
FROM dashboards`
	var params map[string]string
	if uid != "" {
		sql += "\nWHERE uid = {uid:String}"
		params = map[string]string{"uid": uid}
	}
	res, err := s.st.Query(ctx, store.Query{SQL: sql + "\nGROUP BY uid", Params: params})
	if err != nil {
		return nil, fmt.Errorf("cannot read the dashboards table: %w", err)
	}
	out := make(map[string]*Entry, len(res.Rows))
	for _, r := range res.Rows {
		if len(r) < 7 || store.CellUint64(r[4]) == 1 {
			continue
		}
		id := store.CellString(r[0])
		body := store.CellString(r[3])
		d, _, err := Decode([]byte(body), "")
		if err != nil {
			// A row written by a newer or older model: say so, serve the rest.
			s.log.Warn("a stored dashboard no longer decodes; it is not served", "uid", id, "err", strings.ReplaceAll(err.Error(), "\n", "; "))
			continue
		}
		out[id] = &Entry{Dashboard: d, Hash: store.CellString(r[2]), Source: SourceAPI, revision: store.CellUint64(r[1]),
			Updated: store.CellUnixMilli(r[5]), UpdatedBy: store.CellString(r[6])}
	}
	return out, nil
}

// CurrentHash is the hash the instance serves for uid: the dashboard
// kind's CurrentHash for the PromotionLog.
func (s *Service) CurrentHash(ctx context.Context, uid string) (string, error) {
	e, err := s.Get(ctx, uid)
	if err != nil {
		return "", err
	}
	return e.Hash, nil
}
