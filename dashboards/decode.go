package dashboards

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/fault"
)

// MaxFileBytes bounds one dashboard's YAML (a file, or an API body).
const MaxFileBytes = 1 << 20

// Problem is one thing wrong with a dashboard, where a user finds it: the
// file and line, the panel (by title) and the field (a path such as
// panels[2].params.service). Empty parts are left out of the message.
type Problem struct {
	File  string
	Line  int
	Panel string
	Field string
	Msg   string
}

func (p *Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	} else if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Panel != "" {
		fmt.Fprintf(&b, "panel %q: ", p.Panel)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems joins ps into one BadInput error (nil when there are none).
func Problems(ps []*Problem) error {
	if len(ps) == 0 {
		return nil
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return fault.Wrap(fault.BadInput, errors.Join(errs...))
}

// Positions maps a field path (uid, panels[2].grid.w) to its line.
type Positions map[string]int

// Line is the line of path, or of its nearest parent that has one.
func (ps Positions) Line(path string) int {
	for path != "" {
		if l, ok := ps[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func (ps Positions) walk(n *yaml.Node, path string) {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		ps.walk(n.Content[0], path)
		return
	}
	if path != "" {
		if _, ok := ps[path]; !ok {
			ps[path] = n.Line
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			p := k
			if path != "" {
				p = path + "." + k
			}
			ps[p] = n.Content[i].Line
			ps.walk(n.Content[i+1], p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			ps.walk(c, path+"["+strconv.Itoa(i)+"]")
		}
	}
}

// Schema is what a strict decode knows of a content kind's model: the
// noun for one item ("a dashboard"), its size bound, and its Go types by
// name, so that an unknown key is answered with the keys allowed there.
type Schema struct {
	Noun     string
	MaxBytes int
	Types    map[string]reflect.Type
	// Nouns name types in messages ("template" for TemplateRef); a type
	// not listed is "a <lowercased name>".
	Nouns map[string]string
}

// DecodeStrict reads one item of content into v strictly: unknown keys,
// repeated keys, wrong types and a second document are problems naming the
// line. JSON is YAML, so API bodies decode here too. file names the source
// in problems (empty for an API body). It returns where each field is, for
// the problems that validation finds.
func DecodeStrict(b []byte, file string, v any, sc Schema) (Positions, error) {
	fail := func(line int, format string, args ...any) (Positions, error) {
		return nil, Problems([]*Problem{{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}})
	}
	if len(b) > sc.MaxBytes {
		return fail(0, "is %d bytes, more than the %d %s may be", len(b), sc.MaxBytes, sc.Noun)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fail(0, "is empty")
		}
		return nil, Problems(yamlProblems(err, file, sc))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return fail(extra.Line, "holds a second YAML document; one item per file")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, Problems(yamlProblems(err, file, sc))
	}
	pos := Positions{}
	pos.walk(&root, "")
	return pos, nil
}

// Decode reads one dashboard strictly (DecodeStrict), then checks the
// model (Validate).
func Decode(b []byte, file string) (*Dashboard, Positions, error) {
	var d Dashboard
	pos, err := DecodeStrict(b, file, &d, dashboardSchema)
	if err != nil {
		if len(bytes.TrimSpace(b)) == 0 {
			return nil, nil, Problems([]*Problem{{File: file, Msg: "is empty; a dashboard needs at least uid, title and panels"}})
		}
		return nil, nil, err
	}
	Normalize(&d)
	if ps := Validate(&d); len(ps) > 0 {
		for _, p := range ps {
			p.File = file
			p.Line = pos.Line(p.Field)
		}
		return nil, nil, Problems(ps)
	}
	return &d, pos, nil
}

var (
	yamlLineRe    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlUnknownRe = regexp.MustCompile(`^field (\S+) not found in type \w+\.(\w+)$`)
	yamlTypeRe    = regexp.MustCompile("^cannot unmarshal !!(\\w+) `?([^`]*)`? into (.+)$")
)

// yamlProblems turns yaml.v3's errors into problems naming the line and,
// for an unknown key, the keys allowed there.
func yamlProblems(err error, file string, sc Schema) []*Problem {
	var out []*Problem
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "yaml: unmarshal errors:" {
			continue
		}
		p := &Problem{File: file, Msg: strings.TrimPrefix(line, "yaml: ")}
		if m := yamlLineRe.FindStringSubmatch(line); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Msg = m[2]
		}
		if m := yamlUnknownRe.FindStringSubmatch(p.Msg); m != nil {
			p.Msg = fmt.Sprintf("unknown key %q; %s takes %s", m[1], sc.noun(m[2]), strings.Join(sc.keysOf(m[2]), ", "))
		} else if m := yamlTypeRe.FindStringSubmatch(p.Msg); m != nil {
			p.Msg = fmt.Sprintf("%s %q where %s is expected", yamlKind(m[1]), m[2], goTypeNoun(m[3]))
		} else if !strings.Contains(p.Msg, "already defined") && p.Line > 0 {
			p.Msg = "malformed YAML: " + p.Msg
		} else if p.Line == 0 {
			p.Msg = "malformed YAML: " + p.Msg
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		out = append(out, &Problem{File: file, Msg: "malformed YAML: " + err.Error()})
	}
	return out
}

var dashboardSchema = Schema{Noun: "a dashboard", MaxBytes: MaxFileBytes, Types: map[string]reflect.Type{
	"Dashboard": reflect.TypeOf(Dashboard{}), "TimeRange": reflect.TypeOf(TimeRange{}),
	"Variable": reflect.TypeOf(Variable{}), "TemplateRef": reflect.TypeOf(TemplateRef{}),
	"Row": reflect.TypeOf(Row{}), "Panel": reflect.TypeOf(Panel{}),
	"Visualization": reflect.TypeOf(Visualization{}), "VisOptions": reflect.TypeOf(VisOptions{}),
	"Threshold": reflect.TypeOf(Threshold{}), "Legend": reflect.TypeOf(Legend{}),
	"Grid": reflect.TypeOf(Grid{}), "Link": reflect.TypeOf(Link{}),
}, Nouns: map[string]string{"Dashboard": "a dashboard", "TimeRange": "time", "TemplateRef": "template", "VisOptions": "visualization options"}}

// keysOf lists the YAML keys of the model type named name.
func (sc Schema) keysOf(name string) []string {
	t, ok := sc.Types[name]
	if !ok {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

func (sc Schema) noun(name string) string {
	if n, ok := sc.Nouns[name]; ok {
		return n
	}
	return "a " + strings.ToLower(name)
}

func yamlKind(tag string) string {
	switch tag {
	case "str":
		return "the text"
	case "int", "float":
		return "the number"
	case "bool":
		return "the boolean"
	case "map":
		return "a mapping"
	case "seq":
		return "a list"
	}
	return "the value"
}

func goTypeNoun(t string) string {
	switch {
	case strings.Contains(t, "int"):
		return "a whole number"
	case strings.Contains(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "text"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map"):
		return "a mapping"
	}
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return "a " + strings.ToLower(t)
}
