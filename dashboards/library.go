package dashboards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Kind is what a Library knows of one content kind (dashboards, monitors):
// how an item decodes, is named, is written canonically and is checked
// against the rest of the instance.
type Kind[T any] struct {
	// Name is the kind in messages and in promotion ("dashboard").
	Name string
	// Table keeps the items written through the API. Its columns are
	// those of the dashboards table (schema step 0012).
	Table string
	// Decode reads one item strictly and validates it on its own.
	Decode func(b []byte, file string) (T, Positions, error)
	UID    func(T) string
	// Canonical is the item's canonical form, which its hash fingerprints
	// and promotion copies.
	Canonical func(T) ([]byte, error)
	// Check finds what Decode cannot see: the templates an item runs and
	// the other items it names (exists says whether a uid of this kind is
	// known). With explain the engine checks the item's queries too. Nil
	// checks nothing more.
	Check func(ctx context.Context, it T, pos Positions, file string, exists func(string) bool, explain bool) []*Problem
	// Less orders List; nil orders by uid.
	Less func(a, b T) bool
}

// Stored is one item an instance serves.
type Stored[T any] struct {
	Item T
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

// ItemFile is one decoded file of content.
type ItemFile[T any] struct {
	Path      string
	Item      T
	Positions Positions
}

// Library serves the items of one kind on one instance: the files of a
// folder (provisioned read-only by Load) and the ones written through the
// API, kept in the kind's table so every instance on the database sees
// them. A file's uid shadows a stored one.
//
// Writes are serialized within the instance; two instances writing one uid
// at the same moment may both succeed, and the later revision wins.
type Library[T any] struct {
	kind Kind[T]
	dir  string
	st   store.Store
	log  *slog.Logger

	mu    sync.Mutex // serializes writes and loads
	files atomic.Pointer[map[string]*Stored[T]]
}

// NewLibrary returns the library of kind over dir and st. Call Load
// before use.
func NewLibrary[T any](kind Kind[T], dir string, st store.Store, log *slog.Logger) *Library[T] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Library[T]{kind: kind, dir: dir, st: st, log: log}
	empty := map[string]*Stored[T]{}
	l.files.Store(&empty)
	return l
}

// Load reads the folder and swaps its items in; on any problem nothing
// changes and the error lists every problem as file:line. It is the
// provisioning at start and the kind's reloader.
func (l *Library[T]) Load(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	fs, err := ReadItems(l.kind, l.dir)
	if err != nil {
		return err
	}
	stored, err := l.readStored(ctx, "")
	if err != nil {
		return err
	}
	next := make(map[string]*Stored[T], len(fs))
	for _, f := range fs {
		next[l.kind.UID(f.Item)] = nil
	}
	if l.kind.Check != nil {
		exists := func(uid string) bool { _, ok := next[uid]; return ok || stored[uid] != nil }
		var probs []*Problem
		for _, f := range fs {
			probs = append(probs, l.kind.Check(ctx, f.Item, f.Positions, f.Path, exists, false)...)
		}
		if err := Problems(probs); err != nil {
			return err
		}
	}
	for _, f := range fs {
		c, err := l.kind.Canonical(f.Item)
		if err != nil {
			return err
		}
		uid := l.kind.UID(f.Item)
		e := &Stored[T]{Item: f.Item, Hash: hashBytes(c), Source: SourceFile, File: f.Path}
		if fi, err := os.Stat(f.Path); err == nil {
			e.Updated = fi.ModTime().UTC()
		}
		next[uid] = e
		if stored[uid] != nil {
			l.log.Warn("a file-provisioned "+l.kind.Name+" shadows one saved through the API; the file's is served", "uid", uid, "file", f.Path)
		}
	}
	l.files.Store(&next)
	l.log.Info(l.kind.Name+"s provisioned", "dir", l.dir, "items", len(next))
	return nil
}

// List returns every item, in the kind's order.
func (l *Library[T]) List(ctx context.Context) ([]*Stored[T], error) {
	files := *l.files.Load()
	stored, err := l.readStored(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]*Stored[T], 0, len(files)+len(stored))
	for _, e := range files {
		out = append(out, e)
	}
	for uid, e := range stored {
		if files[uid] == nil {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if l.kind.Less != nil {
			return l.kind.Less(out[i].Item, out[j].Item)
		}
		return l.kind.UID(out[i].Item) < l.kind.UID(out[j].Item)
	})
	return out, nil
}

// Get returns one item; NotFound when there is none.
func (l *Library[T]) Get(ctx context.Context, uid string) (*Stored[T], error) {
	if e := (*l.files.Load())[uid]; e != nil {
		return e, nil
	}
	stored, err := l.readStored(ctx, uid)
	if err != nil {
		return nil, err
	}
	if e := stored[uid]; e != nil {
		return e, nil
	}
	return nil, fault.New(fault.NotFound, "no %s %s", l.kind.Name, quoteUID(uid))
}

// CurrentHash is the hash the instance serves for uid: the kind's
// CurrentHash for the PromotionLog.
func (l *Library[T]) CurrentHash(ctx context.Context, uid string) (string, error) {
	e, err := l.Get(ctx, uid)
	if err != nil {
		return "", err
	}
	return e.Hash, nil
}

// Put creates or replaces the item uid from body (the model, JSON or
// YAML). With ifMatch empty it creates, and refuses a uid that exists
// (ErrPrecondition); with ifMatch it replaces the item whose hash is
// ifMatch ("*" matches any). Writing what is already there changes
// nothing. File-provisioned items are Forbidden. The item is checked as
// lint checks it, with the engine's EXPLAIN, so a broken one is neither
// saved nor promoted here.
func (l *Library[T]) Put(ctx context.Context, uid string, body []byte, ifMatch, who string) (e *Stored[T], created bool, err error) {
	it, pos, err := l.kind.Decode(body, "")
	if err != nil {
		return nil, false, err
	}
	if got := l.kind.UID(it); got != uid {
		return nil, false, fault.New(fault.BadInput, "uid: %q in the body differs from %s in the path", got, quoteUID(uid))
	}
	if f := (*l.files.Load())[uid]; f != nil {
		return nil, false, l.readOnly(uid, f)
	}
	if l.kind.Check != nil {
		if err := Problems(l.kind.Check(ctx, it, pos, "", l.exists(ctx), true)); err != nil {
			return nil, false, err
		}
	}
	body, err = l.kind.Canonical(it)
	if err != nil {
		return nil, false, err
	}
	h := hashBytes(body)
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := (*l.files.Load())[uid]; f != nil {
		return nil, false, l.readOnly(uid, f)
	}
	stored, err := l.readStored(ctx, uid)
	if err != nil {
		return nil, false, err
	}
	cur := stored[uid]
	name := l.kind.Name + " " + quoteUID(uid)
	switch {
	case ifMatch == "" && cur != nil:
		return nil, false, fmt.Errorf("%w: %s exists (hash %s); send If-Match with its hash to replace it", ErrPrecondition, name, cur.Hash)
	case ifMatch != "" && cur == nil:
		return nil, false, fmt.Errorf("%w: If-Match: no %s to replace; leave If-Match out to create it", ErrPrecondition, name)
	case ifMatch != "" && ifMatch != "*" && ifMatch != cur.Hash:
		return nil, false, fmt.Errorf("%w: If-Match %s is stale: %s is now %s (changed by %s at %s); read it again and reapply your change",
			ErrPrecondition, ifMatch, name, cur.Hash, cur.UpdatedBy, cur.Updated.Format(time.RFC3339))
	case cur != nil && cur.Hash == h:
		return cur, false, nil
	}
	var rev uint64
	if cur != nil {
		rev = cur.revision + 1
	} else if rev, err = l.lastRevision(ctx, uid); err != nil {
		return nil, false, err
	} else {
		rev++
	}
	now := time.Now().UTC()
	if err := l.write(ctx, uid, rev, h, string(body), false, now, who); err != nil {
		return nil, false, err
	}
	return &Stored[T]{Item: it, Hash: h, Source: SourceAPI, Updated: now.Truncate(time.Millisecond), UpdatedBy: who, revision: rev}, cur == nil, nil
}

// Delete removes an API item; with ifMatch only when its hash is ifMatch.
// NotFound when there is none, Forbidden for a file's.
func (l *Library[T]) Delete(ctx context.Context, uid, ifMatch, who string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := (*l.files.Load())[uid]; f != nil {
		return l.readOnly(uid, f)
	}
	stored, err := l.readStored(ctx, uid)
	if err != nil {
		return err
	}
	cur := stored[uid]
	if cur == nil {
		return fault.New(fault.NotFound, "no %s %s", l.kind.Name, quoteUID(uid))
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != cur.Hash {
		return fmt.Errorf("%w: If-Match %s is stale: %s %s is now %s; read it again before deleting it", ErrPrecondition, ifMatch, l.kind.Name, quoteUID(uid), cur.Hash)
	}
	return l.write(ctx, uid, cur.revision+1, "", "", true, time.Now().UTC(), who)
}

func (l *Library[T]) exists(ctx context.Context) func(string) bool {
	return func(uid string) bool {
		_, err := l.Get(ctx, uid)
		return err == nil
	}
}

func (l *Library[T]) readOnly(uid string, f *Stored[T]) error {
	return fault.New(fault.Forbidden, "%s %s is provisioned from the file %s and is read-only here; change the file (then reload), or save a copy under another uid", l.kind.Name, quoteUID(uid), f.File)
}

func (l *Library[T]) write(ctx context.Context, uid string, rev uint64, hash, body string, deleted bool, at time.Time, who string) error {
	del := "0"
	if deleted {
		del = "1"
	}
	err := l.st.Exec(ctx, store.Query{
		SQL: "INSERT INTO " + l.kind.Table + ` (uid, revision, hash, body, deleted, updated_at, updated_by)
VALUES ({uid:String}, {rev:UInt64}, {hash:String}, {body:String}, {deleted:UInt8}, fromUnixTimestamp64Milli({at:Int64}), {who:String})`,
		Params: map[string]string{"uid": uid, "rev": strconv.FormatUint(rev, 10), "hash": hash, "body": body, "deleted": del,
			"at": strconv.FormatInt(at.UnixMilli(), 10), "who": who},
	})
	if err != nil {
		return fmt.Errorf("cannot write %s %s to the %s table: %w", l.kind.Name, quoteUID(uid), l.kind.Table, err)
	}
	return nil
}

// lastRevision is uid's highest revision, a delete's included (0 when it
// has none): an item created again after a delete must write above the
// delete's row, or the delete stays the latest and the new one is never
// served.
func (l *Library[T]) lastRevision(ctx context.Context, uid string) (uint64, error) {
	res, err := l.st.Query(ctx, store.Query{SQL: "SELECT max(revision) FROM " + l.kind.Table + " WHERE uid = {uid:String}", Params: map[string]string{"uid": uid}})
	if err != nil {
		return 0, fmt.Errorf("cannot read the %s table: %w", l.kind.Table, err)
	}
	if len(res.Rows) == 0 || len(res.Rows[0]) == 0 {
		return 0, nil
	}
	return store.CellUint64(res.Rows[0][0]), nil
}

// readStored reads the latest revision of every stored item (of uid alone
// when not empty), without the deleted ones.
func (l *Library[T]) readStored(ctx context.Context, uid string) (map[string]*Stored[T], error) {
	sql := `SELECT uid, max(revision), argMax(hash, revision), argMax(body, revision), argMax(deleted, revision),
       toUnixTimestamp64Milli(argMax(updated_at, revision)), argMax(updated_by, revision)
FROM ` + l.kind.Table
	var params map[string]string
	if uid != "" {
		sql += "\nWHERE uid = {uid:String}"
		params = map[string]string{"uid": uid}
	}
	res, err := l.st.Query(ctx, store.Query{SQL: sql + "\nGROUP BY uid", Params: params})
	if err != nil {
		return nil, fmt.Errorf("cannot read the %s table: %w", l.kind.Table, err)
	}
	out := make(map[string]*Stored[T], len(res.Rows))
	for _, r := range res.Rows {
		if len(r) < 7 || store.CellUint64(r[4]) == 1 {
			continue
		}
		id := store.CellString(r[0])
		it, _, err := l.kind.Decode([]byte(store.CellString(r[3])), "")
		if err != nil {
			// A row written by a newer or older model: say so, serve the rest.
			l.log.Warn("a stored "+l.kind.Name+" no longer decodes; it is not served", "uid", id, "err", strings.ReplaceAll(err.Error(), "\n", "; "))
			continue
		}
		out[id] = &Stored[T]{Item: it, Hash: store.CellString(r[2]), Source: SourceAPI, revision: store.CellUint64(r[1]),
			Updated: store.CellUnixMilli(r[5]), UpdatedBy: store.CellString(r[6])}
	}
	return out, nil
}

// ReadItems decodes every *.yaml and *.yml file in dir (sorted by name),
// and refuses two files with one uid. A missing folder holds none.
func ReadItems[T any](kind Kind[T], dir string) ([]ItemFile[T], error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	paths, err := yamlFiles(dir)
	if err != nil {
		return nil, err
	}
	fs, errs := readItemFiles(kind, paths)
	if len(errs) > 0 {
		return nil, fault.Wrap(fault.BadInput, errors.Join(errs...))
	}
	return fs, nil
}

func yamlFiles(dir string) ([]string, error) {
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, fmt.Errorf("cannot list the files in %q: %w", dir, err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	return files, nil
}

// readItemFiles decodes paths: the files that decode, and every problem
// of the others.
func readItemFiles[T any](kind Kind[T], paths []string) ([]ItemFile[T], []error) {
	var errs []error
	var out []ItemFile[T]
	byUID := map[string]string{}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, &Problem{File: path, Msg: fmt.Sprintf("cannot read: %v", err)})
			continue
		}
		it, pos, err := kind.Decode(b, path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid := kind.UID(it)
		if prev, ok := byUID[uid]; ok {
			errs = append(errs, &Problem{File: path, Line: pos.Line("uid"), Field: "uid", Msg: fmt.Sprintf("%q is also the uid of %s; a uid names one %s", uid, prev, kind.Name)})
			continue
		}
		byUID[uid] = path
		out = append(out, ItemFile[T]{Path: path, Item: it, Positions: pos})
	}
	return out, errs
}

// LintItems checks the items in paths (files, or folders of *.yaml) as a
// whole: each file's schema, then each against the rest (Kind.Check, with
// explain as given). exists says whether an item outside the set exists.
// It returns how many items it checked; the error lists every problem as
// file:line: field: message.
func LintItems[T any](ctx context.Context, kind Kind[T], paths []string, exists func(string) bool, explain bool) (int, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return 0, fault.New(fault.BadInput, "cannot lint %q: %v", p, err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		fs, err := yamlFiles(p)
		if err != nil {
			return 0, err
		}
		files = append(files, fs...)
	}
	fs, errs := readItemFiles(kind, files)
	uids := map[string]bool{}
	for _, f := range fs {
		uids[kind.UID(f.Item)] = true
	}
	known := func(uid string) bool { return uids[uid] || (exists != nil && exists(uid)) }
	if kind.Check != nil {
		for _, f := range fs {
			for _, p := range kind.Check(ctx, f.Item, f.Positions, f.Path, known, explain) {
				errs = append(errs, p)
			}
		}
	}
	if len(errs) > 0 {
		return len(fs), fault.Wrap(fault.BadInput, errors.Join(errs...))
	}
	return len(fs), nil
}
