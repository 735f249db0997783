package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// State changelog. The runner writes every changed interaction and agent to
// a compacted topic in the same transaction as the facts and the consumed
// offsets, so the changelog always matches the committed input position; a
// restarted or rebalanced replica restores its partitions' entities from it
// instead of reprocessing history. An entity belongs to the input partition
// of its first event (its home).

// home is an entity's input partition.
type home struct {
	Topic     string `json:"t"`
	Partition int32  `json:"p"`
}

// StateChange is one changelog record: the entity's snapshot, or nil when
// it left state (its facts are final).
type StateChange struct {
	Key       []byte
	Partition int32 // the home partition; the runner maps it to a changelog partition
	Value     []byte
}

type snapshot struct {
	Kind     string           `json:"kind"` // i or a
	Tenant   string           `json:"tenant"`
	ID       string           `json:"id"`
	Home     home             `json:"home"`
	Events   []Event          `json:"events"`
	Seen     []string         `json:"seen"`
	MaxTime  int64            `json:"max_time"`
	End      int64            `json:"end,omitempty"`
	Deadline int64            `json:"deadline,omitempty"`
	Open     bool             `json:"open,omitempty"`
	ACW      map[string]int64 `json:"acw,omitempty"`
	Emitted  []emittedJSON    `json:"emitted"`
	// Base and FoldedAt are a folded agent's state at its fold point.
	Base     map[string]*mediaBase `json:"base,omitempty"`
	FoldedAt int64                 `json:"folded_at,omitempty"`
}

type emittedJSON struct {
	Table   string          `json:"table"`
	Version uint64          `json:"version"`
	Deleted bool            `json:"deleted,omitempty"`
	Row     json.RawMessage `json:"row"`
}

// changelogKey is the changelog record key of an entity: its home and its
// state key, so a restoring replica keeps only its partitions' records.
func changelogKey(h home, key string) []byte {
	return []byte(h.Topic + "\x00" + strconv.Itoa(int(h.Partition)) + "\x00" + key)
}

// ParseChangelogKey returns the home topic and partition of a changelog
// key, for the runner to pick its partitions' records.
func ParseChangelogKey(k []byte) (topic string, partition int32, ok bool) {
	t, rest, ok1 := bytes.Cut(k, []byte{0})
	p, _, ok2 := bytes.Cut(rest, []byte{0})
	n, err := strconv.Atoi(string(p))
	if !ok1 || !ok2 || err != nil {
		return "", 0, false
	}
	return string(t), int32(n), true
}

// TakeChanges returns the changelog records of every entity changed since
// the last call, and forgets them.
func (p *Processor) TakeChanges() ([]StateChange, error) {
	out := make([]StateChange, 0, len(p.touched)+len(p.gone))
	var arena []byte
	for _, k := range sortedKeys(p.touched) {
		var snap *snapshot
		if ix := p.ixns[k]; ix != nil {
			snap = &snapshot{Kind: "i", Tenant: ix.tenant, ID: ix.id, Home: ix.home, Events: ix.events, MaxTime: ix.maxTime,
				End: ix.end, Deadline: ix.deadline, ACW: p.acw[k]}
			snap.Seen, snap.Emitted = seenList(ix.seen), emittedList(ix.emitted)
		} else if a := p.agents[k]; a != nil {
			snap = &snapshot{Kind: "a", Tenant: a.tenant, ID: a.id, Home: a.home, Events: a.events, MaxTime: a.maxTime,
				Deadline: a.deadline, Open: a.open, ACW: a.acw, Base: a.base, FoldedAt: a.foldedAt}
			snap.Seen, snap.Emitted = seenList(a.seen), emittedList(a.emitted)
		} else {
			continue // left state: in gone
		}
		// Encoded into a buffer kept across calls, then copied out at its
		// size: growing a fresh buffer per snapshot cost more than the
		// encoding.
		enc, err := snap.appendJSON(p.encBuf[:0])
		if err != nil {
			return nil, fmt.Errorf("cannot write the state of %q: %w", k, err)
		}
		p.encBuf = enc
		// Copied out into one buffer for the whole call, each value a
		// slice of it.
		if cap(arena)-len(arena) < len(enc) {
			arena = make([]byte, 0, max(64<<10, 2*len(enc)))
		}
		start := len(arena)
		arena = append(arena, enc...)
		b := arena[start:len(arena):len(arena)]
		out = append(out, StateChange{Key: changelogKey(snap.Home, k), Partition: snap.Home.Partition, Value: b})
	}
	for _, k := range sortedKeys(p.gone) {
		h := p.gone[k]
		out = append(out, StateChange{Key: changelogKey(h, k), Partition: h.Partition})
	}
	clear(p.touched)
	clear(p.gone)
	return out, nil
}

func seenList(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}

// emittedList lists the emitted rows for a snapshot. A row's JSON is
// encoded once and kept with it: an agent's earlier states are written
// into every snapshot of it until they are folded away.
func emittedList(m map[string]emittedRow) []emittedJSON {
	out := make([]emittedJSON, 0, len(m))
	for _, id := range sortedKeys(m) {
		e := m[id]
		table, _ := rowIdentity(e.row)
		if e.enc == nil {
			e.enc, _ = appendRowJSON(nil, e.row)
			m[id] = e
		}
		out = append(out, emittedJSON{Table: table, Version: e.version, Deleted: e.deleted, Row: e.enc})
	}
	return out
}

// Restore puts one changelog record back into state: a snapshot replaces
// the entity, a nil value removes it. Records of one key must be restored
// in changelog order.
func (p *Processor) Restore(key, value []byte) error {
	_, rest, ok1 := bytes.Cut(key, []byte{0})
	_, ent, ok2 := bytes.Cut(rest, []byte{0})
	if !ok1 || !ok2 {
		return fmt.Errorf("cannot restore state: key %q is not topic, partition and entity", key)
	}
	k := string(ent)
	if value == nil {
		delete(p.ixns, k)
		delete(p.agents, k)
		delete(p.dirtyA, k)
		delete(p.dirtyI, k)
		return nil
	}
	var s snapshot
	if err := json.Unmarshal(value, &s); err != nil {
		return fmt.Errorf("cannot restore the state of %q: %w", k, err)
	}
	seen := make(map[string]struct{}, len(s.Seen))
	for _, id := range s.Seen {
		seen[id] = struct{}{}
	}
	for i := range s.Events {
		p.seq++
		s.Events[i].seq = p.seq
	}
	emitted := make(map[string]emittedRow, len(s.Emitted))
	for _, e := range s.Emitted {
		row, err := decodeRow(e.Table, e.Row)
		if err != nil {
			return fmt.Errorf("cannot restore the state of %q: %w", k, err)
		}
		_, id := rowIdentity(row)
		emitted[id] = emittedRow{version: e.Version, row: row, deleted: e.Deleted}
	}
	switch s.Kind {
	case "i":
		p.ixns[k] = &interaction{tenant: s.Tenant, id: s.ID, home: s.Home, others: homesOf(s.Home, s.Events), events: s.Events, seen: seen, maxTime: s.MaxTime,
			end: s.End, deadline: s.Deadline, emitted: emitted}
		// The after-call work it was computed with: the agents' own
		// record of it may be folded away by now.
		for agent, ms := range s.ACW {
			if p.acw[k] == nil {
				p.acw[k] = map[string]int64{}
			}
			if _, ok := p.acw[k][agent]; !ok {
				p.acw[k][agent] = ms
			}
		}
		// Computed again at the next flush, which finds the agents and
		// queues it names that the configuration does not know yet; the
		// changelog does not keep them. Unchanged facts are not emitted.
		p.dirtyI[k] = struct{}{}
	case "a":
		if s.ACW == nil {
			s.ACW = map[string]int64{}
		}
		p.agents[k] = &agent{tenant: s.Tenant, id: s.ID, home: s.Home, others: homesOf(s.Home, s.Events), events: s.Events, seen: seen, maxTime: s.MaxTime,
			deadline: s.Deadline, open: s.Open, acw: s.ACW, emitted: emitted, base: s.Base, foldedAt: s.FoldedAt}
		for ixn, ms := range s.ACW {
			ik := "i\x00" + s.Tenant + "\x00" + ixn
			if p.acw[ik] == nil {
				p.acw[ik] = map[string]int64{}
			}
			p.acw[ik][s.ID] = ms
		}
		p.dirtyA[k] = struct{}{}
	default:
		return fmt.Errorf("cannot restore the state of %q: kind %q", k, s.Kind)
	}
	for _, e := range s.Events {
		if e.Time > int64(p.stats.MaxEventTime) {
			p.stats.MaxEventTime = Millis(e.Time)
		}
		p.saw(home{e.Topic, e.Partition}, e.Time)
	}
	return nil
}

func decodeRow(table string, b []byte) (any, error) {
	var err error
	switch table {
	case TableInteractions:
		var r InteractionFact
		err = json.Unmarshal(b, &r)
		return r, err
	case TableResources:
		var r ResourceFact
		err = json.Unmarshal(b, &r)
		return r, err
	case TableAgentStates:
		var r AgentStateFact
		err = json.Unmarshal(b, &r)
		return r, err
	case TableSessions:
		var r SessionFact
		err = json.Unmarshal(b, &r)
		return r, err
	}
	return nil, fmt.Errorf("no fact table %q", table)
}
