package query

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/logmart/logmart/fault"
)

// LockFileName is the lock of spec hashes kept beside the template files.
const LockFileName = "templates.lock"

// lockHeader opens every lock file LockTemplates writes.
const lockHeader = `# Spec hashes of every released template version, one "id version sha256:hash"
# a line, like go.sum. logmart templates lint checks the files against it;
# only logmart templates lint --update-lock changes it. Lines stay when their
# file goes, so a version number is never reused for another spec.
`

// LockOptions configure CheckLock.
type LockOptions struct {
	// Path is the lock file. Default: templates.lock in the template folder.
	Path string
	// Update adds the versions the lock lacks and rewrites the hashes of
	// versions whose spec changed: for versions not yet released anywhere.
	// Without it a missing or different entry is an error.
	Update bool
}

type lockEntry struct {
	key  versionKey
	hash string
}

// CheckLock compares the spec hash of every template version in dir with
// the lock, as the server compares it with the versions it has recorded: a
// version whose sql or params changed without a bump fails here, in CI,
// instead of at the server's next start. A version the lock lacks fails
// too, so each new version is added on purpose (Update). Files that do not
// read are left to Lint. It reports whether Update changed the file.
func CheckLock(dir string, o LockOptions) (changed bool, err error) {
	if o.Path == "" {
		o.Path = filepath.Join(dir, LockFileName)
	}
	locked, err := readLock(o.Path)
	if err != nil && !(o.Update && errors.Is(err, os.ErrNotExist)) {
		if errors.Is(err, os.ErrNotExist) {
			return false, fault.New(fault.BadInput, "no template lock %s: run logmart templates lint --update-lock and commit it", o.Path)
		}
		return false, err
	}
	paths, err := templateFiles(dir)
	if err != nil {
		return false, fmt.Errorf("cannot list templates in %q: %w", dir, err)
	}
	byKey := map[versionKey]int{}
	for i, e := range locked {
		byKey[e.key] = i
	}
	var errs []error
	for _, path := range paths {
		t, probs := readTemplateFile(path)
		if len(probs) > 0 {
			continue
		}
		k := versionKey{t.ID, uint32(t.Version)}
		i, ok := byKey[k]
		switch {
		case ok && locked[i].hash == t.Hash:
		case o.Update && ok:
			locked[i].hash, changed = t.Hash, true
		case o.Update:
			byKey[k] = len(locked)
			locked, changed = append(locked, lockEntry{k, t.Hash}), true
		case ok:
			errs = append(errs, &TemplateError{File: path, Line: t.versionLine, Msg: fmt.Sprintf(
				"template %s version %d changed without a version bump (its sql or params differ from the hash in %s); set version: %d, or, if version %d was never released, run logmart templates lint --update-lock",
				t.ID, t.Version, o.Path, nextLockedVersion(t.ID, locked), t.Version)})
		default:
			errs = append(errs, &TemplateError{File: path, Line: t.versionLine, Msg: fmt.Sprintf(
				"template %s version %d is not in %s; run logmart templates lint --update-lock and commit the lock with the template", t.ID, t.Version, o.Path)})
		}
	}
	if len(errs) > 0 {
		return false, fault.Wrap(fault.BadInput, errors.Join(errs...))
	}
	if changed {
		if err := writeLock(o.Path, locked); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// nextLockedVersion is one above every version of id in the lock.
func nextLockedVersion(id string, locked []lockEntry) uint32 {
	var top uint32
	for _, e := range locked {
		if e.key.id == id && e.key.version > top {
			top = e.key.version
		}
	}
	return top + 1
}

func readLock(path string) ([]lockEntry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("cannot read template lock %q: %w", path, err)
	}
	var out []lockEntry
	seen := map[versionKey]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		var v uint64
		if len(f) == 3 {
			v, err = strconv.ParseUint(f[1], 10, 32)
		}
		if len(f) != 3 || err != nil || v == 0 || !strings.HasPrefix(f[2], "sha256:") || len(f[2]) != len("sha256:")+64 {
			return nil, fault.New(fault.BadInput, `%s:%d: want "id version sha256:<64 hex digits>", got %q`, path, n, line)
		}
		k := versionKey{f[0], uint32(v)}
		if seen[k] {
			return nil, fault.New(fault.BadInput, "%s:%d: template %s version %d is listed twice", path, n, k.id, k.version)
		}
		seen[k] = true
		out = append(out, lockEntry{k, strings.TrimPrefix(f[2], "sha256:")})
	}
	return out, nil
}

// writeLock writes entries sorted by id and version, through a temporary
// file, so an interrupted update leaves the old lock.
func writeLock(path string, entries []lockEntry) error {
	slices.SortFunc(entries, func(a, b lockEntry) int {
		if c := strings.Compare(a.key.id, b.key.id); c != 0 {
			return c
		}
		return int(a.key.version) - int(b.key.version)
	})
	var b strings.Builder
	b.WriteString(lockHeader)
	for _, e := range entries {
		fmt.Fprintf(&b, "%s %d sha256:%s\n", e.key.id, e.key.version, e.hash)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("cannot write template lock %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write template lock %q: %w", path, err)
	}
	return nil
}
