package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/logmart/logmart/dashboards"
)

// TestShippedDashboardPanelsRun runs every panel of every shipped
// dashboard over the demo hour with the variables' defaults: each
// answers 200 with its columns. Then the refusals, each naming what is
// at fault.
func TestShippedDashboardPanelsRun(t *testing.T) {
	_, cat := newTemplateServer(t, nil)
	svc := dashboards.New(dashboards.Config{Dir: "../configs/dashboards"}, testStore, nil, nil)
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.Tokens = []TokenConfig{{Name: "vic", Role: RoleViewer, Token: viewerTok}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(cfg, Deps{Templates: cat, Dashboards: svc}, nil).Handler())
	t.Cleanup(ts.Close)
	from, to := demoRange()
	list, err := svc.List(context.Background())
	if err != nil || len(list) == 0 {
		t.Fatalf("shipped dashboards: %v, %v", list, err)
	}
	for _, e := range list {
		for i, p := range e.Item.Panels {
			code, out := call(t, ts, "POST", fmt.Sprintf("/api/v1/dashboards/%s/panels/%d/run", e.Item.UID, i), viewerTok,
				fmt.Sprintf(`{"from":%q,"to":%q}`, from, to))
			if code != 200 || out["columns"] == nil {
				t.Errorf("%s panel %d %q = %d %v", e.Item.UID, i, p.Title, code, out)
			}
		}
	}

	f := func(path, body string, want int, wantErr string) {
		t.Helper()
		code, out := call(t, ts, "POST", path, viewerTok, body)
		if code != want || !strings.Contains(fmt.Sprint(out["error"]), wantErr) {
			t.Errorf("%s %s = %d %v, want %d %q", path, body, code, out, want, wantErr)
		}
	}
	f("/api/v1/dashboards/service-health/panels/0/run", `{"vars":{"step":"7m"}}`, 400, `variable step: "7m" is not one of 1m, 5m, 15m, 1h`)
	f("/api/v1/dashboards/service-health/panels/0/run", `{"vars":{"nope":"x"}}`, 400, `no variable "nope"`)
	f("/api/v1/dashboards/service-health/panels/0/run", `{"vars":{"step":["1m","5m"]}}`, 400, "takes one value")
	f("/api/v1/dashboards/service-health/panels/0/run", `{"vars":{"step":{"a":1}}}`, 400, "vars.step must be a string or a list")
	f("/api/v1/dashboards/service-health/panels/99/run", `{}`, 404, "has no panel 99")
	f("/api/v1/dashboards/service-health/panels/x/run", `{}`, 404, "not a panel index")
	f("/api/v1/dashboards/no-such/panels/0/run", `{}`, 404, "no-such")
	f("/api/v1/dashboards/service-health/panels/0/run", `{"vars":{"service":"'; DROP TABLE logs --"},"from":"now-1h","to":"now"}`, 200, "<nil>")
}

// TestPanelValuesBindings: defaults, a viewer's values, All and empty
// values leaving the parameter unset, lists for list parameters, and
// constants the viewer cannot change.
func TestPanelValuesBindings(t *testing.T) {
	d := &dashboards.Dashboard{UID: "d", Variables: []dashboards.Variable{
		{Name: "svc", Kind: dashboards.KindCustom, Values: []string{"a", "b"}, Default: dashboards.Values{"a"}, Multi: true, IncludeAll: true},
		{Name: "env", Kind: dashboards.KindConstant, Default: dashboards.Values{"${env}"}},
		{Name: "q", Kind: dashboards.KindText},
	}, Panels: []dashboards.Panel{{Title: "p", Params: map[string]any{"services": "$svc", "one": "$svc", "env": "$env", "q": "$q", "lit": "$$x", "n": 5, "where": "region-${env}-${nope}"}}}}
	types := func(name string) string {
		if name == "services" {
			return "list(string)"
		}
		return "string"
	}
	f := func(vars map[string][]string, want string) {
		t.Helper()
		r, err := d.PanelValues(0, vars, types, map[string]string{"env": "prod"})
		if err != nil {
			t.Fatalf("%v: %v", vars, err)
		}
		if got := fmt.Sprint(r.Values); got != want {
			t.Errorf("%v: values %s, want %s", vars, got, want)
		}
	}
	f(nil, "map[env:prod lit:$x n:5 one:a services:[a] where:region-prod-${nope}]")
	f(map[string][]string{"svc": {"a", "b"}, "q": {"x y"}}, "map[env:prod lit:$x n:5 one:a q:x y services:[a b] where:region-prod-${nope}]")
	f(map[string][]string{"svc": {dashboards.AllValue}, "q": {""}}, "map[env:prod lit:$x n:5 where:region-prod-${nope}]")
	f(map[string][]string{"env": {"dev"}}, "map[env:prod lit:$x n:5 one:a services:[a] where:region-prod-${nope}]")
	if _, err := d.PanelValues(0, map[string][]string{"svc": {"c"}}, types, nil); err == nil || !strings.Contains(err.Error(), `"c" is not one of a, b`) {
		t.Errorf("a value outside the list = %v", err)
	}
}
