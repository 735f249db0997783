package query

import (
	"fmt"
	"strings"
)

// A template's SQL is ClickHouse SQL with two additions, both resolved before
// the statement reaches the engine and neither ever touched by a value:
//
//   - {name} or {name:Type} placeholders: ClickHouse's own bound-parameter
//     syntax. {name} gets the parameter type's default ClickHouse type at
//     load, so the engine always sees {name:Type}.
//   - {{if .name}} … {{else}} … {{end}} blocks: kept or dropped on whether
//     parameter name is set (given or defaulted), never on its value.
//
// The lexer knows SQL string literals, quoted identifiers and comments, so a
// brace inside '…' or /* … */ is text, as ClickHouse reads it.

// sqlNode is one piece of a parsed template statement.
type sqlNode struct {
	kind nodeKind
	text string // nodeText: verbatim SQL
	// nodePlaceholder
	name   string
	chType string // as written; "" for {name}
	line   int    // 1-based line in the template SQL
	// nodeIf
	cond      string
	then, els []sqlNode
}

type nodeKind uint8

const (
	nodeText nodeKind = iota
	nodePlaceholder
	nodeIf
)

// parseError is a problem at a line of the template SQL.
type parseError struct {
	line int
	msg  string
}

func (e *parseError) Error() string { return fmt.Sprintf("sql line %d: %s", e.line, e.msg) }

// parseSQL splits a template statement into text, placeholders and if
// blocks.
func parseSQL(src string) ([]sqlNode, error) {
	p := &sqlParser{src: src, line: 1}
	nodes, term, err := p.parseList()
	if err != nil {
		return nil, err
	}
	switch term {
	case "else":
		return nil, &parseError{p.termLine, "{{else}} without {{if}}"}
	case "end":
		return nil, &parseError{p.termLine, "{{end}} without {{if}}"}
	}
	return nodes, nil
}

type sqlParser struct {
	src      string
	pos      int
	line     int
	termLine int
	text     strings.Builder
}

func (p *sqlParser) flush(out []sqlNode) []sqlNode {
	if p.text.Len() > 0 {
		out = append(out, sqlNode{kind: nodeText, text: p.text.String()})
		p.text.Reset()
	}
	return out
}

// parseList reads nodes up to the end of input ("") or to a {{else}} or
// {{end}} directive, which it returns as term.
func (p *sqlParser) parseList() (out []sqlNode, term string, err error) {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\'' || c == '"' || c == '`':
			if err := p.quoted(c); err != nil {
				return nil, "", err
			}
		case c == '-' && strings.HasPrefix(p.src[p.pos:], "--"):
			end := strings.IndexByte(p.src[p.pos:], '\n')
			if end < 0 {
				end = len(p.src) - p.pos
			}
			p.text.WriteString(p.src[p.pos : p.pos+end])
			p.pos += end
		case c == '/' && strings.HasPrefix(p.src[p.pos:], "/*"):
			if err := p.blockComment(); err != nil {
				return nil, "", err
			}
		case c == '{' && strings.HasPrefix(p.src[p.pos:], "{{"):
			line := p.line
			dir, err := p.directive()
			if err != nil {
				return nil, "", err
			}
			switch {
			case dir == "end" || dir == "else":
				p.termLine = line
				return p.flush(out), dir, nil
			case strings.HasPrefix(dir, "if "):
				out = p.flush(out)
				n := sqlNode{kind: nodeIf, cond: strings.TrimPrefix(dir, "if "), line: line}
				var t string
				if n.then, t, err = p.parseList(); err != nil {
					return nil, "", err
				}
				if t == "else" {
					if n.els, t, err = p.parseList(); err != nil {
						return nil, "", err
					}
					if t == "else" {
						return nil, "", &parseError{p.termLine, "second {{else}} in one {{if}}"}
					}
				}
				if t != "end" {
					return nil, "", &parseError{line, "{{if ." + n.cond + "}} has no {{end}}"}
				}
				out = append(out, n)
			}
		case c == '{':
			if n, ok, err := p.placeholder(); err != nil {
				return nil, "", err
			} else if ok {
				out = p.flush(out)
				out = append(out, n)
			} else {
				p.text.WriteByte(c)
				p.pos++
			}
		case c == ';':
			return nil, "", &parseError{p.line, "a template is one statement: remove the ';'"}
		default:
			if c == '\n' {
				p.line++
			}
			p.text.WriteByte(c)
			p.pos++
		}
	}
	return p.flush(out), "", nil
}

// quoted copies a string literal or quoted identifier, with backslash escapes
// and doubled quotes, as ClickHouse reads them.
func (p *sqlParser) quoted(q byte) error {
	start, line := p.pos, p.line
	p.pos++
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\\':
			p.pos += 2
			continue
		case '\n':
			p.line++
		case q:
			if p.pos+1 < len(p.src) && p.src[p.pos+1] == q {
				p.pos += 2
				continue
			}
			p.pos++
			p.text.WriteString(p.src[start:p.pos])
			return nil
		}
		p.pos++
	}
	what := "string literal"
	if q != '\'' {
		what = "quoted identifier"
	}
	return &parseError{line, "unterminated " + what}
}

// blockComment copies a /* … */ comment; ClickHouse allows them nested.
func (p *sqlParser) blockComment() error {
	start, line, depth := p.pos, p.line, 0
	for p.pos < len(p.src) {
		switch {
		case strings.HasPrefix(p.src[p.pos:], "/*"):
			depth++
			p.pos += 2
		case strings.HasPrefix(p.src[p.pos:], "*/"):
			depth--
			p.pos += 2
			if depth == 0 {
				p.text.WriteString(p.src[start:p.pos])
				return nil
			}
		default:
			if p.src[p.pos] == '\n' {
				p.line++
			}
			p.pos++
		}
	}
	return &parseError{line, "unterminated /* comment"}
}

// directive reads {{ … }} and returns its trimmed content: "end", "else" or
// "if <param>". A directive alone on its line takes the line with it, so
// the rendered statement has no blank lines where blocks were.
func (p *sqlParser) directive() (string, error) {
	line := p.line
	end := strings.Index(p.src[p.pos:], "}}")
	if end < 0 {
		return "", &parseError{line, "{{ has no closing }}"}
	}
	body := strings.TrimSpace(p.src[p.pos+2 : p.pos+end])
	if strings.Contains(body, "\n") {
		return "", &parseError{line, "a {{…}} directive must fit on one line"}
	}
	// Drop the line's indentation and its newline when nothing else is on
	// it. Text since the line's start is only whitespace then, and it all sits
	// at the end of p.text: nothing is flushed without a non-blank token.
	lineStart := strings.LastIndexByte(p.src[:p.pos], '\n') + 1
	indent := p.src[lineStart:p.pos]
	after := p.pos + end + 2
	rest := p.src[after:]
	nl := strings.IndexByte(rest, '\n')
	if nl < 0 {
		nl = len(rest)
	}
	alone := strings.TrimSpace(indent) == "" && strings.TrimSpace(rest[:nl]) == ""
	p.pos = after
	if pending := p.text.String(); alone && strings.HasSuffix(pending, indent) {
		p.text.Reset()
		p.text.WriteString(pending[:len(pending)-len(indent)])
		p.pos += nl
		if p.pos < len(p.src) {
			p.pos++ // the newline
			p.line++
		}
	}
	fields := strings.Fields(body)
	switch {
	case len(fields) == 1 && (fields[0] == "end" || fields[0] == "else"):
		return fields[0], nil
	case len(fields) == 2 && fields[0] == "if" && strings.HasPrefix(fields[1], ".") && identOK(fields[1][1:]):
		return "if " + fields[1][1:], nil
	}
	return "", &parseError{line, fmt.Sprintf("{{%s}}: only {{if .param}}, {{else}} and {{end}} are allowed (blocks are kept or dropped on whether a parameter is set; values are never spliced into SQL)", body)}
}

// placeholder reads {name} or {name:Type}. Anything else that starts with a
// brace (a map literal such as {'a': 1}) is not a placeholder: ok is false.
func (p *sqlParser) placeholder() (sqlNode, bool, error) {
	// ClickHouse's lexer skips spaces between the tokens of {name:Type}.
	i := p.pos + 1
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	start := i
	for i < len(p.src) && isIdentByte(p.src[i], i == start) {
		i++
	}
	if i == start || i >= len(p.src) {
		return sqlNode{}, false, nil
	}
	name := p.src[start:i]
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	if i >= len(p.src) {
		return sqlNode{}, false, nil
	}
	switch p.src[i] {
	case '}':
		p.pos = i + 1
		return sqlNode{kind: nodePlaceholder, name: name, line: p.line}, true, nil
	case ':':
	default:
		return sqlNode{}, false, nil
	}
	// The type runs to the closing brace outside parentheses and quotes.
	depth, j := 0, i+1
	for ; j < len(p.src); j++ {
		c := p.src[j]
		switch {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '\'':
			k := strings.IndexByte(p.src[j+1:], '\'')
			if k < 0 {
				return sqlNode{}, false, &parseError{p.line, fmt.Sprintf("placeholder {%s:…} has an unterminated quote", name)}
			}
			j += k + 1
		case c == '\n':
			return sqlNode{}, false, &parseError{p.line, fmt.Sprintf("placeholder {%s:…} has no closing brace on its line", name)}
		case c == '}' && depth == 0:
			n := sqlNode{kind: nodePlaceholder, name: name, chType: strings.TrimSpace(p.src[i+1 : j]), line: p.line}
			p.pos = j + 1
			if n.chType == "" {
				return sqlNode{}, false, &parseError{n.line, fmt.Sprintf("placeholder {%s:} names no type", name)}
			}
			return n, true, nil
		}
	}
	return sqlNode{}, false, &parseError{p.line, fmt.Sprintf("placeholder {%s:… has no closing brace", name)}
}

func isIdentByte(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

func identOK(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i], i == 0) {
			return false
		}
	}
	return true
}

// walkNodes calls f for every node, depth first; inIf lists the conditions
// of the if blocks (then branches) enclosing the node.
func walkNodes(nodes []sqlNode, inIf []string, f func(n *sqlNode, inIf []string)) {
	for i := range nodes {
		n := &nodes[i]
		f(n, inIf)
		if n.kind == nodeIf {
			walkNodes(n.then, append(inIf[:len(inIf):len(inIf)], n.cond), f)
			walkNodes(n.els, inIf, f)
		}
	}
}

// renderSQL writes the statement for the parameters set reports as set.
// types gives each placeholder's ClickHouse type by parameter name. Only
// the template's own text and placeholder names reach the output.
func renderSQL(nodes []sqlNode, set func(name string) bool, types map[string]string) string {
	var b strings.Builder
	var walk func([]sqlNode)
	walk = func(nodes []sqlNode) {
		for i := range nodes {
			n := &nodes[i]
			switch n.kind {
			case nodeText:
				b.WriteString(n.text)
			case nodePlaceholder:
				b.WriteByte('{')
				b.WriteString(n.name)
				b.WriteByte(':')
				b.WriteString(types[n.name])
				b.WriteByte('}')
			case nodeIf:
				if set(n.cond) {
					walk(n.then)
				} else {
					walk(n.els)
				}
			}
		}
	}
	walk(nodes)
	return strings.TrimSpace(b.String())
}
