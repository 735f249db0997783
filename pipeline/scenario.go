package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Scenario scripts: events in, expected fact rows out. The format is
// documented in testdata/scenarios/README.md; this is its one reader, used
// by the scenario test and by anyone checking a file of their own.

// RunScenario runs one scenario script and returns every way the facts
// differ from its expectations, or the first syntax error, naming the line.
func RunScenario(script string) error {
	s := &scenario{cfg: DefaultConfig(), tables: map[string]map[string]map[string]any{}}
	s.cfg.AllowedLateness = 0
	return s.run(script)
}

type scenario struct {
	cfg     Config
	p       *Processor
	date    string
	tables  map[string]map[string]map[string]any // table → id → row
	dead    []map[string]any
	newest  int64
	offsets map[string]int64
	errs    []string
}

type scriptLine struct {
	n    int
	text string
}

func (s *scenario) run(script string) error {
	var lines []scriptLine
	for i, l := range strings.Split(script, "\n") {
		lines = append(lines, scriptLine{n: i + 1, text: strings.TrimRight(l, " \t\r")})
	}
	s.offsets = map[string]int64{}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l.text)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cmd, arg, _ := strings.Cut(t, " ")
		arg = strings.TrimSpace(arg)
		var body []scriptLine
		for i+1 < len(lines) && !isCommand(lines[i+1].text) {
			i++
			body = append(body, lines[i])
		}
		var err error
		switch cmd {
		case "config":
			err = s.config(arg)
		case "date":
			_, err = time.Parse("2006-01-02", arg)
			s.date = arg
		case "send":
			err = s.send(arg, body)
		case "flush":
			err = s.flush(arg)
		case "expect":
			err = s.expect(arg, body)
		default:
			err = fmt.Errorf("unknown command %q (config, date, send, flush, expect)", cmd)
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", l.n, err)
		}
	}
	if len(s.errs) > 0 {
		return errors.New(strings.Join(s.errs, "\n"))
	}
	return nil
}

func isCommand(line string) bool {
	if line == "" || line[0] == ' ' || line[0] == '\t' {
		return false
	}
	cmd, _, _ := strings.Cut(line, " ")
	switch cmd {
	case "config", "date", "send", "flush", "expect":
		return true
	}
	return false
}

func (s *scenario) config(arg string) error {
	if s.p != nil {
		return fmt.Errorf("config must come before the first send")
	}
	for _, kv := range strings.Fields(arg) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("config %q is not key=value", kv)
		}
		var err error
		switch k {
		case "allowed_lateness":
			s.cfg.AllowedLateness, err = time.ParseDuration(v)
		case "retention":
			s.cfg.Retention, err = time.ParseDuration(v)
		case "max_state_duration":
			s.cfg.MaxStateDuration, err = time.ParseDuration(v)
		case "max_record_bytes":
			s.cfg.MaxRecordBytes, err = strconv.Atoi(v)
		case "state_priority":
			s.cfg.StatePriority = strings.Split(v, ",")
		default:
			return fmt.Errorf("unknown config key %q", k)
		}
		if err != nil {
			return fmt.Errorf("config %s: %w", k, err)
		}
	}
	return s.cfg.Validate()
}

func (s *scenario) processor() *Processor {
	if s.p == nil {
		s.p = NewProcessor(s.cfg)
	}
	return s.p
}

// send reads the body as JSON values, one record each (a value may span
// lines), or, for a body line starting with "raw ", that line's rest as
// the record's bytes, for records that are not JSON at all.
func (s *scenario) send(topic string, body []scriptLine) error {
	if topic == "" {
		return fmt.Errorf("send needs a topic")
	}
	p := s.processor()
	var buf bytes.Buffer
	for _, l := range body {
		t := strings.TrimSpace(l.text)
		if rest, ok := strings.CutPrefix(t, "raw "); ok {
			if err := s.records(topic, &buf); err != nil {
				return fmt.Errorf("line %d: %w", l.n, err)
			}
			s.record(p, topic, []byte(rest))
			continue
		}
		if strings.HasPrefix(t, "#") {
			continue
		}
		buf.WriteString(l.text)
		buf.WriteByte('\n')
	}
	return s.records(topic, &buf)
}

func (s *scenario) records(topic string, buf *bytes.Buffer) error {
	d := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	buf.Reset()
	for {
		var raw json.RawMessage
		if err := d.Decode(&raw); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("send %s: a record is not JSON (write it after \"raw \" to send it as is): %w", topic, err)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err != nil {
			return err
		}
		s.record(s.processor(), topic, c.Bytes())
	}
}

func (s *scenario) record(p *Processor, topic string, raw []byte) {
	off := s.offsets[topic]
	s.offsets[topic]++
	if t := p.Process(topic, 0, off, raw); t > s.newest {
		s.newest = t
	}
}

// flush advances the watermark to the time given, or to the newest event
// time sent, and folds the emitted facts into the tables.
func (s *scenario) flush(arg string) error {
	p := s.processor()
	w := s.newest
	if arg != "" {
		ms, err := s.parseTime(arg)
		if err != nil {
			return err
		}
		w = ms
	}
	p.Advance(w)
	for _, f := range p.Flush() {
		row, err := rowMap(f.Row)
		if err != nil {
			return err
		}
		t := s.tables[f.Table]
		if t == nil {
			t = map[string]map[string]any{}
			s.tables[f.Table] = t
		}
		if prev, ok := t[f.ID]; ok && prev["version"].(float64) >= float64(f.Version) {
			return fmt.Errorf("fact %s %s: version %d does not exceed %v", f.Table, f.ID, f.Version, prev["version"])
		}
		t[f.ID] = row
	}
	for _, d := range p.DeadLetters() {
		s.dead = append(s.dead, map[string]any{
			"topic": d.Topic, "offset": float64(d.Offset), "reason": d.Reason, "error": d.Error, "raw": string(d.Raw),
		})
	}
	return nil
}

func rowMap(r any) (map[string]any, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b, &m)
	return m, err
}

func (s *scenario) parseTime(v string) (int64, error) {
	if len(v) <= len("15:04:05.000") && strings.Count(v, ":") == 2 {
		if s.date == "" {
			return 0, fmt.Errorf("time %q has no date: add a date line first", v)
		}
		v = s.date + "T" + v + "Z"
	}
	v = strings.Replace(v, " ", "T", 1)
	if !strings.HasSuffix(v, "Z") && !strings.Contains(v[10:], "+") {
		v += "Z"
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time (15:04:05[.000] after a date line, or 2006-01-02T15:04:05Z)", v)
	}
	return t.UnixMilli(), nil
}

// want is one expected row: column conditions, each an exact value or,
// with ~, a substring.
type want struct {
	line  int
	conds []cond
}

type cond struct {
	col, op, val string
}

func (s *scenario) expect(table string, body []scriptLine) error {
	var rows []map[string]any
	switch table {
	case "dead_letters":
		rows = s.dead
	case TableInteractions, TableResources, TableAgentStates, TableSessions:
		for _, r := range s.tables[table] {
			if r["deleted"].(float64) == 0 {
				rows = append(rows, r)
			}
		}
	default:
		return fmt.Errorf("expect %q: not a table (interaction_facts, interaction_resource_facts, agent_state_facts, agent_session_facts, dead_letters)", table)
	}
	sort.Slice(rows, func(i, j int) bool { return rowOrder(rows[i]) < rowOrder(rows[j]) })
	var wants []want
	for _, l := range body {
		t := strings.TrimSpace(l.text)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		conds, err := parseConds(t)
		if err != nil {
			return fmt.Errorf("line %d: %w", l.n, err)
		}
		wants = append(wants, want{line: l.n, conds: conds})
	}
	used := make([]bool, len(rows))
	var missing []string
	for _, w := range wants {
		found := false
		for i, r := range rows {
			if !used[i] && s.matches(r, w.conds) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, fmt.Sprintf("  line %d: no row matches", w.line))
		}
	}
	var extra []string
	for i, r := range rows {
		if !used[i] {
			extra = append(extra, "  unexpected: "+s.formatRow(r))
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	msg := fmt.Sprintf("expect %s at line %d:\n%s", table, body0(body), strings.Join(append(missing, extra...), "\n"))
	if len(extra) < len(rows) {
		msg += "\n  rows:"
		for _, r := range rows {
			msg += "\n    " + s.formatRow(r)
		}
	}
	s.errs = append(s.errs, msg)
	return nil
}

func body0(body []scriptLine) int {
	if len(body) == 0 {
		return 0
	}
	return body[0].n - 1
}

func rowOrder(r map[string]any) string {
	return fmt.Sprint(r["start"], "\x00", r["offset"], "\x00", r["id"])
}

func parseConds(line string) ([]cond, error) {
	var out []cond
	for line != "" {
		i := strings.IndexAny(line, "=~")
		if i <= 0 {
			return nil, fmt.Errorf("%q is not column=value or column~text", line)
		}
		c := cond{col: line[:i], op: line[i : i+1]}
		line = line[i+1:]
		if strings.HasPrefix(line, `"`) {
			v, rest, err := unquotePrefix(line)
			if err != nil {
				return nil, err
			}
			c.val, line = v, rest
		} else {
			v, rest, _ := strings.Cut(line, " ")
			c.val, line = v, rest
		}
		line = strings.TrimSpace(line)
		out = append(out, c)
	}
	return out, nil
}

func unquotePrefix(s string) (string, string, error) {
	for i := 1; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '"' {
			v, err := strconv.Unquote(s[:i+1])
			return v, s[i+1:], err
		}
	}
	return "", "", fmt.Errorf("unterminated quote in %q", s)
}

var timeColumns = map[string]bool{"start": true, "end": true}

func (s *scenario) matches(r map[string]any, conds []cond) bool {
	for _, c := range conds {
		got := cellText(r[c.col])
		want := c.val
		if timeColumns[c.col] && want != "" {
			ms, err := s.parseTime(want)
			if err != nil {
				return false
			}
			want = Millis(ms).String()
		}
		if c.op == "~" {
			if !strings.Contains(got, want) {
				return false
			}
		} else if got != want {
			return false
		}
	}
	return true
}

func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// formatRow writes a row as an expect line, so a failing scenario shows
// the lines to paste.
func (s *scenario) formatRow(r map[string]any) string {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := cellText(r[k])
		if v == "" || k == "tenant" || k == "deleted" {
			continue
		}
		if timeColumns[k] && s.date != "" {
			v = strings.TrimSuffix(strings.TrimPrefix(v, s.date+" "), ".000")
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		v = truncate(v, 160)
		if strings.ContainsAny(v, " \"=") {
			v = strconv.Quote(v)
		}
		b.WriteString(k + "=" + v)
	}
	return b.String()
}

// ReadScenario reads a scenario file's text from r, for callers outside
// tests.
func ReadScenario(r io.Reader) (string, error) {
	var b strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String(), sc.Err()
}
