package pipeline

import (
	"encoding/json"
	"sort"
	"strconv"
)

// The changelog snapshot of every changed entity is written on every
// transaction, so it is encoded by hand like the fact rows (facts_json.go):
// through encoding/json it was a tenth of the pipeline's CPU time in
// `logmart bench pipeline`. Restore reads it with encoding/json; the two
// agree field for field (TestSnapshotJSONReadsBack).

// appendJSON appends the snapshot as encoding/json would write it for its
// tags, but for the order of seen ids, which is the map's.
func (s *snapshot) appendJSON(b []byte) ([]byte, error) {
	b = appendStrField(b, '{', "kind", s.Kind)
	b = appendStrField(b, ',', "tenant", s.Tenant)
	b = appendStrField(b, ',', "id", s.ID)
	b = append(b, `,"home":{"t":`...)
	b = appendJSONString(b, s.Home.Topic)
	b = append(b, `,"p":`...)
	b = strconv.AppendInt(b, int64(s.Home.Partition), 10)
	b = append(b, `},"events":`...)
	if s.Events == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range s.Events {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = s.Events[i].appendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"seen":`...)
	if s.Seen == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, id := range s.Seen {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, id)
		}
		b = append(b, ']')
	}
	b = appendIntField(b, "max_time", s.MaxTime)
	if s.End != 0 {
		b = appendIntField(b, "end", s.End)
	}
	if s.Deadline != 0 {
		b = appendIntField(b, "deadline", s.Deadline)
	}
	if s.Open {
		b = append(b, `,"open":true`...)
	}
	if len(s.ACW) > 0 {
		b = append(b, `,"acw":{`...)
		keys := make([]string, 0, len(s.ACW))
		for k := range s.ACW {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = strconv.AppendInt(b, s.ACW[k], 10)
		}
		b = append(b, '}')
	}
	b = append(b, `,"emitted":`...)
	if s.Emitted == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, e := range s.Emitted {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStrField(b, '{', "table", e.Table)
			b = append(b, `,"version":`...)
			b = strconv.AppendUint(b, e.Version, 10)
			if e.Deleted {
				b = append(b, `,"deleted":true`...)
			}
			b = append(b, `,"row":`...)
			b = append(b, e.Row...)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(s.Base) > 0 {
		// Only folded agents have one: rare enough for reflection.
		base, err := json.Marshal(s.Base)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"base":`...)
		b = append(b, base...)
	}
	if s.FoldedAt != 0 {
		b = appendIntField(b, "folded_at", s.FoldedAt)
	}
	return append(b, '}'), nil
}

// appendJSON appends the event as encoding/json writes it for its tags.
func (e *Event) appendJSON(b []byte) ([]byte, error) {
	sep := byte('{')
	str := func(name, v string) {
		if v != "" {
			b = appendStrField(b, sep, name, v)
			sep = ','
		}
	}
	num := func(name string, v int64) {
		if v != 0 {
			b = append(b, sep, '"')
			b = append(b, name...)
			b = append(b, '"', ':')
			b = strconv.AppendInt(b, v, 10)
			sep = ','
		}
	}
	party := func(name string, p Party) {
		if p == (Party{}) {
			return
		}
		b = append(b, sep, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		psep := byte('{')
		for _, f := range [3][2]string{{"type", p.Type}, {"id", p.ID}, {"dn", p.DN}} {
			if f[1] != "" {
				b = appendStrField(b, psep, f[0], f[1])
				psep = ','
			}
		}
		if psep == '{' {
			b = append(b, '{')
		}
		b = append(b, '}')
		sep = ','
	}
	num("k", int64(e.Kind))
	num("t", e.Time)
	str("tn", e.Tenant)
	str("id", e.ID)
	str("ix", e.Interaction)
	str("m", e.Media)
	str("dir", e.Direction)
	str("from", e.From)
	str("to", e.To)
	party("p", e.Party)
	party("tg", e.Target)
	str("q", e.Queue)
	if e.Consult {
		b = append(b, sep)
		b = append(b, `"c":true`...)
		sep = ','
	}
	str("by", e.By)
	str("cp", e.Campaign)
	str("dp", e.Disposition)
	num("we", e.WrapupEnd)
	str("a", e.Agent)
	str("dn", e.DN)
	str("r", e.Reason)
	if e.Config != nil {
		cfg, err := json.Marshal(e.Config)
		if err != nil {
			return nil, err
		}
		b = append(b, sep)
		b = append(b, `"cfg":`...)
		b = append(b, cfg...)
		sep = ','
	}
	str("tp", e.Topic)
	num("pt", int64(e.Partition))
	num("o", e.Offset)
	if sep == '{' {
		b = append(b, '{')
	}
	return append(b, '}'), nil
}
