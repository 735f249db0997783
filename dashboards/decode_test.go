package dashboards

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/logmart/logmart/fault"
)

func mustRead(t *testing.T, path string) *Dashboard {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := Decode(b, path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The same dashboard written in another key order, with comments, with its
// defaults spelled out or left out, has one canonical form and one hash;
// the canonical form decodes back to itself.
func TestCanonicalFormAndHash(t *testing.T) {
	a := mustRead(t, "testdata/full.good.yaml")
	b := mustRead(t, "testdata/ordered.good.yaml")
	ca, err := Canonical(a)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := Canonical(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca, cb) {
		t.Fatalf("canonical forms differ:\n%s\n---\n%s", ca, cb)
	}
	if bytes.Contains(ca, []byte("#")) && !bytes.Contains(ca, []byte("'#ff0000'")) && !bytes.Contains(ca, []byte(`"#ff0000"`)) {
		t.Fatalf("canonical form holds a comment:\n%s", ca)
	}
	back, _, err := Decode(ca, "canonical")
	if err != nil {
		t.Fatalf("the canonical form does not decode: %v\n%s", err, ca)
	}
	cc, _ := Canonical(back)
	if !bytes.Equal(ca, cc) {
		t.Fatalf("canonical form is not a fixed point:\n%s\n---\n%s", ca, cc)
	}
	ha, _ := Hash(a)
	hb, _ := Hash(b)
	if ha != hb || len(ha) != 64 {
		t.Fatalf("hashes %q and %q, want one SHA-256", ha, hb)
	}
	// Sorted keys: title comes after tags, uid after time.
	if i, j := bytes.Index(ca, []byte("\ntitle:")), bytes.Index(ca, []byte("\ntags:")); i < j {
		t.Fatalf("keys are not sorted:\n%s", ca)
	}
	b.Panels[0].Grid.H = 9
	if hc, _ := Hash(b); hc == ha {
		t.Fatal("a change to a panel left the hash as it was")
	}
}

// The content hash folds in each template version's hash: the same
// dashboard over a changed template is another content.
func TestContentHashFollowsTemplates(t *testing.T) {
	d := mustRead(t, "testdata/full.good.yaml")
	refs := d.Templates()
	if len(refs) != 2 || refs[0] != (TemplateRef{"errors_by_service", 1}) || refs[1] != (TemplateRef{"top_error_messages", 1}) {
		t.Fatalf("Templates() = %v", refs)
	}
	th := map[string]string{"errors_by_service": "aa", "top_error_messages": "bb"}
	hash := func(r TemplateRef) (string, error) {
		h, ok := th[r.ID]
		if !ok {
			return "", errors.New("no such template")
		}
		return h, nil
	}
	h1, err := ContentHash(d, hash)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := Hash(d)
	if h1 == plain {
		t.Fatal("the content hash ignores the templates")
	}
	th["top_error_messages"] = "cc"
	if h2, _ := ContentHash(d, hash); h2 == h1 {
		t.Fatal("a changed template left the content hash as it was")
	}
	delete(th, "errors_by_service")
	if _, err := ContentHash(d, hash); err == nil || !strings.Contains(err.Error(), "errors_by_service v1") {
		t.Fatalf("a missing template: %v", err)
	}
}

const okPanel = `
panels:
  - title: P
    template: {id: t, version: 1}
    grid: {x: 0, y: 0, w: 12, h: 8}
`

// Bad input: each case is a file a user could write, and the message they
// see (file, line, panel, field).
func TestDecodeRefusesBadDashboards(t *testing.T) {
	f := func(src, want string) {
		t.Helper()
		_, _, err := Decode([]byte(src), "d.yaml")
		if err == nil {
			t.Fatalf("decoded without error; want %q", want)
		}
		if fault.KindOf(err) != fault.BadInput {
			t.Fatalf("kind %v, want bad input: %v", fault.KindOf(err), err)
		}
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, want)
		}
	}
	f("", "d.yaml: is empty")
	f("uid: a\ntitle: [x\n", "d.yaml:1: malformed YAML: did not find expected")
	f("uid: a\ntitle: T\ncolour: red\n"+okPanel, `d.yaml:3: unknown key "colour"; a dashboard takes uid, title,`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    grid: {x: 0, y: 0, w: 12, h: 8, depth: 2}\n",
		`d.yaml:6: unknown key "depth"; a grid takes x, y, w, h`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    grid: {x: 0, y: 0, w: twelve, h: 8}\n",
		`d.yaml:6: the text "twelve" where a whole number is expected`)
	f("uid: "+strings.Repeat("a", 41)+"\ntitle: T\n"+okPanel, `d.yaml:1: uid: "`+strings.Repeat("a", 41)+`" is 41 characters; a uid is at most 40`)
	f("uid: a b\ntitle: T\n"+okPanel, `d.yaml:1: uid: "a b" may hold only letters`)
	f("uid: a\n"+okPanel, "title: is required")
	f("uid: a\ntitle: T\ntitle: U\n"+okPanel, `"title" already defined at line 2`)
	f("uid: a\ntitle: T\n"+okPanel+"---\nuid: b\n", "d.yaml:8: holds a second YAML document")
	f("uid: a\ntitle: T\nrefresh: 1s\n"+okPanel, `d.yaml:3: refresh: "1s" is not a period of at least 5s`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`d.yaml:5: panel "P": panels[0].template.version: is required`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    grid: {x: 20, y: 0, w: 12, h: 8}\n",
		`d.yaml:6: panel "P": panels[0].grid.x: 20: x + w (32) must be within the 24 columns`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n  - title: Q\n    template: {id: t, version: 1}\n    grid: {x: 6, y: 4, w: 12, h: 8}\n",
		`d.yaml:9: panel "Q": panels[1].grid: overlaps panel "P" (x 0..11, y 0..7)`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    params:\n      service: $svc\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`d.yaml:7: panel "P": panels[0].params.service: binds $svc, which is not a variable of this dashboard (it has none)`)
	f("uid: a\ntitle: T\nvariables:\n  - {name: svc, kind: text}\n"+okPanel,
		`d.yaml:4: variables[0]: variable "svc" is not used by any panel`)
	f("uid: a\ntitle: T\nvariables:\n  - {name: svc, kind: dropdown}\n"+okPanel, `variables[0].kind: "dropdown" is not one of query, custom, interval, constant, text`)
	f("uid: a\ntitle: T\nvariables:\n  - {name: s, kind: custom, values: [a, b], default: c}\n"+okPanel, `variables[0].default: "c" is not one of the values (a, b)`)
	f("uid: a\ntitle: T\nvariables:\n  - {name: s, kind: interval, values: [1m, often], default: 1m}\n"+okPanel, `variables[0].values[1]: "often" is not a duration`)
	f("uid: a\ntitle: T\nvariables:\n  - {name: s, kind: text, multi: true}\n"+okPanel, "multi and include_all are for query and custom variables")
	f("uid: a\ntitle: T\nvariables:\n  - {name: s, kind: query, param: p}\n"+okPanel, "variables[0].template: a query variable names the template")
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    expect: full\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`d.yaml:6: panel "P": panels[0].expect: "full": the one expectation is "empty"`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    visualization: {type: pie}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panels[0].visualization.type: "pie" is not one of timeseries, bar, table, stat, logs, gauge`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    row: nope\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panels[0].row: "nope" is not a row of this dashboard`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    links: [{title: x, url: 'ftp://x', explore: true}]\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panels[0].links[0]: a link names exactly one of dashboard (a uid), url, or explore: true`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    params: {x: {a: 1}}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panels[0].params.x: a binding is a $variable, a value or a list of values, not a mapping`)
	f("uid: a\ntitle: T\npanels:\n  - title: P\n    template: {id: t, version: 1}\n    visualization: {options: {thresholds: [{value: 5, color: red}, {value: 1, color: blue}]}}\n    grid: {x: 0, y: 0, w: 12, h: 8}\n",
		`panels[0].visualization.options.thresholds[1].value: 1: thresholds go in ascending order`)
	// JSON is YAML: an API body's unknown key names its line too.
	f("{\"uid\": \"a\",\n \"title\": \"T\",\n \"panels\": [],\n \"owner_team\": \"x\"}", `d.yaml:4: unknown key "owner_team"`)
}

func TestBindings(t *testing.T) {
	f := func(in any, want Binding) {
		t.Helper()
		if got := ParseBinding(in); got.Var != want.Var || got.Literal != want.Literal {
			t.Fatalf("ParseBinding(%v) = %+v, want %+v", in, got, want)
		}
	}
	f("$service", Binding{Var: "service"})
	f("$$service", Binding{Literal: "$service"})
	f("api", Binding{Literal: "api"})
	f(5, Binding{Literal: 5})
	f("$Service", Binding{Literal: "$Service"})
}

// A literal naming an environment (its name as a word, its host) is a
// problem; the same text inside another word, or a variable, is not.
func TestEnvironmentLiterals(t *testing.T) {
	envs := &Environments{Environments: []Environment{{Name: "prod", URL: "https://logmart.prod.example.com"}, {Name: "dev", URL: "http://10.0.0.7:8080"}}}
	d := &Dashboard{UID: "a", Title: "A", Playbook: "https://wiki.example.com/product-runbook",
		Variables: []Variable{{Name: "region", Kind: KindCustom, Values: []string{"eu", "us"}, Default: Values{"eu"}}},
		Panels: []Panel{{Title: "P", Params: map[string]any{"host": "api.prod.internal", "stream": "$region", "hosts": []any{"x", "10.0.0.7"}, "n": 5},
			Links: []Link{{Title: "l", URL: "https://logmart.prod.example.com/d/a"}}}}}
	var got []string
	for _, p := range environmentProblems(d, envs) {
		got = append(got, p.Field)
	}
	want := []string{"panels[0].params.host", "panels[0].params.hosts", "panels[0].links[0].url"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("problems at %v, want %v", got, want)
	}
	// Regression: the TLD of https://runbooks.logmart.dev named the
	// environment dev.
	d = &Dashboard{UID: "a", Title: "A", Playbook: "https://runbooks.logmart.dev/x", Panels: []Panel{{Title: "P", Params: map[string]any{"s": "device", "t": "dev"}}}}
	if ps := environmentProblems(d, envs); len(ps) != 1 || ps[0].Field != "panels[0].params.t" {
		t.Fatalf("problems %v, want one at panels[0].params.t", ps)
	}
	if ps := environmentProblems(d, nil); len(ps) != 0 {
		t.Fatalf("no environments, yet %v", ps)
	}
}
