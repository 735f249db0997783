package archive

import (
	"context"
	"errors"
	"io"
)

// Target is where objects go: a folder or an S3 bucket. Implementations
// are safe for concurrent use.
type Target interface {
	// Put stores body under key, replacing any object of that name. The
	// object becomes visible whole or not at all: a Put that fails or is
	// interrupted leaves the earlier object, or none, in place.
	Put(ctx context.Context, key string, body []byte) error
	// Get opens the object under key; the caller closes it. A missing
	// object is ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// List returns the complete objects whose keys start with prefix, in
	// key order.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// String names the target for logs and errors (a folder, or
	// s3://bucket/prefix).
	String() string
	// Ping answers nil when objects can be written: the folder is
	// writable, or the bucket answers with these credentials.
	Ping(ctx context.Context) error
}

// ObjectInfo is one listed object.
type ObjectInfo struct {
	Key  string
	Size int64
}

// ErrNotFound is Get's error for a key no object has.
var ErrNotFound = errors.New("no such archive object")

// Open returns the target cfg names. It does not reach an S3 target: the
// first Put or List does, and fails then if the bucket is unreachable.
func Open(ctx context.Context, cfg Config) (Target, error) {
	loc, err := cfg.location()
	if err != nil {
		return nil, err
	}
	if loc.folder != "" {
		return OpenFolder(loc.folder)
	}
	return openS3(ctx, cfg, loc)
}
