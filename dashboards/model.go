package dashboards

import (
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Dashboard is one dashboard as written in its YAML file, and as the API
// takes and returns it (JSON field names are the YAML keys). A dashboard
// never names an environment: what differs between instances is an
// instance variable resolved at display time.
type Dashboard struct {
	// UID names the dashboard in URLs, links and promotion: letters,
	// digits, _ and -, at most 40 characters. It never changes.
	UID         string   `yaml:"uid" json:"uid"`
	Title       string   `yaml:"title" json:"title"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Tags        []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// Folder groups dashboards in the list; empty is the top level.
	Folder string `yaml:"folder,omitempty" json:"folder,omitempty"`
	// Owner is the team to ask; Playbook is the URL on-call opens with it.
	Owner    string `yaml:"owner,omitempty" json:"owner,omitempty"`
	Playbook string `yaml:"playbook,omitempty" json:"playbook,omitempty"`
	// Time is the range a viewer starts with. Default now-1h to now.
	Time TimeRange `yaml:"time" json:"time"`
	// Refresh is the auto-refresh period ("30s", "5m"); empty is off.
	Refresh   string     `yaml:"refresh,omitempty" json:"refresh,omitempty"`
	Variables []Variable `yaml:"variables,omitempty" json:"variables,omitempty"`
	// Rows are collapsible groups; a panel joins one with its row key.
	Rows   []Row   `yaml:"rows,omitempty" json:"rows,omitempty"`
	Panels []Panel `yaml:"panels" json:"panels"`
}

// TimeRange is a range in the query layer's time grammar: "now-1h", "now",
// or an absolute RFC 3339 time.
type TimeRange struct {
	From string `yaml:"from" json:"from"`
	To   string `yaml:"to" json:"to"`
}

// The variable kinds.
const (
	// KindQuery takes its values from a template's enum parameter (its
	// values or values_query).
	KindQuery = "query"
	// KindCustom takes a fixed list of values.
	KindCustom = "custom"
	// KindInterval takes a list of durations ("1m", "5m").
	KindInterval = "interval"
	// KindConstant is a fixed value the viewer does not see or change.
	KindConstant = "constant"
	// KindText is a free text box.
	KindText = "text"
)

// AllValue is the value of an include_all variable's "All" option. A
// parameter bound to a variable set to it is left unset (no filter).
const AllValue = "$__all"

// Variable is one dashboard variable, referenced from panel bindings as
// $name.
type Variable struct {
	Name  string `yaml:"name" json:"name"`
	Kind  string `yaml:"kind" json:"kind"`
	Label string `yaml:"label,omitempty" json:"label,omitempty"`
	// Template and Param name a query variable's source: the enum
	// parameter of that template version whose values it offers.
	Template *TemplateRef `yaml:"template,omitempty" json:"template,omitempty"`
	Param    string       `yaml:"param,omitempty" json:"param,omitempty"`
	// Values are a custom or interval variable's choices.
	Values []string `yaml:"values,omitempty" json:"values,omitempty"`
	// Default is the value a viewer starts with: one value, or a list for
	// a multi variable; AllValue selects "All".
	Default Values `yaml:"default,omitempty" json:"default,omitempty"`
	// Multi lets the viewer pick several values (query and custom only);
	// IncludeAll adds the "All" option (query and custom only).
	Multi      bool `yaml:"multi,omitempty" json:"multi,omitempty"`
	IncludeAll bool `yaml:"include_all,omitempty" json:"include_all,omitempty"`
}

// Values is one value or a list of them; written as a scalar when it holds
// one value.
type Values []string

// UnmarshalYAML takes a scalar or a sequence of scalars.
func (v *Values) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*v = Values{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Values, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a default is a value or a list of values", c.Line)
			}
			out = append(out, c.Value)
		}
		*v = out
		return nil
	}
	return fmt.Errorf("line %d: a default is a value or a list of values", n.Line)
}

// MarshalYAML writes one value as a scalar.
func (v Values) MarshalYAML() (any, error) {
	if len(v) == 1 {
		return v[0], nil
	}
	return []string(v), nil
}

// MarshalJSON writes one value as a string.
func (v Values) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return json.Marshal(v[0])
	}
	return json.Marshal([]string(v))
}

// TemplateRef pins one template version.
type TemplateRef struct {
	ID      string `yaml:"id" json:"id"`
	Version uint32 `yaml:"version" json:"version"`
}

func (r TemplateRef) String() string { return fmt.Sprintf("%s v%d", r.ID, r.Version) }

// Row is a collapsible group of panels.
type Row struct {
	ID        string `yaml:"id" json:"id"`
	Title     string `yaml:"title" json:"title"`
	Collapsed bool   `yaml:"collapsed,omitempty" json:"collapsed,omitempty"`
}

// Panel runs one template version with its parameters bound and draws the
// result.
type Panel struct {
	Title       string      `yaml:"title" json:"title"`
	Description string      `yaml:"description,omitempty" json:"description,omitempty"`
	Template    TemplateRef `yaml:"template" json:"template"`
	// Params binds parameters by name: "$var" is a variable's value,
	// anything else a literal ("$$x" is the literal "$x").
	Params        map[string]any `yaml:"params,omitempty" json:"params,omitempty"`
	Visualization Visualization  `yaml:"visualization" json:"visualization"`
	Grid          Grid           `yaml:"grid" json:"grid"`
	Links         []Link         `yaml:"links,omitempty" json:"links,omitempty"`
	// Expect "empty" makes the panel healthy when its query returns no
	// rows, and red with the count when it returns some.
	Expect string `yaml:"expect,omitempty" json:"expect,omitempty"`
	// Row is the id of the row the panel belongs to; empty is none.
	Row string `yaml:"row,omitempty" json:"row,omitempty"`
}

// ExpectEmpty is the one value Panel.Expect takes.
const ExpectEmpty = "empty"

// VisualizationTypes are the ways a panel draws.
var VisualizationTypes = []string{"timeseries", "bar", "table", "stat", "logs", "gauge"}

// Visualization is how a panel draws its result.
type Visualization struct {
	// Type is one of VisualizationTypes. Default table.
	Type    string     `yaml:"type" json:"type"`
	Options VisOptions `yaml:"options,omitempty" json:"options,omitempty"`
}

// VisOptions are a visualization's options; each applies where it makes
// sense and is ignored elsewhere.
type VisOptions struct {
	// Unit formats values: short, percent, ms, s, bytes, reqps …
	Unit     string   `yaml:"unit,omitempty" json:"unit,omitempty"`
	Decimals *int     `yaml:"decimals,omitempty" json:"decimals,omitempty"`
	Min      *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max      *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	// Thresholds color values from each step's value up, in ascending
	// order.
	Thresholds []Threshold `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	// Colors fix a series' color by its name.
	Colors map[string]string `yaml:"colors,omitempty" json:"colors,omitempty"`
	// Stacking is none, normal or percent. Default none.
	Stacking string  `yaml:"stacking,omitempty" json:"stacking,omitempty"`
	Legend   *Legend `yaml:"legend,omitempty" json:"legend,omitempty"`
}

// Threshold is one color step.
type Threshold struct {
	Value float64 `yaml:"value" json:"value"`
	Color string  `yaml:"color" json:"color"`
}

// Legend places a chart's legend: bottom, right or hidden.
type Legend struct {
	Placement string `yaml:"placement" json:"placement"`
}

// Grid is a panel's place on the 24-column grid; Y and H count rows.
type Grid struct {
	X int `yaml:"x" json:"x"`
	Y int `yaml:"y" json:"y"`
	W int `yaml:"w" json:"w"`
	H int `yaml:"h" json:"h"`
}

// GridColumns is the grid's width.
const GridColumns = 24

// Link is one panel link: another dashboard (opened with the current
// variables and range), the panel's query in Explore, or a URL.
type Link struct {
	Title     string `yaml:"title" json:"title"`
	Dashboard string `yaml:"dashboard,omitempty" json:"dashboard,omitempty"`
	Explore   bool   `yaml:"explore,omitempty" json:"explore,omitempty"`
	URL       string `yaml:"url,omitempty" json:"url,omitempty"`
}

// Templates returns the template versions d's panels and query variables
// use, sorted, each once.
func (d *Dashboard) Templates() []TemplateRef {
	seen := map[TemplateRef]bool{}
	var out []TemplateRef
	add := func(r TemplateRef) {
		if r.ID != "" && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, v := range d.Variables {
		if v.Template != nil {
			add(*v.Template)
		}
	}
	for _, p := range d.Panels {
		add(p.Template)
	}
	sortRefs(out)
	return out
}
