package fileload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// HeaderRun names one run of `logmart ingest file` (Options.Run); the
// server copies it, with the record's other headers, onto the record's
// dead letter in the dead-letter topic.
const HeaderRun = "logmart-run"

// NewRun returns a run name for Options.Run: 16 random hex digits.
func NewRun() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Server is where a server takes sent lines from: its consumer group and
// its dead-letter topic (ingest.group and ingest.dead_letter_topic).
type Server struct {
	// Group is the server's consumer group. Default "logmart-ingest".
	Group string
	// DeadLetterTopic is where the server copies every dead letter.
	// Default "logs.dead".
	DeadLetterTopic string
}

// Outcome is what the server made of the lines one run sent.
type Outcome struct {
	// Done says the server has taken every line: its consumer group
	// committed past them all, and each is stored or a dead letter.
	Done bool
	// Dead counts the run's dead letters by reason (older_than_retention,
	// malformed, …); the rest of the lines are stored.
	Dead map[string]int64
}

// Await waits until the server's consumer group has committed past every
// span (ctx bounds the wait; when it ends first, Done is false and Dead
// nil), then counts the dead letters of run in the dead-letter topic. A
// group Kafka cannot answer for (not yet joined, or not there) counts as
// not done: the server may be starting. The
// server copies a batch's dead letters there before it commits the batch.
// since is when the run started sending: its dead letters are not older.
func Await(ctx context.Context, cl *kgo.Client, topic, run string, since time.Time, spans []Span, srv Server) (Outcome, error) {
	if srv.Group == "" {
		srv.Group = "logmart-ingest"
	}
	if srv.DeadLetterTopic == "" {
		srv.DeadLetterTopic = "logs.dead"
	}
	adm := kadm.NewClient(cl)
	for !committedPast(ctx, adm, srv.Group, topic, spans) {
		select {
		case <-ctx.Done():
			return Outcome{}, nil
		case <-time.After(200 * time.Millisecond):
		}
	}
	dead, err := countDead(ctx, cl, adm, srv.DeadLetterTopic, run, since)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Done: true, Dead: dead}, nil
}

// committedPast reports whether group's committed offsets on topic are
// past every span; false too when Kafka cannot say.
func committedPast(ctx context.Context, adm *kadm.Client, group, topic string, spans []Span) bool {
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return false
	}
	for _, s := range spans {
		o, ok := offs.Lookup(topic, s.Partition)
		if !ok || o.Err != nil || o.At <= s.Last {
			return false
		}
	}
	return true
}

// countDead counts run's dead letters in topic by reason, reading from
// since to the topic's end as of the call.
func countDead(ctx context.Context, cl *kgo.Client, adm *kadm.Client, topic, run string, since time.Time) (map[string]int64, error) {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("cannot read the end of dead-letter topic %q: %w", topic, err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	out := map[string]int64{}
	if len(want) == 0 {
		return out, nil
	}
	rd, err := kgo.NewClient(append(slices.Clone(cl.Opts()),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AfterMilli(since.Add(-time.Minute).UnixMilli())),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))...)
	if err != nil {
		return nil, fmt.Errorf("cannot read dead-letter topic %q: %w", topic, err)
	}
	defer rd.Close()
	// Partitions whose records all predate since are not fetched from:
	// the offset their reading starts at says they are done.
	starts, err := adm.ListOffsetsAfterMilli(ctx, since.Add(-time.Minute).UnixMilli(), topic)
	if err == nil {
		starts.Each(func(o kadm.ListedOffset) {
			if o.Err == nil && o.Offset >= want[o.Partition] {
				delete(want, o.Partition)
			}
		})
	}
	for len(want) > 0 {
		fs := rd.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("cannot read dead-letter topic %q: %w", topic, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := want[r.Partition]; ok && r.Offset+1 >= end {
				delete(want, r.Partition)
			}
			var reason string
			ours := false
			for _, h := range r.Headers {
				switch h.Key {
				case HeaderRun:
					ours = string(h.Value) == run
				case "logmart-dead-reason":
					reason = string(h.Value)
				}
			}
			if ours && reason != "" {
				out[reason]++
			}
		})
	}
	return out, nil
}

// spanList returns the spans of the acknowledged lines, by partition.
func (s *sender) spanList() []Span {
	s.smu.Lock()
	defer s.smu.Unlock()
	out := make([]Span, 0, len(s.spans))
	for _, sp := range s.spans {
		out = append(out, *sp)
	}
	slices.SortFunc(out, func(a, b Span) int { return int(a.Partition - b.Partition) })
	return out
}

// took notes the offset an acknowledged line took.
func (s *sender) took(partition int32, offset int64) {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.spans == nil {
		s.spans = map[int32]*Span{}
	}
	sp := s.spans[partition]
	if sp == nil {
		s.spans[partition] = &Span{Partition: partition, First: offset, Last: offset}
		return
	}
	sp.First, sp.Last = min(sp.First, offset), max(sp.Last, offset)
}

// DeadText is the dead letters of an outcome as a summary says them:
// "3 older than their stream's retention, 1 malformed", most first.
func DeadText(dead map[string]int64) string {
	reasons := make([]string, 0, len(dead))
	for r := range dead {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b string) int {
		if dead[a] != dead[b] {
			return int(dead[b] - dead[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = strconv.FormatInt(dead[r], 10) + " " + r
	}
	return strings.Join(parts, ", ")
}
