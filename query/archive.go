package query

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// ArchiveSource is the archive read in place, as archive templates need it
// (ingest/archive.InPlace). Implementations are safe for concurrent use.
type ArchiveSource interface {
	// Refresh makes the next read see the objects written so far.
	Refresh(ctx context.Context) error
	// HourFilter is the filter on store.ArchiveView that keeps the
	// objects of the hours from..to touches, and no other.
	HourFilter(from, to time.Time) string
}

// archiveSource boxes an ArchiveSource for an atomic pointer.
type archiveSource struct{ ArchiveSource }

// SetArchive lets archive templates run, reading a; before it they are
// refused as unavailable.
func (c *Catalog) SetArchive(a ArchiveSource) {
	c.archive.Store(&archiveSource{a})
}

// checkArchiveTables refuses a statement that reads the archive's table
// of lines (it carries no scope of its own: server/auth.go), an archive
// template that does not read store.ArchiveView, and any other template
// that does: its runs would open every object of the archive.
func (t *Template) checkArchiveTables(ast statement) error {
	if slices.Contains(ast.Tables, store.ArchiveLines) {
		return fmt.Errorf("reads %s; a template reads the archive through %s (and archive: true)", store.ArchiveLines, store.ArchiveView)
	}
	reads := slices.Contains(ast.Tables, store.ArchiveView)
	switch {
	case t.Archive && !reads:
		return fmt.Errorf("is marked archive: true but reads no %s", store.ArchiveView)
	case !t.Archive && reads:
		return fmt.Errorf("reads %s, the archive in place: mark the template archive: true, so that each run opens only the hours of its range", store.ArchiveView)
	}
	return nil
}

// archiveSettings are s for a run of archive template t over from..to:
// the listing refreshed, and the hours of the range as a filter on
// store.ArchiveView, which the engine applies to the objects' paths, so it
// opens no other object. Under a default-deny scope that does not name
// the archive, the archive stays denied.
func (c *Catalog) archiveSettings(ctx context.Context, t *Template, from, to time.Time, s store.Settings) (store.Settings, error) {
	if !t.Archive {
		return s, nil
	}
	a := c.archive.Load()
	if a == nil {
		return s, fault.New(fault.Unavailable, "template %s reads the archive in place, which this server cannot read (the archive is off, or a folder a ClickHouse server cannot reach)", t.ID)
	}
	if err := a.Refresh(ctx); err != nil {
		return s, fault.Wrap(fault.Unavailable, err)
	}
	scope, ok := s.TableFilters[store.ArchiveView]
	if s.DenyUnlisted && !ok {
		return s, nil
	}
	f := maps.Clone(s.TableFilters)
	if f == nil {
		f = map[string]string{}
	}
	f[store.ArchiveView] = store.AndFilter(scope, a.HourFilter(from, to))
	s.TableFilters = f
	return s, nil
}
