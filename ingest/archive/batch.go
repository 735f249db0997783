package archive

import (
	"fmt"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Batch gathers the archive lines of one partition's ingest batch, by
// stream and hour of the records' own time. It copies what it keeps out
// of each record, whose memory the consumer reuses. Not safe for
// concurrent use.
type Batch struct {
	groups   []*group
	cur      *group // the group the last record went to: the next one nearly always does too
	ingestMs int64
	ingest   []byte // ingestMs formatted
}

// group is one object's worth of lines.
type group struct {
	stream      string
	hour        int64 // hours since the epoch, rounded down
	first, last int64 // offsets
	records     int
	oldest      int64 // ms
	newest      int64
	buf         []byte
}

// hourMs is an hour in milliseconds.
const hourMs = int64(time.Hour / time.Millisecond)

// hourOf is the hour a time in ms falls in, rounded down for times before
// 1970 too.
func hourOf(ms int64) int64 {
	h := ms / hourMs
	if ms < 0 && ms%hourMs != 0 {
		h--
	}
	return h
}

// Add appends r's line, in stream at the record's own time ts (ms);
// nowMs is the ingest time.
func (b *Batch) Add(stream string, ts int64, r *kgo.Record, nowMs int64) {
	if nowMs != b.ingestMs || b.ingest == nil {
		b.ingestMs = nowMs
		b.ingest = time.UnixMilli(nowMs).UTC().AppendFormat(b.ingest[:0], timeLayout)
	}
	h := hourOf(ts)
	g := b.cur
	if g == nil || g.hour != h || g.stream != stream {
		g = nil
		for _, x := range b.groups {
			if x.hour == h && x.stream == stream {
				g = x
				break
			}
		}
		if g == nil {
			g = &group{stream: stream, hour: h, first: r.Offset, oldest: ts, newest: ts}
			b.groups = append(b.groups, g)
		}
		b.cur = g
	}
	g.last = r.Offset
	g.records++
	g.oldest, g.newest = min(g.oldest, ts), max(g.newest, ts)
	g.buf = appendLine(g.buf, stream, ts, r, b.ingest)
}

// Records is the number of records added.
func (b *Batch) Records() int {
	n := 0
	for _, g := range b.groups {
		n += g.records
	}
	return n
}

// Object is one archive object ready to upload, and its manifest entry.
type Object struct {
	Key         string
	Stream      string
	Day         string // YYYY-MM-DD of the records' time, UTC
	Hour        int    // 0-23
	Topic       string
	Partition   int32
	First, Last int64 // offsets
	Records     int
	RawBytes    int // NDJSON before compression
	Oldest      int64
	Newest      int64 // ms
	Body        []byte
}

// Key is an object's name under the target's prefix (see the package
// documentation): the same records always get the same name.
func Key(stream string, hourStart time.Time, topic string, partition int32, first, last int64) string {
	t := hourStart.UTC()
	return fmt.Sprintf("stream=%s/dt=%s/hour=%02d/%s-%d-%d-%d.ndjson.zst",
		stream, t.Format(time.DateOnly), t.Hour(), topic, partition, first, last)
}

// encoder compresses objects. EncodeAll may be called from several
// goroutines; each call uses one of the encoder's workers.
var encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderCRC(true))

// Objects compresses the gathered lines, one object per stream and hour,
// and releases the lines. topic and partition name the batch's partition.
func (b *Batch) Objects(topic string, partition int32) []Object {
	out := make([]Object, 0, len(b.groups))
	for _, g := range b.groups {
		start := time.UnixMilli(g.hour * hourMs).UTC()
		out = append(out, Object{
			Key:    Key(g.stream, start, topic, partition, g.first, g.last),
			Stream: g.stream, Day: start.Format(time.DateOnly), Hour: start.Hour(),
			Topic: topic, Partition: partition, First: g.first, Last: g.last,
			Records: g.records, RawBytes: len(g.buf), Oldest: g.oldest, Newest: g.newest,
			Body: encoder.EncodeAll(g.buf, make([]byte, 0, len(g.buf)/4)),
		})
		g.buf = nil
	}
	b.groups, b.cur = nil, nil
	return out
}
