package dashboards

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/logmart/logmart/fault"
)

// Limits of the variable values a viewer sends with a panel run.
const (
	maxVarValues   = 100
	maxVarValueLen = 1024
)

// PanelRun is what one panel runs for a viewer: its template version and
// the values its bindings give.
type PanelRun struct {
	Panel    *Panel
	Template TemplateRef
	Values   map[string]any
}

// PanelValues resolves panel i's bindings with the viewer's variable
// values vars (a variable left out takes its default; a constant always
// does, since a viewer cannot change it). paramType gives the type of a
// parameter of the panel's template ("string", "list(string)" …), so a
// multi variable binds a list. A variable set to All, or to nothing,
// leaves its parameter unset: no filter. Values outside a custom or
// interval variable's list, several values for a single-valued variable,
// and unknown variables are refused, naming the variable; the template
// checks the rest (types, enum values) when the panel runs. Literal text
// and constants take the instance's variables for their ${name}s.
func (d *Dashboard) PanelValues(i int, vars map[string][]string, paramType func(name string) string, instance map[string]string) (*PanelRun, error) {
	if i < 0 || i >= len(d.Panels) {
		return nil, fault.New(fault.NotFound, "dashboard %s has no panel %d (it has %d)", d.UID, i, len(d.Panels))
	}
	byName := make(map[string]*Variable, len(d.Variables))
	for j := range d.Variables {
		byName[d.Variables[j].Name] = &d.Variables[j]
	}
	for name, vals := range vars {
		v := byName[name]
		if v == nil {
			return nil, fault.New(fault.BadInput, "dashboard %s has no variable %q", d.UID, name)
		}
		if err := checkVarValues(v, vals); err != nil {
			return nil, err
		}
	}
	p := &d.Panels[i]
	run := &PanelRun{Panel: p, Template: p.Template, Values: map[string]any{}}
	for name, bound := range p.Params {
		b := ParseBinding(bound)
		if b.Var == "" {
			if text, ok := b.Literal.(string); ok {
				b.Literal = ExpandInstance(text, instance)
			}
			run.Values[name] = b.Literal
			continue
		}
		v := byName[b.Var]
		if v == nil {
			return nil, fault.New(fault.BadInput, "panel %q binds $%s, which the dashboard does not define", p.Title, b.Var)
		}
		vals, given := vars[v.Name]
		if !given || v.Kind == KindConstant {
			vals = v.Default
		}
		if v.Kind == KindConstant && len(vals) > 0 {
			vals = []string{ExpandInstance(vals[0], instance)}
		}
		if len(vals) == 0 || slices.Contains(vals, AllValue) || (len(vals) == 1 && vals[0] == "" && v.Kind != KindConstant) {
			continue
		}
		if isList(paramType(name)) {
			list := make([]any, len(vals))
			for k, x := range vals {
				list[k] = x
			}
			run.Values[name] = list
		} else {
			run.Values[name] = vals[0]
		}
	}
	return run, nil
}

// checkVarValues refuses values variable v cannot hold.
func checkVarValues(v *Variable, vals []string) error {
	if len(vals) > maxVarValues {
		return fault.New(fault.BadInput, "variable %s: %d values, more than %d", v.Name, len(vals), maxVarValues)
	}
	if len(vals) > 1 && !v.Multi {
		return fault.New(fault.BadInput, "variable %s takes one value, got %d", v.Name, len(vals))
	}
	for _, x := range vals {
		switch {
		case len(x) > maxVarValueLen || !utf8.ValidString(x):
			return fault.New(fault.BadInput, "variable %s: a value must be valid UTF-8 of at most %d bytes", v.Name, maxVarValueLen)
		case x == AllValue && !v.IncludeAll:
			return fault.New(fault.BadInput, "variable %s has no All option", v.Name)
		case x == AllValue:
		case (v.Kind == KindCustom || v.Kind == KindInterval) && !slices.Contains(v.Values, x):
			return fault.New(fault.BadInput, "variable %s: %q is not one of %s", v.Name, x, strings.Join(v.Values, ", "))
		}
	}
	return nil
}

// String names the run for messages.
func (r *PanelRun) String() string { return fmt.Sprintf("panel %q (%s)", r.Panel.Title, r.Template) }
