package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// After-call work crosses from an agent to an interaction, which another
// replica may hold: the agent's replica produces each change to the ACW
// topic (Config.ACWTopic) in the transaction that computed it, and every
// replica reads that topic whole, outside the group, as it reads gca-cfg.
// The replica holding the interaction, or the one it will reach, applies
// it; the others keep it for twice the retention and forget it. With one
// replica the record comes back to the replica that made it and changes
// nothing.

// Handoff is the after-call work an agent did for an interaction.
type Handoff struct {
	Tenant      string `json:"tenant"`
	Interaction string `json:"interaction"`
	Agent       string `json:"agent"`
	ACWMs       int64  `json:"acw_ms"`
	// At is the agent's event time when it was computed.
	At int64 `json:"at"`
}

// TakeHandoffs returns the after-call work handed over since the last
// call, for the ACW topic, and forgets it.
func (p *Processor) TakeHandoffs() []Handoff {
	out := p.handoffs
	p.handoffs = nil
	return out
}

// ApplyHandoff gives an interaction the after-call work an agent did for
// it, here or on another replica. The interaction is computed again; its
// snapshot goes out in this transaction with the work, since the agent's
// own record of it may be folded away (or on another replica) before the
// interaction is computed. For an interaction not in state yet, it waits.
func (p *Processor) ApplyHandoff(h Handoff) {
	ik := "i\x00" + h.Tenant + "\x00" + h.Interaction
	if _, gone := p.tombstones[ik]; gone {
		return
	}
	// The records of one interaction and agent are read in the order they
	// were committed, so the last one read is the latest. One read back
	// after this replica handed over a newer value sets the older one for
	// a moment: the newer record follows. (Event times do not order them:
	// an agent restored on another replica computes on that replica's time.)
	if p.handed[ik] == nil {
		p.handed[ik] = map[string]int64{}
	}
	p.handed[ik][h.Agent] = max(p.handed[ik][h.Agent], h.At)
	if ms, ok := p.acw[ik][h.Agent]; ok && ms == h.ACWMs {
		return
	}
	if p.acw[ik] == nil {
		p.acw[ik] = map[string]int64{}
	}
	p.acw[ik][h.Agent] = h.ACWMs
	if _, ok := p.ixns[ik]; ok {
		p.dirtyI[ik] = struct{}{}
		p.touched[ik] = struct{}{}
	}
}

// sweepHandoffs forgets the after-call work for interactions not in state
// twice the retention after it was handed over: they are on another
// replica, or long final.
func (p *Processor) sweepHandoffs() {
	for ik, agents := range p.handed {
		if _, ok := p.ixns[ik]; ok {
			continue
		}
		var at int64
		for _, t := range agents {
			at = max(at, t)
		}
		if p.watermark-at > 2*p.retention {
			delete(p.acw, ik)
			delete(p.handed, ik)
		}
	}
}

// handoffRecord is the ACW topic's record of h, made by the replica whose
// transactional id is from.
func handoffRecord(topic, from string, h Handoff) (*kgo.Record, error) {
	v, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	return &kgo.Record{Topic: topic, Key: []byte(h.Tenant + "\x00" + h.Interaction + "\x00" + h.Agent), Value: v,
		Timestamp: time.UnixMilli(h.At), Headers: []kgo.RecordHeader{{Key: "from", Value: []byte(from)}}}, nil
}

func madeBy(rec *kgo.Record, from string) bool {
	for _, h := range rec.Headers {
		if h.Key == "from" {
			return string(h.Value) == from
		}
	}
	return false
}

func decodeHandoff(rec *kgo.Record) (Handoff, error) {
	var h Handoff
	if err := json.Unmarshal(rec.Value, &h); err != nil {
		return h, fmt.Errorf("after-call work record at %s/%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
	}
	return h, nil
}

// handoffReader reads the ACW topic whole, outside any group, keeping the
// latest record per key for twice the retention before the newest. The
// records this replica made were applied when it made them: take leaves
// them out (and does not decode them) unless another replica's record of
// the same key came before, and all has them for a restore.
type handoffReader struct {
	wholeTopic
	opts   []kgo.Opt
	topic  string
	self   string // this replica's transactional id
	window time.Duration
	latest map[string]*kgo.Record
	newest time.Time
	fresh  []Handoff // read since the last take, made by other replicas
}

func newHandoffReader(opts []kgo.Opt, cfg Config) *handoffReader {
	return &handoffReader{opts: opts, topic: cfg.ACWTopic, self: cfg.TransactionalID, window: 2 * cfg.Retention, latest: map[string]*kgo.Record{}}
}

func (r *handoffReader) run(ctx context.Context, log func(error)) {
	err := r.read(ctx, r.opts, r.topic, func(fs kgo.Fetches) {
		fs.EachRecord(func(rec *kgo.Record) { r.add(rec, log) })
		for k, rec := range r.latest {
			if r.newest.Sub(rec.Timestamp) > r.window {
				delete(r.latest, k)
			}
		}
	})
	if err != nil {
		log(err)
	}
}

// add keeps one record read; r.mu is held.
func (r *handoffReader) add(rec *kgo.Record, log func(error)) {
	prev := r.latest[string(rec.Key)]
	r.latest[string(rec.Key)] = rec
	if rec.Timestamp.After(r.newest) {
		r.newest = rec.Timestamp
	}
	// Applied when this replica made it, unless another replica's record
	// of the key came between.
	if madeBy(rec, r.self) && (prev == nil || madeBy(prev, r.self)) {
		return
	}
	h, err := decodeHandoff(rec)
	if err != nil {
		log(err)
		return
	}
	r.fresh = append(r.fresh, h)
}

// take returns the records read since the last take.
func (r *handoffReader) take() []Handoff {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.fresh
	r.fresh = nil
	return out
}

// all returns the latest record of every key kept, and counts everything
// read as taken: a restored Processor applies them all.
func (r *handoffReader) all() []Handoff {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fresh = nil
	out := make([]Handoff, 0, len(r.latest))
	for _, rec := range r.latest {
		if h, err := decodeHandoff(rec); err == nil {
			out = append(out, h)
		}
	}
	return out
}
