package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `logmart dashboards import-grafana` writes a dashboard and templates
// that the embedded engine accepts (templates lint, then dashboards lint
// with EXPLAIN of every panel), lists what it could not convert, and never
// overwrites a file.
func TestDashboardsImportGrafanaCommand(t *testing.T) {
	out := t.TempDir()
	fixture := "../../dashboards/testdata/grafana/service_logs.json"
	run := func(args ...string) (string, error) {
		b, err := exec.Command(binPath, args...).CombinedOutput()
		return string(b), err
	}
	got, err := run("dashboards", "import-grafana", "--out", out, fixture)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, got)
	}
	for _, want := range []string{
		`converted 6 of 10 panels of the Grafana dashboard "Service logs (Grafana)" as dashboard svc_logs_01 with 7 templates`,
		"wrote " + filepath.Join(out, "dashboards", "svc_logs_01.yaml"),
		"wrote " + filepath.Join(out, "templates", "svc_logs_01_p11.yaml"),
		"not converted:\n",
		`panel "Rate interval" (id 8): macro $__rate_interval has no logmart counterpart`,
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("import printed\n%s\nwant it to contain %s", got, want)
		}
	}
	tdir := filepath.Join(out, "templates")
	if got, err := run("templates", "lint", "--dir", tdir, "--update-lock"); err != nil {
		t.Fatalf("the converted templates do not lint: %v\n%s", err, got)
	}
	if got, err := run("dashboards", "lint", "--templates", tdir, filepath.Join(out, "dashboards")); err != nil || !strings.Contains(got, "1 dashboards in") {
		t.Fatalf("the converted dashboard does not lint: %v\n%s", err, got)
	}

	// A second import refuses to overwrite what the first wrote.
	got, err = run("dashboards", "import-grafana", "--out", out, fixture)
	if err == nil || !strings.Contains(got, "not overwriting "+filepath.Join(out, "dashboards", "svc_logs_01.yaml")) {
		t.Fatalf("a second import: %v\n%s", err, got)
	}
	bad := filepath.Join(out, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"title": "x", "panels": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = run("dashboards", "import-grafana", "--out", out, bad)
	if err == nil || strings.Count(strings.TrimSpace(got), "\n") != 0 || !strings.Contains(got, bad+": cannot read the Grafana dashboard") {
		t.Fatalf("a broken file: %v\n%s", err, got)
	}
}
