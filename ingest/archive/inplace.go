package archive

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/logmart/logmart/store"
)

// Query in place. Templates marked archive: true read the archive without
// rehydrating it, through two objects logmart defines at start over the
// archive's layout, which no caller can point elsewhere (callers get no
// table function: query.checkAdHoc and the template checks deny file(),
// s3() and their kin):
//
//   - LinesTable, a table with the File engine (a folder archive) or the S3
//     engine (a bucket), whose path is the layout's glob
//     stream=*/dt=*/hour=*/*.ndjson.zst. Its columns are a line's fields
//     (line.go), and the engine adds the path's stream, dt and hour as
//     columns of their own (hive partitioning), so a filter on dt and hour
//     opens only the objects of those hours.
//   - InPlaceView, a view over it with the columns of logs that a JSON
//     record's built-in keys give (timestamp, service, host, level, body),
//     beside the line's own, and the hour of the object's path (dt, hour).
//     Other formats (logfmt, text) show their line in raw only. Schema
//     step 0021 defines it, with LinesTable over no objects, so templates
//     are checked against it wherever the archive is off.
//
// Tables, unlike table functions, are read in a read-only session, and the
// engine's table filters apply to them: query.Catalog adds the run's hours
// as a filter on InPlaceView (the pruning), and server/auth.go applies a
// scope on logs (or one on archive_logs) to InPlaceView and denies both
// objects to a token limited to the engine's tiers.
const (
	// LinesTable is the File or S3 table over the archive's objects. Only
	// InPlaceView reads it; templates may not.
	LinesTable = store.ArchiveLines
	// InPlaceView is what archive templates read.
	InPlaceView = store.ArchiveView
)

// linesColumns are the fields of a line, as JSONEachRow reads them; they
// are schema step 0021's, which defines archive_lines first (over no
// objects) and InPlaceView over it.
const linesColumns = `time DateTime64(3, 'UTC'), stream String, topic String, partition Int32, offset Int64,
    kafka_time DateTime64(3, 'UTC'), ingest_time DateTime64(3, 'UTC'), headers Map(String, String), raw String, raw_base64 Bool`

// InPlaceStatements are the statements that define LinesTable over cfg's
// target (InPlaceView, schema step 0021's, reads it by name). local says the engine runs in this
// process (store/chdb), so it reads a folder archive where logmart writes
// it; a ClickHouse server reads only a bucket, and for a folder archive
// there ok is false and nothing is defined.
func InPlaceStatements(cfg Config, local bool) (stmts []string, ok bool, err error) {
	loc, err := cfg.location()
	if err != nil {
		return nil, false, err
	}
	var engine string
	switch {
	case loc.folder != "":
		if !local {
			return nil, false, nil
		}
		dir, err := filepath.Abs(loc.folder)
		if err != nil {
			return nil, false, fmt.Errorf("cannot resolve the archive folder %q: %w", loc.folder, err)
		}
		engine = "File(JSONEachRow, " + store.Quote(filepath.ToSlash(dir)+"/"+layoutGlob) + ")"
	default:
		engine = "S3(" + store.Quote(s3URL(cfg, loc)+layoutGlob)
		if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
			engine += ", " + store.Quote(id) + ", " + store.Quote(secret)
		}
		engine += ", 'JSONEachRow')"
	}
	return []string{"CREATE OR REPLACE TABLE " + LinesTable + " (" + linesColumns + ") ENGINE = " + engine}, true, nil
}

// layoutGlob matches every object of the layout (doc.go); hidden
// temporary files (folder.go) do not end in .ndjson.zst.
const layoutGlob = "stream=*/dt=*/hour=*/*.ndjson.zst"

// s3URL is the HTTP URL of the target's prefix, as ClickHouse's S3 engine
// takes it: path-style on an endpoint, virtual-hosted on AWS.
func s3URL(cfg Config, loc location) string {
	if cfg.Endpoint != "" {
		return strings.TrimRight(cfg.Endpoint, "/") + "/" + loc.bucket + "/" + loc.prefix
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	return "https://" + loc.bucket + ".s3." + region + ".amazonaws.com/" + loc.prefix
}

// InPlace defines the in-place objects over one archive and keeps a
// folder archive's listing current. It is safe for concurrent use.
type InPlace struct {
	st     store.Store
	stmts  []string // LinesTable's
	folder bool
	mu     sync.Mutex
	listed time.Time // when LinesTable was last defined
}

// refreshEvery bounds how often Refresh defines LinesTable again: runs of
// archive templates within it share one listing, which may miss objects
// written in the last second.
const refreshEvery = time.Second

// NewInPlace defines LinesTable on st over cfg's target.
// It returns nil where the engine cannot reach the archive (a folder
// archive on a ClickHouse server); archive templates then fail with the
// engine's unknown table.
func NewInPlace(ctx context.Context, st store.Store, cfg Config, local bool) (*InPlace, error) {
	stmts, ok, err := InPlaceStatements(cfg, local)
	if err != nil || !ok {
		return nil, err
	}
	loc, _ := cfg.location()
	p := &InPlace{st: st, stmts: stmts, folder: loc.folder != ""}
	for _, s := range stmts {
		if err := st.Exec(ctx, store.Query{SQL: s}); err != nil {
			return nil, fmt.Errorf("cannot define the archive's in-place tables: %w", err)
		}
	}
	p.listed = time.Now()
	return p, nil
}

// Refresh makes the next read see the objects written since the last
// one. The engine's File table lists a glob's files when it is defined,
// not at each read, so for a folder archive LinesTable is defined again
// (CREATE OR REPLACE swaps it atomically; InPlaceView reads it by name).
// The S3 table lists the bucket at each read, and needs nothing. Runs
// within refreshEvery of the last listing share it.
func (p *InPlace) Refresh(ctx context.Context) error {
	if p == nil || !p.folder {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.listed) < refreshEvery {
		return nil
	}
	if err := p.st.Exec(ctx, store.Query{SQL: p.stmts[0]}); err != nil {
		return fmt.Errorf("cannot list the archive's objects: %w", err)
	}
	p.listed = time.Now()
	return nil
}

// HourFilter is the table filter on InPlaceView that keeps the objects of
// the hours from..to touches (to excluded): the engine opens no other
// object. The times are logmart's (a run's range), written as literals.
func (p *InPlace) HourFilter(from, to time.Time) string { return HourFilter(from, to) }

// HourFilter is InPlace.HourFilter, for callers without one.
func HourFilter(from, to time.Time) string {
	f := from.UTC().Truncate(time.Hour).Format("2006-01-02 15:04:05")
	t := to.UTC().Format("2006-01-02 15:04:05.000")
	return "toDateTime(dt, 'UTC') + toIntervalHour(hour) >= toDateTime(" + store.Quote(f) + ", 'UTC') AND " +
		"toDateTime(dt, 'UTC') + toIntervalHour(hour) < toDateTime64(" + store.Quote(t) + ", 3, 'UTC')"
}
