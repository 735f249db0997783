package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// GrafanaImport is a Grafana dashboard turned into a logmart dashboard and
// the templates its panels run, with what could not be turned.
type GrafanaImport struct {
	Dashboard *Dashboard
	// Templates are the panels' queries, one version 1 template each.
	Templates []ImportedTemplate
	// Skipped lists each panel or variable left out, and why; Notes each
	// change a user should know of in what was converted.
	Skipped []string
	Notes   []string
	// Panels counts the Grafana panels that had a query or content to
	// convert (rows not counted).
	Panels int
}

// ImportedTemplate is a query template made from one Grafana target, in
// the query layer's terms; cmd writes it as a template file, so the
// query package alone owns that format.
type ImportedTemplate struct {
	ID            string
	Title         string
	Description   string
	Visualization string
	Params        []ImportedParam
	SQL           string
}

// ImportedParam is one parameter of an ImportedTemplate.
type ImportedParam struct {
	Name, Type, Description string
	// Default is the parameter's default: a string, a []string for a
	// list, or nil for none.
	Default any
	// Required is a parameter the statement uses outside any {{if}} and
	// that has no default.
	Required bool
	// ValuesQuery lists an enum parameter's values (a query variable's).
	ValuesQuery string
}

// varUse is how the converted panels use one variable: in IN (…) (list),
// as one value (value), and outside $__conditionalAll (needed).
type varUse struct{ list, value, needed bool }

// The Grafana JSON model, as far as the import reads it.
type (
	grafanaDashboard struct {
		UID         string                      `json:"uid"`
		Title       string                      `json:"title"`
		Description string                      `json:"description"`
		Tags        []string                    `json:"tags"`
		Time        *TimeRange                  `json:"time"`
		Refresh     any                         `json:"refresh"`
		Templating  struct{ List []grafanaVar } `json:"templating"`
		Panels      []grafanaPanel              `json:"panels"`
		Rows        []any                       `json:"rows"`
		Dashboard   *json.RawMessage            `json:"dashboard"`
	}
	grafanaVar struct {
		Name       string          `json:"name"`
		Type       string          `json:"type"`
		Label      string          `json:"label"`
		Query      any             `json:"query"`
		Options    []grafanaOption `json:"options"`
		Current    grafanaOption   `json:"current"`
		Multi      bool            `json:"multi"`
		IncludeAll bool            `json:"includeAll"`
	}
	grafanaOption struct {
		Text  any `json:"text"`
		Value any `json:"value"`
	}
	grafanaPanel struct {
		ID          int    `json:"id"`
		Type        string `json:"type"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Collapsed   bool   `json:"collapsed"`
		GridPos     Grid   `json:"gridPos"`
		Targets     []struct {
			RefID  string `json:"refId"`
			RawSQL string `json:"rawSql"`
			Query  string `json:"query"`
			Hide   bool   `json:"hide"`
		} `json:"targets"`
		FieldConfig struct {
			Defaults struct {
				Unit       string   `json:"unit"`
				Decimals   *int     `json:"decimals"`
				Min        *float64 `json:"min"`
				Max        *float64 `json:"max"`
				Thresholds struct {
					Steps []struct {
						Color string   `json:"color"`
						Value *float64 `json:"value"`
					} `json:"steps"`
				} `json:"thresholds"`
				Custom struct {
					Stacking struct {
						Mode string `json:"mode"`
					} `json:"stacking"`
				} `json:"custom"`
			} `json:"defaults"`
		} `json:"fieldConfig"`
		Options struct {
			Legend struct {
				Placement   string `json:"placement"`
				ShowLegend  *bool  `json:"showLegend"`
				DisplayMode string `json:"displayMode"`
			} `json:"legend"`
		} `json:"options"`
		Links []struct {
			Title string `json:"title"`
			URL   string `json:"url"`
		} `json:"links"`
		Panels []grafanaPanel `json:"panels"`
	}
)

// grafanaTypes maps a Grafana panel type to a logmart visualization.
var grafanaTypes = map[string]string{
	"timeseries": "timeseries", "graph": "timeseries", "trend": "timeseries", "state-timeline": "timeseries",
	"barchart": "bar", "bargauge": "bar", "piechart": "bar", "histogram": "bar",
	"table": "table", "table-old": "table",
	"stat": "stat", "singlestat": "stat",
	"gauge": "gauge",
	"logs":  "logs",
}

// templateVisualizations maps a panel's visualization to its template's
// (templates have no gauge).
var templateVisualizations = map[string]string{"timeseries": "timeseries", "bar": "bar", "table": "table", "stat": "stat", "gauge": "stat", "logs": "logs"}

var nonWordRe = regexp.MustCompile(`[^a-z0-9]+`)

// ident lowercases s and turns every run of other characters into _.
func ident(s string) string {
	return strings.Trim(nonWordRe.ReplaceAllString(strings.ToLower(s), "_"), "_")
}

// ImportGrafana converts a Grafana dashboard (its JSON model, or the API's
// {"dashboard": …} wrapper) whose panels query ClickHouse through the
// grafana-clickhouse-datasource. Each panel's rawSql becomes a template
// in which the data source's time macros and the dashboard's variables
// are bound parameters, never spliced text; what cannot be converted is
// listed, panel by panel, and the rest still converts.
func ImportGrafana(raw []byte) (*GrafanaImport, error) {
	var g grafanaDashboard
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("cannot read the Grafana dashboard: %w", err)
	}
	if g.Dashboard != nil && len(g.Panels) == 0 {
		if err := json.Unmarshal(*g.Dashboard, &g); err != nil {
			return nil, fmt.Errorf("cannot read the Grafana dashboard: %w", err)
		}
	}
	if g.Title == "" && len(g.Panels) == 0 {
		return nil, fmt.Errorf("cannot read the Grafana dashboard: it has no title and no panels")
	}
	out := &GrafanaImport{}
	uid := ident(g.UID)
	if uid == "" {
		uid = ident(g.Title)
	}
	if uid == "" {
		uid = "grafana"
	}
	if len(uid) > MaxUIDLen {
		uid = strings.TrimRight(uid[:MaxUIDLen], "_")
	}
	d := &Dashboard{UID: uid, Title: g.Title, Description: g.Description, Tags: g.Tags}
	if d.Title == "" {
		d.Title = uid
	}
	if g.Time != nil {
		d.Time = *g.Time
	}
	if r, ok := g.Refresh.(string); ok && r != "" {
		d.Refresh = r
	}
	if len(g.Rows) > 0 {
		out.Skipped = append(out.Skipped, fmt.Sprintf("rows: the dashboard uses Grafana's old rows layout (schema before 16); %d row(s) of panels were not read: open and save it in a recent Grafana first", len(g.Rows)))
	}
	imp := &importer{out: out, d: d, vars: map[string]*grafanaVar{}, names: map[string]string{}, used: map[string]*varUse{}}
	for i := range g.Templating.List {
		v := &g.Templating.List[i]
		imp.vars[v.Name] = v
		imp.names[v.Name] = ident(v.Name)
	}
	prefix := uid
	if prefix[0] < 'a' || prefix[0] > 'z' {
		prefix = "grafana_" + prefix
	}
	imp.prefix = strings.ReplaceAll(prefix, "-", "_")
	for _, p := range g.Panels {
		if p.Type == "row" {
			row := Row{ID: fmt.Sprintf("row%d", p.ID), Title: p.Title, Collapsed: p.Collapsed}
			d.Rows = append(d.Rows, row)
			for _, c := range p.Panels {
				imp.panel(c, row.ID)
			}
			imp.row = row.ID
			continue
		}
		imp.panel(p, imp.row)
	}
	imp.variables(g.Templating.List)
	Normalize(d)
	out.Dashboard = d
	return out, nil
}

type importer struct {
	out    *GrafanaImport
	d      *Dashboard
	prefix string
	row    string // the row panels that follow belong to (Grafana's expanded rows)
	vars   map[string]*grafanaVar
	names  map[string]string // Grafana variable name → logmart name
	// used says how the converted panels use each logmart variable.
	used map[string]*varUse
}

func (imp *importer) skip(p grafanaPanel, format string, args ...any) {
	imp.out.Skipped = append(imp.out.Skipped, fmt.Sprintf("panel %q (id %d): ", p.Title, p.ID)+fmt.Sprintf(format, args...))
}

func (imp *importer) note(p grafanaPanel, format string, args ...any) {
	imp.out.Notes = append(imp.out.Notes, fmt.Sprintf("panel %q (id %d): ", p.Title, p.ID)+fmt.Sprintf(format, args...))
}

func (imp *importer) panel(p grafanaPanel, row string) {
	imp.out.Panels++
	vis, ok := grafanaTypes[p.Type]
	var sqlTargets []int
	for i, t := range p.Targets {
		if !t.Hide && strings.TrimSpace(t.RawSQL) != "" {
			sqlTargets = append(sqlTargets, i)
		}
	}
	if len(sqlTargets) == 0 {
		switch {
		case len(p.Targets) > 0 && p.Targets[0].Query != "":
			imp.skip(p, "its query is not rawSql of the ClickHouse data source (grafana-clickhouse-datasource); only rawSql targets convert")
		case len(p.Targets) == 0 && !ok:
			imp.skip(p, "a %s panel has no query; logmart panels run a query template", p.Type)
		default:
			imp.skip(p, "it has no rawSql target to convert")
		}
		return
	}
	if !ok {
		vis = "table"
		imp.note(p, "Grafana's %s visualization has no logmart counterpart; drawn as a table", p.Type)
	}
	t := p.Targets[sqlTargets[0]]
	if len(sqlTargets) > 1 {
		var refs []string
		for _, i := range sqlTargets[1:] {
			refs = append(refs, p.Targets[i].RefID)
		}
		imp.note(p, "target(s) %s not converted: a logmart panel runs one query (target %s kept)", strings.Join(refs, ", "), t.RefID)
	}
	tr := &sqlTranslator{imp: imp, params: map[string]*ImportedParam{}}
	sql, err := tr.translate(t.RawSQL)
	if err != nil {
		imp.skip(p, "%v", err)
		return
	}
	id := fmt.Sprintf("%s_p%d", imp.prefix, p.ID)
	if len(id) > 64 {
		id = fmt.Sprintf("%s_p%d", imp.prefix[:40], p.ID)
	}
	title := p.Title
	if strings.TrimSpace(title) == "" {
		title = fmt.Sprintf("Panel %d", p.ID)
	}
	tpl := ImportedTemplate{ID: id, Title: title, Visualization: templateVisualizations[vis], SQL: strings.TrimSpace(sql) + "\n",
		Description: fmt.Sprintf("Converted from Grafana panel %d (%s) of %q.", p.ID, p.Type, imp.d.Title)}
	if p.Description != "" {
		tpl.Description += " " + p.Description
	}
	panel := Panel{Title: title, Description: p.Description, Template: TemplateRef{ID: id, Version: 1}, Grid: p.GridPos, Row: row,
		Visualization: Visualization{Type: vis, Options: imp.options(p)}}
	if panel.Grid.W == 0 || panel.Grid.H == 0 {
		panel.Grid.W, panel.Grid.H = 12, 8
		imp.note(p, "it had no size; placed as 12×8")
	}
	names := make([]string, 0, len(tr.params))
	for n := range tr.params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		tpl.Params = append(tpl.Params, *tr.params[n])
		if tr.bound[n] {
			if panel.Params == nil {
				panel.Params = map[string]any{}
			}
			panel.Params[n] = "$" + n
		}
	}
	for _, l := range p.Links {
		if checkURL(l.URL) == nil && !strings.Contains(l.URL, "$") {
			panel.Links = append(panel.Links, Link{Title: l.Title, URL: l.URL})
		} else {
			imp.note(p, "link %q (%s) not converted: only absolute URLs without variables are", l.Title, l.URL)
		}
	}
	imp.d.Panels = append(imp.d.Panels, panel)
	imp.out.Templates = append(imp.out.Templates, tpl)
}

func (imp *importer) options(p grafanaPanel) VisOptions {
	def := p.FieldConfig.Defaults
	o := VisOptions{Unit: def.Unit, Decimals: def.Decimals, Min: def.Min, Max: def.Max}
	for _, s := range def.Thresholds.Steps {
		if s.Value == nil {
			continue // the base step: below the first threshold
		}
		c := strings.ToLower(s.Color)
		if !colorRe.MatchString(c) {
			imp.note(p, "threshold %v: color %q is not a name or #rrggbb; left out", *s.Value, s.Color)
			continue
		}
		o.Thresholds = append(o.Thresholds, Threshold{Value: *s.Value, Color: c})
	}
	switch m := def.Custom.Stacking.Mode; m {
	case "normal", "percent":
		o.Stacking = m
	}
	lg := p.Options.Legend
	switch {
	case lg.ShowLegend != nil && !*lg.ShowLegend, lg.DisplayMode == "hidden":
		o.Legend = &Legend{Placement: "hidden"}
	case lg.Placement == "bottom" || lg.Placement == "right":
		o.Legend = &Legend{Placement: lg.Placement}
	}
	return o
}

// variables converts the Grafana variables the converted panels use.
func (imp *importer) variables(list []grafanaVar) {
	for _, v := range list {
		name := imp.names[v.Name]
		use, ok := imp.used[name]
		switch v.Type {
		case "datasource":
			imp.out.Skipped = append(imp.out.Skipped, fmt.Sprintf("variable %q: a data source picker; logmart panels query the instance's own ClickHouse", v.Name))
			continue
		case "adhoc":
			imp.out.Skipped = append(imp.out.Skipped, fmt.Sprintf("variable %q: ad hoc filters have no logmart counterpart", v.Name))
			continue
		}
		if !ok {
			imp.out.Skipped = append(imp.out.Skipped, fmt.Sprintf("variable %q: no converted panel uses it", v.Name))
			continue
		}
		lv := Variable{Name: name, Label: v.Label}
		if lv.Label == "" && name != v.Name {
			lv.Label = v.Name
		}
		values := optionValues(v)
		def := textValues(v.Current.Value)
		switch v.Type {
		case "custom":
			lv.Kind, lv.Values = KindCustom, values
		case "interval":
			lv.Kind = KindInterval
			for _, x := range values {
				if x != "auto" {
					lv.Values = append(lv.Values, x)
				}
			}
		case "constant":
			lv.Kind, def = KindConstant, Values{queryText(v.Query)}
		case "textbox":
			lv.Kind = KindText
			if len(def) == 0 {
				def = Values{queryText(v.Query)}
			}
		case "query":
			sql := strings.TrimSuffix(strings.TrimSpace(queryText(v.Query)), ";")
			if sql != "" && !strings.Contains(sql, "$") {
				// Its values come from a template's enum parameter whose
				// values_query is the variable's query.
				ref := TemplateRef{ID: imp.prefix + "_var_" + name, Version: 1}
				lv.Kind, lv.Template, lv.Param = KindQuery, &ref, name
				imp.out.Templates = append(imp.out.Templates, ImportedTemplate{ID: ref.ID, Title: "Values of $" + v.Name, Visualization: "table",
					Description: fmt.Sprintf("The values of the Grafana variable $%s of %q, offered by the dashboard's query variable.", v.Name, imp.d.Title),
					Params:      []ImportedParam{{Name: name, Type: "enum", ValuesQuery: sql, Description: "one of the variable's values"}},
					SQL:         fmt.Sprintf("SELECT {{if .%s}}{%s:String}{{else}}''{{end}} AS value\n", name, name)})
				break
			}
			lv.Kind = KindText
			imp.out.Notes = append(imp.out.Notes, fmt.Sprintf("variable %q: a query variable became a text box (its values query %q uses the range or other variables, which a values query cannot)", v.Name, queryText(v.Query)))
			if len(def) > 1 || v.Multi {
				imp.out.Notes = append(imp.out.Notes, fmt.Sprintf("variable %q: a text box holds one value; the panels bind it as one", v.Name))
			}
		default:
			imp.out.Skipped = append(imp.out.Skipped, fmt.Sprintf("variable %q: Grafana's %s variables have no logmart counterpart", v.Name, v.Type))
			continue
		}
		if v.Multi && use.value {
			imp.out.Notes = append(imp.out.Notes, fmt.Sprintf("variable %q: takes one value: a panel uses it as one ('$%s'), as Grafana only runs with one chosen", v.Name, v.Name))
		}
		if lv.Kind == KindCustom || lv.Kind == KindQuery {
			lv.Multi = v.Multi && use.list && !use.value
			lv.IncludeAll = v.IncludeAll && !use.needed
			if v.IncludeAll && use.needed {
				imp.out.Notes = append(imp.out.Notes, fmt.Sprintf("variable %q: \"All\" left out: a panel uses it outside $__conditionalAll, where no value would mean no filter", v.Name))
			}
		}
		for _, x := range def {
			switch {
			case x == AllValue && !lv.IncludeAll:
			case lv.Kind == KindText && len(lv.Default) == 1:
			default:
				lv.Default = append(lv.Default, x)
			}
		}
		switch {
		case len(lv.Default) > 0:
		case lv.IncludeAll:
			lv.Default = Values{AllValue}
		case len(lv.Values) > 0:
			lv.Default = Values{lv.Values[0]}
		}
		if len(lv.Default) > 1 && !lv.Multi {
			lv.Default = lv.Default[:1]
		}
		imp.d.Variables = append(imp.d.Variables, lv)
	}
}

func optionValues(v grafanaVar) []string {
	var out []string
	for _, o := range v.Options {
		for _, x := range textValues(o.Value) {
			if x != AllValue {
				out = append(out, x)
			}
		}
	}
	if len(out) == 0 {
		for _, x := range strings.Split(queryText(v.Query), ",") {
			// Custom options may be written "text : value".
			if _, val, ok := strings.Cut(x, " : "); ok {
				x = val
			}
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}

func queryText(q any) string {
	switch x := q.(type) {
	case string:
		return x
	case map[string]any:
		if s, ok := x["query"].(string); ok {
			return s
		}
		if s, ok := x["rawSql"].(string); ok {
			return s
		}
	}
	return ""
}

func textValues(v any) Values {
	switch x := v.(type) {
	case string:
		return Values{x}
	case []any:
		var out Values
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case float64:
		return Values{strconv.FormatFloat(x, 'f', -1, 64)}
	}
	return nil
}
