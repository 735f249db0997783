package archive

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config says where raw records are archived.
type Config struct {
	// Enabled turns the archive on. Default false here; logmart's own
	// configuration turns it on, into the folder archive under --data.
	Enabled bool `yaml:"enabled"`
	// URL is the target: a folder path (or file:///path), or
	// s3://bucket/prefix. Empty: <data>/archive, set by the configuration's
	// Resolve.
	URL string `yaml:"url"`
	// Region is the S3 region. Empty: from the standard AWS chain
	// (AWS_REGION, the shared config file), else us-east-1.
	Region string `yaml:"region"`
	// Endpoint is the base URL of an S3-compatible store (MinIO, Ceph, a
	// test server). Empty: AWS.
	Endpoint string `yaml:"endpoint"`
	// PathStyle addresses the bucket in the path (endpoint/bucket/key)
	// rather than the host name, as most S3-compatible stores need.
	// Default false.
	PathStyle bool `yaml:"path_style"`
	// PartBytes is the size of a multipart upload's parts; an object
	// larger than that is uploaded in parts, a smaller one in one request.
	// At least 5 MiB (S3's smallest part). Default 16777216 (16 MiB).
	PartBytes int `yaml:"part_bytes"`
	// RehydratedTTL is how long rows rehydrated from the archive are kept,
	// counted from their rehydration, in whole days. Default 168h (7 days).
	RehydratedTTL time.Duration `yaml:"rehydrated_ttl"`
}

// Default returns the defaults documented on Config.
func Default() Config {
	return Config{PartBytes: 16 << 20, RehydratedTTL: 7 * 24 * time.Hour}
}

// minPartBytes is S3's smallest part but the last.
const minPartBytes = 5 << 20

// Validate reports the first field a user must fix, named under ingest.archive.
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	if c.PartBytes < minPartBytes {
		return fmt.Errorf("ingest.archive.part_bytes must be at least %d (5 MiB), got %d", minPartBytes, c.PartBytes)
	}
	if c.RehydratedTTL < 24*time.Hour || c.RehydratedTTL%(24*time.Hour) != 0 || c.RehydratedTTL > 3650*24*time.Hour {
		return fmt.Errorf("ingest.archive.rehydrated_ttl must be whole days from 24h to 87600h (10 years), got %s", c.RehydratedTTL)
	}
	if _, err := c.location(); err != nil {
		return err
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("ingest.archive.endpoint %q must be an http:// or https:// URL", c.Endpoint)
		}
	}
	return nil
}

// location is the target URL taken apart.
type location struct {
	folder string // a local folder, or
	bucket string // an S3 bucket
	prefix string // and the key prefix in it, "" or ending in "/"
}

func (c Config) location() (location, error) {
	switch {
	case c.URL == "":
		return location{}, fmt.Errorf("ingest.archive.url is required when the archive is enabled")
	case strings.HasPrefix(c.URL, "s3://"):
		rest := strings.TrimPrefix(c.URL, "s3://")
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return location{}, fmt.Errorf("ingest.archive.url %q names no bucket (s3://bucket/prefix)", c.URL)
		}
		prefix = strings.Trim(prefix, "/")
		if prefix != "" {
			prefix += "/"
		}
		return location{bucket: bucket, prefix: prefix}, nil
	case strings.HasPrefix(c.URL, "file://"):
		return location{folder: strings.TrimPrefix(c.URL, "file://")}, nil
	case strings.Contains(c.URL, "://"):
		return location{}, fmt.Errorf("ingest.archive.url %q must be a folder, file:///path or s3://bucket/prefix", c.URL)
	}
	return location{folder: c.URL}, nil
}
