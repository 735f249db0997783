package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Folder is a target in a local folder, laid out as the S3 keys are
// (keys are relative paths), so one tool reads both.
type Folder struct {
	dir string
}

// tmpPrefix starts the hidden temporary files Put writes before renaming
// them into place. List skips them and OpenFolder removes those a killed
// process left.
const tmpPrefix = ".tmp-"

// OpenFolder creates dir if needed and removes the temporary files an
// interrupted Put left in it. Only one process may write a folder target.
func OpenFolder(dir string) (*Folder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the archive folder %q: %w", dir, err)
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), tmpPrefix) {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot clean the archive folder %q: %w", dir, err)
	}
	return &Folder{dir: dir}, nil
}

func (f *Folder) String() string { return f.dir }

// Ping writes and removes a temporary file in the folder.
func (f *Folder) Ping(context.Context) error {
	tmp, err := os.CreateTemp(f.dir, tmpPrefix+"ping-*")
	if err != nil {
		return fmt.Errorf("cannot write to the archive folder %q: %w", f.dir, err)
	}
	_ = tmp.Close()
	return os.Remove(tmp.Name())
}

// path turns a key into a path under the folder, refusing keys that would
// leave it.
func (f *Folder) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || slices.Contains(strings.Split(key, "/"), "..") {
		return "", fmt.Errorf("archive key %q is not a relative path", key)
	}
	return filepath.Join(f.dir, filepath.FromSlash(key)), nil
}

// Put writes body to a temporary file beside the object, syncs it, renames
// it into place and syncs the folder, so a crash leaves the old object or
// the new one, never part of one.
func (f *Folder) Put(_ context.Context, key string, body []byte) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot write archive object %q: %w", key, err)
	}
	tmp, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("cannot write archive object %q: %w", key, err)
	}
	fail := func(err error) error {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("cannot write archive object %q: %w", key, err)
	}
	if _, err := tmp.Write(body); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fail(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot sync the archive folder %q: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync the archive folder %q: %w", dir, err)
	}
	return nil
}

// Get opens the object's file.
func (f *Folder) Get(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := f.path(key)
	if err != nil {
		return nil, err
	}
	r, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read archive object %q: %w", key, err)
	}
	return r, nil
}

// List walks the folder for files whose keys start with prefix. It starts
// at the deepest folder the prefix names, so listing one hour reads one
// folder.
func (f *Folder) List(_ context.Context, prefix string) ([]ObjectInfo, error) {
	start := f.dir
	if i := strings.LastIndex(prefix, "/"); i > 0 {
		p, err := f.path(prefix[:i])
		if err != nil {
			return nil, err
		}
		start = p
	}
	var out []ObjectInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(f.dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot list the archive folder %q: %w", f.dir, err)
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}
