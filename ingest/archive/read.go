package archive

import (
	"bufio"
	"context"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// maxLine bounds one archived line when reading: a record of the largest
// size ingest accepts (ingest.max_record_bytes, at most what a Kafka
// record holds), in base64, with room for its headers.
const maxLine = 64 << 20

// Scan reads the object under key and calls fn with each line, in the
// order written, stopping at fn's first error.
func Scan(ctx context.Context, t Target, key string, fn func(Line) error) error {
	rc, err := t.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	zr, err := zstd.NewReader(rc, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return fmt.Errorf("cannot read archive object %q: %w", key, err)
	}
	defer zr.Close()
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		l, err := ParseLine(sc.Bytes())
		if err != nil {
			return fmt.Errorf("archive object %q line %d: %w", key, n, err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("cannot read archive object %q: %w", key, err)
	}
	return nil
}
