package query

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/store"
)

// TemplateError is one problem with one template file, at a line. Load and
// Lint report every problem they find, joined with errors.Join.
type TemplateError struct {
	File string
	Line int // 0: the file as a whole
	Msg  string
}

func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// maxTemplateFile bounds a template file, in bytes.
const maxTemplateFile = 1 << 20

// templateFiles lists dir's *.yaml and *.yml files, sorted.
func templateFiles(dir string) ([]string, error) {
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	return files, nil
}

// readTemplateFile decodes and checks one template file (everything but the
// engine checks). Problems come back as *TemplateError values.
func readTemplateFile(path string) (*Template, []error) {
	fail := func(line int, format string, args ...any) (*Template, []error) {
		return nil, []error{&TemplateError{File: path, Line: line, Msg: fmt.Sprintf(format, args...)}}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fail(0, "cannot read: %v", err)
	}
	if len(b) > maxTemplateFile {
		return fail(0, "is %d bytes, more than the %d a template may be", len(b), maxTemplateFile)
	}
	spec, pos, err := decodeSpec(b)
	if err != nil {
		var te *TemplateError
		if errors.As(err, &te) {
			te.File = path
			return nil, []error{te}
		}
		return fail(0, "%v", err)
	}
	t, probs := compileSpec(spec, pos)
	if len(probs) > 0 {
		errs := make([]error, len(probs))
		for i, p := range probs {
			errs[i] = &TemplateError{File: path, Line: p.line, Msg: p.msg}
		}
		return nil, errs
	}
	t.File = path
	return t, nil
}

// decodeSpec decodes one YAML document strictly: unknown keys, repeated
// keys, wrong types and a second document are errors naming the line.
func decodeSpec(b []byte) (Spec, positions, error) {
	var spec Spec
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&spec); err != nil {
		if errors.Is(err, io.EOF) {
			return spec, nil, &TemplateError{Msg: "is empty"}
		}
		return spec, nil, yamlProblem(err)
	}
	var extra yaml.Node
	if err := d.Decode(&extra); err == nil {
		return spec, nil, &TemplateError{Line: extra.Line, Msg: "holds a second YAML document; one template per file"}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return spec, nil, yamlProblem(err)
	}
	return spec, nodePositions{&root}, nil
}

var (
	yamlLineRe      = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlUnknownRe   = regexp.MustCompile(`^field (\S+) not found in type query\.(\w+)$`)
	yamlWrongTypeRe = regexp.MustCompile("^cannot unmarshal !!(\\w+) `?([^`]*)`? into (.+)$")
)

// yamlProblem turns yaml.v3's first error into a TemplateError naming the
// line and the key.
func yamlProblem(err error) error {
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		m := yamlLineRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		msg := m[2]
		if u := yamlUnknownRe.FindStringSubmatch(msg); u != nil {
			where := "the template"
			switch u[2] {
			case "ParamSpec":
				where = "a param"
			case "ChartSpec":
				where = "the chart (x, y, series)"
			}
			msg = fmt.Sprintf("unknown key %q in %s", u[1], where)
		} else if w := yamlWrongTypeRe.FindStringSubmatch(msg); w != nil {
			msg = fmt.Sprintf("value %q has the wrong type: want %s", w[2], goTypeWord(w[3]))
		}
		return &TemplateError{Line: n, Msg: msg}
	}
	return &TemplateError{Msg: "is not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

func goTypeWord(t string) string {
	switch t {
	case "int":
		return "a whole number"
	case "string":
		return "text"
	case "bool":
		return "true or false"
	case "[]string":
		return "a list of text"
	case "[]query.ParamSpec":
		return "a list of params"
	case "query.ParamSpec":
		return "a param (a mapping)"
	case "query.Spec":
		return "a template (a mapping)"
	case "query.ChartSpec":
		return "a chart (a mapping of x, y and series)"
	}
	return t
}

// nodePositions finds fields' lines in the decoded YAML tree.
type nodePositions struct{ root *yaml.Node }

// line returns the line of the value at path (mapping keys and sequence
// indexes); a block scalar's line is its first content line. A path that
// ends early returns the line of the deepest node found; a path ending in
// "" returns the node's own line.
func (p nodePositions) line(path ...string) int {
	n := p.root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, key := range path {
		if key == "" {
			break
		}
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					next = n.Content[i+1]
					if next.Kind == yaml.ScalarNode && next.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
						next = &yaml.Node{Line: n.Content[i].Line, Kind: yaml.ScalarNode}
					}
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line + 1
	}
	return n.Line
}

// ChartSpec names the result columns a template's chart draws. Each field
// is optional; the UI infers what is left out from the result's columns:
// x is the first time column (timeseries) or the first text column (bar),
// y the numeric columns (every one for a timeseries, the first for a bar),
// series the one text column besides x in a (time, series, value) result.
// A name given here must be a column of every variant of the statement;
// lint and load check that against the engine.
type ChartSpec struct {
	// X is the time axis (timeseries) or the label of each bar (bar).
	X string `yaml:"x" json:"x,omitempty"`
	// Y are the values drawn: lines of a timeseries, or the bar's length
	// (a bar draws the first).
	Y columnList `yaml:"y" json:"y,omitempty"`
	// Series splits the values into one line or bar group per value of
	// this column.
	Series string `yaml:"series" json:"series,omitempty"`
}

// columnList is one column name or a list of them in YAML.
type columnList []string

// UnmarshalYAML reads "y: runs" as well as "y: [p50_ms, p95_ms]".
func (l *columnList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = columnList{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*l = list
	return nil
}

// chartProblems checks a chart spec without the engine: names are given
// once, and only charts that draw take one.
func chartProblems(c *ChartSpec, visualization string, line int) []specProblem {
	if c == nil {
		return nil
	}
	var probs []specProblem
	at := func(format string, args ...any) {
		probs = append(probs, specProblem{line, fmt.Sprintf(format, args...)})
	}
	if visualization != "timeseries" && visualization != "bar" {
		at("chart names columns, but visualization %q draws no chart; use timeseries or bar", visualization)
	}
	seen := map[string]bool{}
	for _, name := range append([]string{c.X, c.Series}, c.Y...) {
		if name == "" {
			continue
		}
		if seen[name] {
			at("chart names column %q twice", name)
		}
		seen[name] = true
	}
	for i, y := range c.Y {
		if strings.TrimSpace(y) == "" {
			at("chart.y[%d] is empty", i)
		}
	}
	return probs
}

// chartProblem is one chart name the statement's columns do not fit, by
// the field (x, y, series) that names it.
type chartProblem struct{ field, msg string }

// chartColumnProblems checks a chart spec against the columns the
// statement returns: every name is a column, x of a timeseries is a time,
// y is numeric.
func chartColumnProblems(c *ChartSpec, visualization string, cols []store.Column) []chartProblem {
	if c == nil {
		return nil
	}
	types := map[string]string{}
	names := make([]string, 0, len(cols))
	for _, col := range cols {
		types[col.Name] = col.Type
		names = append(names, col.Name)
	}
	var out []chartProblem
	check := func(field, name string, want func(string) bool, what string) {
		if name == "" {
			return
		}
		typ, ok := types[name]
		switch {
		case !ok:
			out = append(out, chartProblem{field, fmt.Sprintf("chart.%s names column %q, which the statement does not return (it returns %s)", field, name, strings.Join(names, ", "))})
		case want != nil && !want(typ):
			out = append(out, chartProblem{field, fmt.Sprintf("chart.%s names column %q of type %s, which is not %s", field, name, typ, what)})
		}
	}
	if visualization == "timeseries" {
		check("x", c.X, isTimeColumn, "a time")
	} else {
		check("x", c.X, nil, "")
	}
	for _, y := range c.Y {
		check("y", y, isNumericColumn, "a number")
	}
	check("series", c.Series, nil, "")
	return out
}

var (
	timeColumnRe    = regexp.MustCompile(`^(Nullable\()?(LowCardinality\()?(DateTime|Date)`)
	numericColumnRe = regexp.MustCompile(`^(Nullable\()?(U?Int\d+|Float\d+|Decimal)`)
)

func isTimeColumn(typ string) bool    { return timeColumnRe.MatchString(typ) }
func isNumericColumn(typ string) bool { return numericColumnRe.MatchString(typ) }
