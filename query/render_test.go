package query

import (
	"strings"
	"testing"
)

func TestRenderSQL(t *testing.T) {
	types := map[string]string{"service": "String", "n": "UInt32", "from": "DateTime64(3)"}
	f := func(src string, set []string, want string) {
		t.Helper()
		nodes, err := parseSQL(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		isSet := func(name string) bool {
			for _, s := range set {
				if s == name {
					return true
				}
			}
			return false
		}
		if got := renderSQL(nodes, isSet, types); got != want {
			t.Fatalf("%q with %v:\n got %q\nwant %q", src, set, got, want)
		}
	}
	f("SELECT 1", nil, "SELECT 1")
	f("SELECT {n}", nil, "SELECT {n:UInt32}")
	f("SELECT {n:UInt32}", nil, "SELECT {n:UInt32}")
	f("SELECT {n : UInt32}", nil, "SELECT {n:UInt32}")
	f("SELECT { n }", nil, "SELECT {n:UInt32}")
	// Braces inside literals, quoted names and comments are text.
	f("SELECT '{n}', \"{n}\", `{n}` -- {n}\n/* {n} /* nested {n} */ */ FROM t", nil, "SELECT '{n}', \"{n}\", `{n}` -- {n}\n/* {n} /* nested {n} */ */ FROM t")
	f(`SELECT 'it''s {n}', 'a\'{n}'`, nil, `SELECT 'it''s {n}', 'a\'{n}'`)
	f("SELECT map('a', 1), {'k': 2}", nil, "SELECT map('a', 1), {'k': 2}")
	// Blocks keyed on whether a parameter is set.
	f("SELECT 1 WHERE 1 {{if .service}}AND s = {service}{{end}}", nil, "SELECT 1 WHERE 1")
	f("SELECT 1 WHERE 1 {{if .service}}AND s = {service}{{end}}", []string{"service"}, "SELECT 1 WHERE 1 AND s = {service:String}")
	f("SELECT 1 {{if .service}}a{{else}}b{{end}}", nil, "SELECT 1 b")
	f("SELECT 1 {{ if .service }}a{{ else }}b{{ end }}", []string{"service"}, "SELECT 1 a")
	f("SELECT 1 {{if .service}}{{if .n}}both{{else}}one{{end}}{{end}}", []string{"service"}, "SELECT 1 one")
	// A directive alone on its line takes the line with it.
	f("SELECT 1\nWHERE 1\n  {{if .service}}\n  AND s = {service}\n  {{end}}\nORDER BY 1", nil, "SELECT 1\nWHERE 1\nORDER BY 1")
	f("SELECT 1\nWHERE 1\n  {{if .service}}\n  AND s = {service}\n  {{end}}\nORDER BY 1", []string{"service"}, "SELECT 1\nWHERE 1\n  AND s = {service:String}\nORDER BY 1")
	f("SELECT 1\n  AND x = {n} {{if .service}}\nY\n{{end}}", nil, "SELECT 1\n  AND x = {n:UInt32}")
}

func TestParseSQLErrors(t *testing.T) {
	f := func(src, want string) {
		t.Helper()
		_, err := parseSQL(src)
		if err == nil || err.Error() != want {
			t.Fatalf("%q: error %v, want %q", src, err, want)
		}
	}
	f("SELECT 'abc", "sql line 1: unterminated string literal")
	f("SELECT 1\n/* x", "sql line 2: unterminated /* comment")
	f("SELECT 1\n{{if .a}} x", "sql line 2: {{if .a}} has no {{end}}")
	f("SELECT 1 {{end}}", "sql line 1: {{end}} without {{if}}")
	f("SELECT 1 {{else}}", "sql line 1: {{else}} without {{if}}")
	f("SELECT 1 {{if .a}}x{{else}}y{{else}}z{{end}}", "sql line 1: second {{else}} in one {{if}}")
	f("SELECT {{.service}}", "sql line 1: {{.service}}: only {{if .param}}, {{else}} and {{end}} are allowed (blocks are kept or dropped on whether a parameter is set; values are never spliced into SQL)")
	f("SELECT 1 {{if eq .a \"x\"}}x{{end}}", `sql line 1: {{if eq .a "x"}}: only {{if .param}}, {{else}} and {{end}} are allowed (blocks are kept or dropped on whether a parameter is set; values are never spliced into SQL)`)
	f("SELECT {{printf \"%s\" .a}}", `sql line 1: {{printf "%s" .a}}: only {{if .param}}, {{else}} and {{end}} are allowed (blocks are kept or dropped on whether a parameter is set; values are never spliced into SQL)`)
	f("SELECT {{if .a}", "sql line 1: {{ has no closing }}")
	f("SELECT {a:}", "sql line 1: placeholder {a:} names no type")
	f("SELECT {a:String\n}", "sql line 1: placeholder {a:…} has no closing brace on its line")
}

func TestRenderNeverTouchesValues(t *testing.T) {
	// The renderer has no access to values at all: its output depends on
	// the set of names only. Pin that a value-looking name cannot sneak in.
	nodes, err := parseSQL("SELECT {a:String} {{if .b}}, {b:String}{{end}}")
	if err != nil {
		t.Fatal(err)
	}
	out := renderSQL(nodes, func(string) bool { return true }, map[string]string{"a": "String", "b": "String"})
	if strings.Contains(out, "'") || out != "SELECT {a:String} , {b:String}" {
		t.Fatalf("rendered %q", out)
	}
}
