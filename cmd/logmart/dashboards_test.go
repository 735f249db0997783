package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `logmart dashboards lint` passes the shipped dashboards, and fails a
// broken one with one line per problem naming file, line, panel and field.
func TestDashboardsLintCommand(t *testing.T) {
	dir := t.TempDir()
	envs := filepath.Join(dir, "environments.yaml")
	if err := os.WriteFile(envs, []byte("environments:\n  - {name: dev, url: 'http://dev.logmart.internal:8080', token_env: LOGMART_DEV_TOKEN}\n  - {name: prod, url: 'https://logmart.prod.example.com', token_env: LOGMART_PROD_TOKEN}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(binPath, append([]string{"dashboards", "lint", "--templates", "../../configs/templates", "--environments", envs}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("../../configs/dashboards")
	if err != nil || !strings.Contains(out, "dashboards in ../../configs/dashboards are fine") {
		t.Fatalf("the shipped dashboards: %v\n%s", err, out)
	}

	dir = filepath.Join(dir, "dashboards")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "broken.yaml")
	body := `uid: broken
title: Broken
panels:
  - title: Metric
    template: {id: metric_over_time, version: 1}
    grid: {x: 0, y: 0, w: 12, h: 8}
  - title: Slow
    template: {id: query_log_slowest, version: 1}
    params: {limit: many}
    grid: {x: 6, y: 0, w: 12, h: 8}
`
	if err := os.WriteFile(bad, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	unbound := filepath.Join(dir, "unbound.yaml")
	body = `uid: unbound
title: Unbound
panels:
  - title: Metric
    template: {id: metric_over_time, version: 1}
    grid: {x: 0, y: 0, w: 12, h: 8}
  - title: Slow
    template: {id: query_log_slowest, version: 1}
    params: {limit: many}
    grid: {x: 12, y: 0, w: 12, h: 8}
    links: [{title: Prod, url: 'https://logmart.prod.example.com/dashboards/x'}]
`
	if err := os.WriteFile(unbound, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(dir)
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("broken dashboards: %v\n%s", err, out)
	}
	for _, want := range []string{
		bad + `:10: panel "Slow": panels[1].grid: overlaps panel "Metric"`,
		unbound + `:4: panel "Metric": panels[0].params: required parameter "metric" of template metric_over_time v1 is not bound`,
		unbound + `:9: panel "Slow": panels[1].params.limit: "many" is not an int`,
		unbound + `:11: panel "Slow": panels[1].links[0].url: "https://logmart.prod.example.com/dashboards/x" names the environment prod (its host logmart.prod.example.com)`,
		"4 problem(s)",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("lint output:\n%s\nwant it to contain:\n%s", out, want)
		}
	}
	out, err = run(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.Contains(out, "missing.yaml") {
		t.Fatalf("a missing path: %v\n%s", err, out)
	}
	raw, err := exec.Command(binPath, "dashboards", "lint", "--environments", filepath.Join(dir, "none.yaml"), dir).CombinedOutput()
	if err == nil || !strings.Contains(string(raw), "cannot read the environments file") {
		t.Fatalf("a named environments file that is missing: %v\n%s", err, raw)
	}
}
