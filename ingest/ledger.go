package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/logmart/logmart/store"
)

// Exactly once, the bookkeeping. A partition's Kafka commit holds, besides
// the offset up to which its rows are stored, the offset ranges of the
// batches cut from there on (in the commit's metadata). A batch's range is
// committed this way before the batch is written, and the offset moves past
// it only after the write. A consumer that takes the partition over (after
// a crash or a rebalance) reads the ranges with the offset and cuts its
// first batches at exactly those offsets, so a batch written twice carries
// the same deduplication token and ClickHouse drops the repeat.
//
// Recording a range costs one commit round trip to the group coordinator.
// Ranges used to be rows of the ingest_batches table, and recording them
// was an insert, a new part and its merges in ClickHouse for every poll
// that cut a batch: about 6% of ingest's CPU at full speed. The table is
// still read when a partition's commit holds no ranges in this format, so
// batches recorded by earlier versions are cut the same way.
//
// When the ingest_batches fallback goes: in the release after the first
// release that records ranges in commit metadata. It is read only for a
// partition whose last commit carries no ledgerPrefix metadata, that is,
// one last committed by a build from before commit-metadata ranges (or
// never committed). The first commit this version makes on such a
// partition (at its first batch) carries the ranges read from the table,
// and from then on the table is not read for it; its rows expire 14 days
// after they were written. Any offset committed by a build before
// commit-metadata ranges is read through the fallback, so such a
// deployment upgrades through a release that still has it. Removing it
// means removing loadIntents and the legacy branch of loadLedgers, and
// Query from Store (New then takes an Inserter), and a schema step that
// drops ingest_batches.

// ledgerPrefix starts the commit metadata this version writes.
const ledgerPrefix = "logmart/1:"

// maxPending bounds the ranges a commit carries: a partition whose
// commits keep failing stops taking new batches at this many, rather than
// growing its metadata past the broker's limit (offset.metadata.max.bytes,
// 4096 bytes by default; a range takes at most 40).
const maxPending = 64

// ledger is a partition's commit as this consumer last got it accepted,
// and the ranges recorded from its offset on.
type ledger struct {
	committed kgo.EpochOffset // Offset -1: nothing committed yet
	pending   []intent        // oldest first; none ends before committed.Offset
}

// at is the offset a commit recording ranges carries: the committed one,
// or, before anything is committed, the first recorded offset (the
// partition was consumed from there).
func (l *ledger) at() kgo.EpochOffset {
	if l.committed.Offset < 0 && len(l.pending) > 0 {
		return kgo.EpochOffset{Epoch: -1, Offset: l.pending[0].first}
	}
	return l.committed
}

// encodeRanges is the commit metadata for ranges.
func encodeRanges(ranges []intent) string {
	b := make([]byte, 0, len(ledgerPrefix)+len(ranges)*24)
	b = append(b, ledgerPrefix...)
	for i, r := range ranges {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, r.first, 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, r.last, 10)
	}
	return string(b)
}

// parseRanges reads commit metadata written by encodeRanges. ok is false
// for metadata in any other format (a member ID, as earlier versions and
// other clients commit, or nothing): then the partition's ranges, if any,
// are in ingest_batches.
func parseRanges(meta string) (ranges []intent, ok bool, err error) {
	rest, ok := strings.CutPrefix(meta, ledgerPrefix)
	if !ok {
		return nil, false, nil
	}
	if rest == "" {
		return nil, true, nil
	}
	for _, s := range strings.Split(rest, ",") {
		a, b, found := strings.Cut(s, "-")
		first, err1 := strconv.ParseInt(a, 10, 64)
		last, err2 := strconv.ParseInt(b, 10, 64)
		if !found || err1 != nil || err2 != nil || first < 0 || last < first ||
			(len(ranges) > 0 && first <= ranges[len(ranges)-1].last) {
			return nil, true, fmt.Errorf("commit metadata %q: range %q is not first-last after the one before", meta, s)
		}
		ranges = append(ranges, intent{first, last})
	}
	return ranges, true, nil
}

func (g *Ingester) ledgerOf(k tp) *ledger {
	l := g.ledgers[k]
	if l == nil {
		l = &ledger{committed: kgo.EpochOffset{Epoch: -1, Offset: -1}}
		g.ledgers[k] = l
	}
	return l
}

// errFenced marks a commit the group refused because this consumer is no
// longer a member of its generation: retrying cannot succeed, and the
// partitions are about to be taken from it.
var errFenced = errors.New("fenced out of the consumer group")

// record commits the ranges of the batches in ready that no earlier
// consumer recorded, with each partition's offset unchanged. Nothing is
// written until it returns nil.
func (g *Ingester) record(ctx context.Context, ready map[tp][]*partBatch) error {
	g.cmu.Lock()
	defer g.cmu.Unlock()
	// Every partition's new ranges are checked before any is taken in, so
	// a refusal leaves no partition holding ranges it never committed.
	adds := map[tp][]intent{}
	for k, list := range ready {
		l := g.ledgerOf(k)
		var add []intent
		for _, b := range list {
			r := b.rangeOf()
			// Ranges an earlier consumer recorded are there already, and so
			// are those of a retry after a partly failed commit.
			if n := len(l.pending); b.forced == nil && (n == 0 || l.pending[n-1].last < r.first) {
				add = append(add, r)
			}
		}
		if len(add) == 0 {
			continue
		}
		if len(l.pending)+len(add) > maxPending {
			return fmt.Errorf("%s/%d: %d batches are recorded and not committed as written; waiting for commits to succeed",
				k.topic, k.partition, len(l.pending))
		}
		adds[k] = add
	}
	added := map[tp]int{}
	for k, add := range adds {
		l := g.ledgers[k]
		l.pending = append(l.pending, add...)
		added[k] = len(add)
	}
	if len(added) == 0 {
		return nil
	}
	commits := map[tp]kgo.EpochOffset{}
	for k := range added {
		commits[k] = g.ledgers[k].at()
	}
	failed := g.commitLedgers(ctx, commits)
	for k, n := range added {
		l := g.ledgers[k]
		if err := failed[k]; err != nil {
			l.pending = l.pending[:len(l.pending)-n]
			continue
		}
		l.committed = commits[k]
	}
	return errors.Join(mapValues(failed)...)
}

// committed moves a partition's offset past a batch just written, carrying
// the ranges recorded after it. A failed commit only logs: the batch's
// range stays in the metadata of the commits that follow, and a consumer
// that rereads the batch cuts it the same way.
func (g *Ingester) committed(ctx context.Context, b *partBatch) {
	g.cmu.Lock()
	defer g.cmu.Unlock()
	k := tp{b.topic, b.partition}
	next := kgo.EpochOffset{Epoch: b.epoch, Offset: b.last + 1}
	if err := g.commitLedgers(ctx, map[tp]kgo.EpochOffset{k: next})[k]; err != nil {
		g.log.Warn("cannot commit offsets", "topic", b.topic, "partition", b.partition, "offset", next.Offset, "err", err)
		return
	}
	l := g.ledgerOf(k)
	l.committed = next
	l.pending = pendingFrom(l.pending, next.Offset)
}

// pendingFrom drops the ranges that end before offset.
func pendingFrom(list []intent, offset int64) []intent {
	i := 0
	for i < len(list) && list[i].last < offset {
		i++
	}
	return list[i:]
}

// commitLedgers commits the offsets, each with its partition's recorded
// ranges from that offset on, in one request, and returns the partitions
// that failed. Callers hold g.cmu, so the commits of a partition reach the
// broker in the order their contents were decided.
func (g *Ingester) commitLedgers(ctx context.Context, offsets map[tp]kgo.EpochOffset) map[tp]error {
	req := map[string]map[int32]kgo.EpochOffset{}
	meta := map[tp]string{}
	for k, o := range offsets {
		if req[k.topic] == nil {
			req[k.topic] = map[int32]kgo.EpochOffset{}
		}
		req[k.topic][k.partition] = o
		meta[k] = encodeRanges(pendingFrom(g.ledgerOf(k).pending, o.Offset))
	}
	ctx = kgo.PreCommitFnContext(ctx, func(r *kmsg.OffsetCommitRequest) error {
		for i := range r.Topics {
			t := &r.Topics[i]
			for j := range t.Partitions {
				if m, ok := meta[tp{t.Topic, t.Partitions[j].Partition}]; ok {
					t.Partitions[j].Metadata = &m
				}
			}
		}
		return nil
	})
	failed := map[tp]error{}
	g.cl.CommitOffsetsSync(ctx, req, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		answered := map[tp]bool{}
		if err == nil && resp != nil {
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					k := tp{t.Topic, p.Partition}
					answered[k] = true
					if perr := kerr.ErrorForCode(p.ErrorCode); perr != nil {
						failed[k] = commitError(k, perr)
					}
				}
			}
		}
		for k := range offsets {
			if !answered[k] && failed[k] == nil {
				if err == nil {
					err = errors.New("the broker did not answer for it")
				}
				failed[k] = commitError(k, err)
			}
		}
	})
	return failed
}

func commitError(k tp, err error) error {
	if errors.Is(err, kerr.IllegalGeneration) || errors.Is(err, kerr.UnknownMemberID) ||
		errors.Is(err, kerr.FencedInstanceID) || errors.Is(err, kerr.StaleMemberEpoch) {
		err = fmt.Errorf("%w: %w", errFenced, err)
	}
	return fmt.Errorf("cannot commit %s/%d: %w", k.topic, k.partition, err)
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// loadLedgers reads the committed offsets and recorded ranges of newly
// assigned partitions; ranges of partitions whose commits this version did
// not write come from ingest_batches (the fallback at the top of this
// file).
func (g *Ingester) loadLedgers(ctx context.Context, cl *kgo.Client, topic string, ps []int32) (map[int32]*ledger, error) {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = g.cfg.Group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic, rt.Partitions = topic, ps
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("cannot fetch the committed offsets of %s: %w", topic, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("cannot fetch the committed offsets of %s: %w", topic, err)
	}
	out := map[int32]*ledger{}
	var legacy []int32
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("cannot fetch the committed offset of %s/%d: %w", topic, p.Partition, err)
			}
			l := &ledger{committed: kgo.EpochOffset{Epoch: p.LeaderEpoch, Offset: p.Offset}}
			var meta string
			if p.Metadata != nil {
				meta = *p.Metadata
			}
			ranges, ours, err := parseRanges(meta)
			if err != nil {
				return nil, fmt.Errorf("%s/%d: %w", topic, p.Partition, err)
			}
			l.pending = ranges
			out[p.Partition] = l
			if !ours {
				legacy = append(legacy, p.Partition)
			}
		}
	}
	for _, p := range ps {
		if out[p] == nil {
			out[p] = &ledger{committed: kgo.EpochOffset{Epoch: -1, Offset: -1}}
			legacy = append(legacy, p)
		}
	}
	if len(legacy) > 0 {
		got, err := g.loadIntents(ctx, topic, legacy)
		if err != nil {
			return nil, err
		}
		for p, ranges := range got {
			out[p].pending = ranges
		}
	}
	for _, l := range out {
		if l.committed.Offset >= 0 {
			l.pending = pendingFrom(l.pending, l.committed.Offset)
		}
		// Only ever more than a few when read from ingest_batches, which
		// keeps every range: a commit carries at most maxPending.
		l.pending = l.pending[:min(len(l.pending), maxPending)]
	}
	return out, nil
}

// loadIntents reads the batch ranges that builds before commit-metadata
// ranges recorded in ingest_batches. It goes with the fallback (see the top
// of this file).
func (g *Ingester) loadIntents(ctx context.Context, topic string, ps []int32) (map[int32][]intent, error) {
	list := make([]string, len(ps))
	for i, p := range ps {
		list[i] = strconv.Itoa(int(p))
	}
	res, err := g.st.Query(ctx, store.Query{
		SQL: `SELECT partition, first_offset, max(last_offset) FROM ingest_batches
			WHERE topic = {topic:String} AND has({ps:Array(Int32)}, partition)
			GROUP BY partition, first_offset ORDER BY partition, first_offset DESC LIMIT 1000 BY partition`,
		Params: map[string]string{"topic": topic, "ps": "[" + strings.Join(list, ",") + "]"},
	})
	if err != nil {
		return nil, err
	}
	out := map[int32][]intent{}
	for _, r := range res.Rows {
		p := int32(store.CellInt64(r[0]))
		out[p] = append(out[p], intent{first: store.CellInt64(r[1]), last: store.CellInt64(r[2])})
	}
	for p, l := range out {
		slices.Reverse(l) // oldest first
		out[p] = l
	}
	return out, nil
}
