package ingest

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sync/atomic"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/fault"
)

// StreamsFile is configs/streams.yaml: the ordered routing rules that put
// each record in a stream.
type StreamsFile struct {
	Streams []StreamRule `yaml:"streams"`
}

// StreamRule is one stream and the rule that selects its records.
type StreamRule struct {
	// Name is the stream's name, stored in the stream column.
	Name string `yaml:"name" json:"name"`
	// Match is an expr-lang expression over the record (see RouteEnv), for
	// example `source startsWith "prod/" && service == "nginx"`. Empty on the
	// last rule: the default stream, which takes everything left.
	Match string `yaml:"match" json:"match,omitempty"`
	// RetentionDays is how long the stream's rows are kept, in days,
	// counted from each record's own time; a record already older than
	// that when it arrives is set aside as a dead letter
	// (older_than_retention) rather than stored and deleted by the TTL.
	// Default 30.
	RetentionDays int `yaml:"retention_days" json:"retention_days"`
	// Backfill makes the stream accept records of any age and count their
	// retention from when they are ingested instead, for a stream that
	// loads history. A single record asks for the same with the
	// logmart-backfill header (`logmart ingest file --backfill`). Default
	// false.
	Backfill bool `yaml:"backfill" json:"backfill,omitempty"`
	// Format is how the stream's records are decoded when their source does
	// not write its topic's format: json, logfmt, text or a named format
	// (syslog, nginx_combined, cloudtrail, …; decode_formats.go). It is
	// chosen before a record is decoded, so the match of a rule with a
	// format may read only source (the logmart-source header, else the
	// topic) and topic. It applies to the records the rule's match selects
	// and to those that name the stream in their logmart-stream header; a
	// record's logmart-format header still wins. Read again on reload, so a
	// new source needs no restart. Not on the default stream. Default: the
	// topic's format.
	Format string `yaml:"format" json:"format,omitempty"`
	// Description says what the stream holds, for people.
	Description string `yaml:"description" json:"description,omitempty"`
	// Hot, WarmAfter, ColdAfter and DeleteAfter place the stream's rows on
	// storage tiers by age, counted as the retention is (tiers.go).
	Hot         string `yaml:"hot" json:"hot,omitempty"`
	WarmAfter   string `yaml:"warm_after" json:"warm_after,omitempty"`
	ColdAfter   string `yaml:"cold_after" json:"cold_after,omitempty"`
	DeleteAfter string `yaml:"delete_after" json:"delete_after,omitempty"`

	warmDays, coldDays int // from the above, by compileTiers
}

// renamed is the rule for a stream that streams.yaml does not list but a
// record names: this rule's retention and tiers under that name.
func (r *StreamRule) renamed(name string) *StreamRule {
	return &StreamRule{Name: name, RetentionDays: r.RetentionDays, Backfill: r.Backfill, warmDays: r.warmDays, coldDays: r.coldDays}
}

// RouteEnv is what a stream rule sees of a record.
type RouteEnv struct {
	Source  string            `expr:"source"`
	Topic   string            `expr:"topic"`
	Service string            `expr:"service"`
	Host    string            `expr:"host"`
	Level   string            `expr:"level"`
	Type    string            `expr:"type"`
	Tenant  string            `expr:"tenant"`
	Body    string            `expr:"body"`
	Attrs   map[string]string `expr:"attrs"`
}

var streamNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// Router holds compiled rules. Rules are compiled once; a reload swaps the
// whole Router, so a record is routed by one consistent set of rules.
type Router struct {
	rules     []compiledRule
	needAttrs bool
	trivial   bool // one default rule: no evaluation needed
	formats   bool // some rule has a format (formatOf)
}

type compiledRule struct {
	StreamRule
	prog *vm.Program
}

// DefaultStreams routes everything to the stream "default".
func DefaultStreams() StreamsFile {
	return StreamsFile{Streams: []StreamRule{{Name: "default", RetentionDays: 30}}}
}

// LoadStreams reads and compiles a streams file. Errors name the file, the
// stream and the problem.
func LoadStreams(path string) (*Router, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read streams file %q: %w", path, err)
	}
	var f StreamsFile
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r, err := CompileStreams(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// CompileStreams checks and compiles the rules: names are unique and
// well-formed, every rule but the last has a match expression that yields a
// bool, and the last rule is the default (no match).
func CompileStreams(f StreamsFile) (*Router, error) {
	if len(f.Streams) == 0 {
		return nil, fmt.Errorf("streams: at least one stream (the default) is required")
	}
	r := &Router{}
	seen := map[string]bool{}
	for i, s := range f.Streams {
		where := fmt.Sprintf("streams[%d] (%s)", i, s.Name)
		if !streamNameRe.MatchString(s.Name) {
			return nil, fmt.Errorf("%s: name must be lower-case letters, digits, '_', '.', '-' (at most 64)", where)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("%s: name is used twice", where)
		}
		seen[s.Name] = true
		if err := s.compileTiers(); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if s.RetentionDays == 0 {
			s.RetentionDays = 30
		}
		if s.RetentionDays < 1 || s.RetentionDays > 3650 {
			return nil, fmt.Errorf("%s: retention_days must be between 1 and 3650, got %d", where, s.RetentionDays)
		}
		last := i == len(f.Streams)-1
		if s.Format != "" {
			if !IsLogFormat(s.Format) {
				return nil, fmt.Errorf("%s: format %q must be %s", where, s.Format, logFormatList())
			}
			if s.Match == "" && last {
				return nil, fmt.Errorf("%s: the default stream takes no format (the topic's format is the default)", where)
			}
			r.formats = true
		}
		if s.Match == "" {
			if !last {
				return nil, fmt.Errorf("%s: match is required on all but the last (default) stream", where)
			}
			r.rules = append(r.rules, compiledRule{StreamRule: s})
			continue
		}
		if last {
			return nil, fmt.Errorf("%s: the last stream is the default and takes no match; add a default stream after it", where)
		}
		prog, err := expr.Compile(s.Match, expr.Env(RouteEnv{}), expr.AsBool(), expr.MaxNodes(500))
		if err != nil {
			return nil, fmt.Errorf("%s: match %q: %w", where, s.Match, err)
		}
		if s.Format != "" {
			if name := identOtherThan(prog.Node(), "source", "topic"); name != "" {
				return nil, fmt.Errorf("%s: a stream with a format matches on source and topic only, which are known before decoding; match %q reads %s", where, s.Match, name)
			}
		}
		r.rules = append(r.rules, compiledRule{StreamRule: s, prog: prog})
		if bytes.Contains([]byte(s.Match), []byte("attrs")) {
			r.needAttrs = true
		}
	}
	r.trivial = len(r.rules) == 1
	return r, nil
}

// Route returns the stream for a record. A rule that fails at run time
// (a type error on odd data) is treated as not matching.
func (r *Router) Route(env *RouteEnv) *StreamRule {
	if !r.trivial {
		for i := range r.rules[:len(r.rules)-1] {
			out, err := expr.Run(r.rules[i].prog, env)
			if err == nil && out == true {
				return &r.rules[i].StreamRule
			}
		}
	}
	return &r.rules[len(r.rules)-1].StreamRule
}

// Named returns the rule of the stream called name, or the default (last)
// rule when no stream has that name: the retention a record gets when its
// producer names its stream (the logmart-stream header) or its topic does
// (metrics, events).
func (r *Router) Named(name string) *StreamRule {
	for i := range r.rules {
		if r.rules[i].Name == name {
			return &r.rules[i].StreamRule
		}
	}
	return &r.rules[len(r.rules)-1].StreamRule
}

// Streams lists the rules in order.
func (r *Router) Streams() []StreamRule {
	out := make([]StreamRule, len(r.rules))
	for i, c := range r.rules {
		out[i] = c.StreamRule
	}
	return out
}

// Routes holds the current Router for concurrent readers and reloads.
type Routes struct {
	path string
	cur  atomic.Pointer[Router]
}

// NewRoutes loads path, or uses DefaultStreams when path is empty.
func NewRoutes(path string) (*Routes, error) {
	rs := &Routes{path: path}
	if err := rs.Reload(); err != nil {
		return nil, err
	}
	return rs, nil
}

// Reload reads the file again; on error the current rules stay in force
// and the error is BadInput (the file is the user's to fix).
func (rs *Routes) Reload() error {
	var r *Router
	var err error
	if rs.path == "" {
		r, err = CompileStreams(DefaultStreams())
	} else {
		r, err = LoadStreams(rs.path)
	}
	if err != nil {
		return fault.Wrap(fault.BadInput, err)
	}
	rs.cur.Store(r)
	return nil
}

// Current is the Router in force.
func (rs *Routes) Current() *Router { return rs.cur.Load() }
