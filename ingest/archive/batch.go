package archive

import (
	"fmt"
	"sync"
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
	line     []byte // the line being written, before it is copied to its group
}

// group is one object's worth of lines.
type group struct {
	stream      string
	hour        int64 // hours since the epoch, rounded down
	first, last int64 // offsets
	records     int
	oldest      int64 // ms
	newest      int64
	size        int      // bytes of lines
	chunks      [][]byte // the lines, in chunks of chunkSize
}

// chunkSize is the size of the chunks lines are kept in. A group's lines
// are a stream of chunks rather than one buffer, so a growing batch never
// copies what it holds: in one buffer, growing it was a third of the
// archive's CPU.
const chunkSize = 1 << 20

// chunkPool keeps the chunks of batches already compressed.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

// write appends p to the group's chunks.
func (g *group) write(p []byte) {
	g.size += len(p)
	for len(p) > 0 {
		n := len(g.chunks)
		if n == 0 || len(g.chunks[n-1]) >= cap(g.chunks[n-1]) {
			g.chunks = append(g.chunks, (*chunkPool.Get().(*[]byte))[:0])
			n++
		}
		c := g.chunks[n-1]
		k := min(len(p), cap(c)-len(c))
		g.chunks[n-1] = append(c, p[:k]...)
		p = p[k:]
	}
}

// release hands the chunks back.
func (g *group) release() {
	for _, c := range g.chunks {
		c = c[:0]
		chunkPool.Put(&c)
	}
	g.chunks = nil
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
	// Written in place when the chunk has room for the longest the line
	// can be (every byte escaped as \u00XX), else built aside and copied.
	bound := 6*(len(r.Value)+len(stream)+len(r.Topic)) + 512
	for _, h := range r.Headers {
		bound += 6 * (len(h.Key) + len(h.Value) + 3)
	}
	if n := len(g.chunks); n > 0 && cap(g.chunks[n-1])-len(g.chunks[n-1]) >= bound {
		c := g.chunks[n-1]
		at := len(c)
		g.chunks[n-1] = appendLine(c, stream, ts, r, b.ingest)
		g.size += len(g.chunks[n-1]) - at
		return
	}
	b.line = appendLine(b.line[:0], stream, ts, r, b.ingest)
	g.write(b.line)
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

// encoder compresses chunks; EncodeAll may be called from many
// goroutines at once, each call encoding in its caller's goroutine.
var encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(true))

// compress is the group's lines as zstd frames, one per chunk, one after
// the other: a valid zstd stream that every reader (zstd, ClickHouse's
// file() and s3()) reads as the lines. A frame per chunk spares the
// streaming encoder's copy of every byte into its window. The fastest
// level: on bench ingest's lines its objects were as small as the
// default level's (42.9 against 42.7 bytes a line) for less CPU.
func (g *group) compress() []byte {
	out := make([]byte, 0, g.size/6+1024)
	for _, c := range g.chunks {
		out = encoder.EncodeAll(c, out)
	}
	return out
}

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
			Records: g.records, RawBytes: g.size, Oldest: g.oldest, Newest: g.newest,
			Body: g.compress(),
		})
		g.release()
	}
	b.groups, b.cur = nil, nil
	return out
}
