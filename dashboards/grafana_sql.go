package dashboards

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The range as the query layer binds it.
const (
	fromParam = "{from:DateTime64(3)}"
	toParam   = "{to:DateTime64(3)}"
	// stepParam is the bucket width the interval macros become: a
	// template parameter step (a duration, default 1m), where Grafana
	// derives one from the range and the panel's width.
	stepParam = "{step:UInt32}"
)

// sqlTranslator rewrites one rawSql target: the grafana-clickhouse-
// datasource's macros, as its documentation expands them, with the range
// and the interval bound as parameters, and the dashboard's variables
// bound as parameters of the template.
type sqlTranslator struct {
	imp    *importer
	params map[string]*ImportedParam
	// bound are the params a panel binds to a variable of the same name.
	bound map[string]bool
}

var (
	// macroRe finds a macro's name; its arguments, if any, are read by
	// macroArgs, which follows nested parentheses.
	macroRe = regexp.MustCompile(`\$__([A-Za-z_]+)`)
	// varRe finds a variable reference: ${name}, ${name:format}, [[name]],
	// [[name:format]] or $name.
	varRe = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\}|\[\[([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\]\]|\$([A-Za-z0-9_]+)`)
	// inListRe is "IN (" or "IN(" just before a reference.
	inListRe = regexp.MustCompile(`(?i)\bIN\s*\(\s*$`)
	// inFilterRe is a whole "column IN (" (or "f(column) IN (") just
	// before a reference, and not NOT IN.
	inFilterRe = regexp.MustCompile(`(?i)(^|[\s(])([A-Za-z_][A-Za-z0-9_.]*(?:\([^()]*\))?)\s+IN\s*\(\s*$`)
)

func (tr *sqlTranslator) translate(sql string) (string, error) {
	s, err := tr.macros(sql)
	if err != nil {
		return "", err
	}
	return tr.variables(s, false)
}

// macros expands every $__name(args) of the data source.
func (tr *sqlTranslator) macros(sql string) (string, error) {
	var b strings.Builder
	for {
		loc := macroRe.FindStringSubmatchIndex(sql)
		if loc == nil {
			b.WriteString(sql)
			return b.String(), nil
		}
		b.WriteString(sql[:loc[0]])
		name := sql[loc[2]:loc[3]]
		rest := sql[loc[1]:]
		args, n, hasArgs := macroArgs(rest)
		if hasArgs {
			rest = rest[n:]
		}
		out, err := tr.expand(name, args, hasArgs)
		if err != nil {
			return "", err
		}
		b.WriteString(out)
		sql = rest
	}
}

// macroArgs reads "(a, b)" at the start of s: the arguments split at
// top-level commas, and how many bytes they took.
func macroArgs(s string) (args []string, n int, ok bool) {
	if !strings.HasPrefix(s, "(") {
		return nil, 0, false
	}
	depth, start := 0, 1
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				args = append(args, strings.TrimSpace(s[start:i]))
				return args, i + 1, true
			}
		case ',':
			if depth == 1 {
				args = append(args, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return nil, 0, false
}

func (tr *sqlTranslator) expand(name string, args []string, hasArgs bool) (string, error) {
	need := func(n int) error {
		if !hasArgs || len(args) != n || args[0] == "" {
			return fmt.Errorf("macro $__%s takes %d argument(s)", name, n)
		}
		return nil
	}
	switch name {
	case "timeFilter":
		if err := need(1); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s >= toDateTime(%s) AND %s <= toDateTime(%s)", args[0], fromParam, args[0], toParam), nil
	case "timeFilter_ms":
		if err := need(1); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s >= %s AND %s <= %s", args[0], fromParam, args[0], toParam), nil
	case "dateFilter":
		if err := need(1); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s >= toDate(%s) AND %s <= toDate(%s)", args[0], fromParam, args[0], toParam), nil
	case "dateTimeFilter", "dt":
		if err := need(2); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s >= toDate(%s) AND %s <= toDate(%s) AND %s >= toDateTime(%s) AND %s <= toDateTime(%s)",
			args[0], fromParam, args[0], toParam, args[1], fromParam, args[1], toParam), nil
	case "fromTime":
		return "toDateTime(" + fromParam + ")", nil
	case "toTime":
		return "toDateTime(" + toParam + ")", nil
	case "fromTime_ms":
		return fromParam, nil
	case "toTime_ms":
		return toParam, nil
	case "from":
		return "toUnixTimestamp64Milli(" + fromParam + ")", nil
	case "to":
		return "toUnixTimestamp64Milli(" + toParam + ")", nil
	case "interval_s":
		tr.step()
		return stepParam, nil
	case "interval_ms":
		tr.step()
		return "(" + stepParam + " * 1000)", nil
	case "timeInterval":
		if err := need(1); err != nil {
			return "", err
		}
		tr.step()
		return fmt.Sprintf("toStartOfInterval(toDateTime(%s), toIntervalSecond(%s))", args[0], stepParam), nil
	case "timeInterval_ms":
		if err := need(1); err != nil {
			return "", err
		}
		tr.step()
		return fmt.Sprintf("toStartOfInterval(toDateTime64(%s, 3), toIntervalSecond(%s))", args[0], stepParam), nil
	case "conditionalAll":
		if !hasArgs || len(args) != 2 {
			return "", fmt.Errorf("macro $__conditionalAll takes a condition and a variable")
		}
		m := varRe.FindStringSubmatch(args[1])
		if m == nil || m[0] != args[1] {
			return "", fmt.Errorf("$__conditionalAll's second argument %q is not a variable", args[1])
		}
		name, err := tr.variable(firstNonEmpty(m[1], m[3], m[5]))
		if err != nil {
			return "", err
		}
		cond, err := tr.macros(args[0])
		if err != nil {
			return "", err
		}
		if cond, err = tr.variables(cond, true); err != nil {
			return "", err
		}
		if tr.params[name] == nil {
			return "", fmt.Errorf("$__conditionalAll's condition %q does not use %s", args[0], args[1])
		}
		return fmt.Sprintf("{{if .%s}}%s{{else}}1=1{{end}}", name, cond), nil
	}
	return "", fmt.Errorf("macro $__%s has no logmart counterpart (converted: $__timeFilter, $__timeFilter_ms, $__dateFilter, $__dateTimeFilter, $__fromTime, $__toTime, $__fromTime_ms, $__toTime_ms, $__interval_s, $__timeInterval, $__timeInterval_ms, $__conditionalAll)", name)
}

func (tr *sqlTranslator) step() {
	tr.params["step"] = &ImportedParam{Name: "step", Type: "duration", Default: "1m", Description: "bucket width (Grafana's $__interval)"}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// variable resolves a Grafana variable name to its logmart name.
func (tr *sqlTranslator) variable(name string) (string, error) {
	if _, ok := tr.imp.vars[name]; !ok {
		return "", fmt.Errorf("$%s is not a variable of the dashboard", name)
	}
	n := tr.imp.names[name]
	if n == "" || n == "from" || n == "to" || n == "step" || !varNameRe.MatchString(n) {
		return "", fmt.Errorf("variable $%s cannot be a template parameter (its name is reserved or not a parameter name)", name)
	}
	return n, nil
}

// variables binds each variable reference in sql: '$v' as a String, IN
// ($v) as an Array(String), a $v whose values are all numbers as a
// number. Any other reference would splice text into the statement, and
// the panel is not converted. optional marks references inside
// $__conditionalAll, where an unset parameter means no filter.
func (tr *sqlTranslator) variables(sql string, optional bool) (string, error) {
	var b strings.Builder
	last := 0
	for _, loc := range varRe.FindAllStringSubmatchIndex(sql, -1) {
		ref := sql[loc[0]:loc[1]]
		if strings.HasPrefix(ref, "$__") {
			continue
		}
		raw := firstNonEmpty(sub(sql, loc, 1), sub(sql, loc, 3), sub(sql, loc, 5))
		if _, isVar := tr.imp.vars[raw]; !isVar {
			if _, err := strconv.Atoi(raw); err == nil {
				continue // $1 in a regular expression's replacement
			}
			return "", fmt.Errorf("$%s is neither a variable of the dashboard nor a macro logmart converts", raw)
		}
		name, err := tr.variable(raw)
		if err != nil {
			return "", err
		}
		v := tr.imp.vars[raw]
		format := firstNonEmpty(sub(sql, loc, 2), sub(sql, loc, 4))
		start, end := loc[0], loc[1]
		before, after := sql[:start], sql[end:]
		var typ, placeholder string
		opt := optional
		filter := inFilterRe.FindStringSubmatchIndex(before)
		switch {
		case filter != nil && v.IncludeAll && !optional && strings.HasPrefix(strings.TrimLeft(after, " \t\n"), ")") &&
			!strings.EqualFold(before[filter[4]:filter[5]], "NOT"):
			// col IN ($v) of a variable with "All": Grafana's All is every
			// value, so no value (All) is no filter, as $__conditionalAll.
			start = filter[4]
			end += strings.Index(after, ")") + 1
			typ = "list(string)"
			placeholder = fmt.Sprintf("{{if .%s}}%s IN {%s:Array(String)}{{else}}1=1{{end}}", name, before[filter[4]:filter[5]], name)
			opt = true
		case inListRe.MatchString(before) && strings.HasPrefix(strings.TrimLeft(after, " \t\n"), ")"):
			start = inListRe.FindStringIndex(before)[0]
			end += strings.Index(after, ")") + 1
			typ, placeholder = "list(string)", "IN {"+name+":Array(String)}"
		case strings.HasSuffix(before, "'") && strings.HasPrefix(after, "'"):
			// Grafana quotes a multi variable's values as 'a','b', which
			// only runs with one chosen: bound as one value.
			start, end = start-1, end+1
			typ, placeholder = "string", "{"+name+":String}"
		case v.Multi:
			return "", fmt.Errorf("multi-value variable $%s is used as one value; use it as IN ($%s)", raw, raw)
		case format == "singlequote" || format == "sqlstring":
			typ, placeholder = "string", "{"+name+":String}"
		default:
			typ = numericValues(*v)
			switch typ {
			case "int":
				placeholder = "{" + name + ":Int64}"
			case "float":
				placeholder = "{" + name + ":Float64}"
			default:
				return "", fmt.Errorf("variable $%s is spliced into the SQL unquoted (as a name or SQL text); logmart binds values only as parameters: quote it ('$%s') or use IN ($%s)", raw, raw, raw)
			}
		}
		if p := tr.params[name]; p != nil && p.Type != typ {
			return "", fmt.Errorf("variable $%s is used both as %s and as %s", raw, p.Type, typ)
		}
		p := tr.params[name]
		if p == nil {
			p = &ImportedParam{Name: name, Type: typ, Description: "Grafana variable $" + raw}
			tr.params[name] = p
		}
		use := tr.imp.used[name]
		if use == nil {
			use = &varUse{}
			tr.imp.used[name] = use
		}
		use.list = use.list || typ == "list(string)"
		use.value = use.value || typ != "list(string)"
		if !opt {
			// Outside $__conditionalAll the statement needs a value.
			use.needed = true
			def := textValues(v.Current.Value)
			if len(def) > 0 && def[0] == AllValue {
				def = nil
			}
			switch {
			case len(def) == 0:
				p.Required = true
			case typ == "list(string)":
				p.Default = []string(def)
			default:
				p.Default = def[0]
			}
		}
		if tr.bound == nil {
			tr.bound = map[string]bool{}
		}
		tr.bound[name] = true
		b.WriteString(sql[last:start])
		b.WriteString(placeholder)
		last = end
	}
	b.WriteString(sql[last:])
	return b.String(), nil
}

func sub(s string, loc []int, i int) string {
	if loc[2*i] < 0 {
		return ""
	}
	return s[loc[2*i]:loc[2*i+1]]
}

// numericValues is "int" or "float" when every value v offers is that
// kind of number, else "".
func numericValues(v grafanaVar) string {
	vals := optionValues(v)
	vals = append(vals, textValues(v.Current.Value)...)
	if len(vals) == 0 {
		return ""
	}
	typ := "int"
	for _, x := range vals {
		if x == AllValue {
			continue
		}
		if _, err := strconv.ParseInt(x, 10, 64); err == nil {
			continue
		}
		if _, err := strconv.ParseFloat(x, 64); err == nil {
			typ = "float"
			continue
		}
		return ""
	}
	return typ
}
