package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const checkoutMonitor = `id: checkout_errors
title: Checkout errors
owner: payments
severity: critical
template: {id: errors_by_service, version: 1}
params: {service: checkout, step: 1m}
every: 1m
range: 5m
condition: {column: errors, above: 100}
group_by: [service]
dashboard: {uid: service-health, vars: {service: $service}}
playbook: https://runbooks.example.com/checkout
notify: [log]
`

// TestMonitorsPromotionAndBadInput: monitors promote and verify with the
// dashboards' commands (--kind monitor), byte for byte; and a bad monitor
// is refused by the API with the field named.
func TestMonitorsPromotionAndBadInput(t *testing.T) {
	root := t.TempDir()
	dev := startInstance(t, root, "dev")
	prod := startInstance(t, root, "prod")
	run := promoteCLI(t, root, "monitor", dev, prod)

	// Bad input: each refused with the field named, nothing stored.
	refusedPuts(t, dev, "/api/v1/monitors/checkout_errors", []refusal{
		{strings.Replace(checkoutMonitor, "every: 1m", "every: -1m", 1), "every: -1m: the evaluation interval must be positive"},
		{checkoutMonitor + "colour: red\n", `unknown key \"colour\"`},
		{strings.Replace(checkoutMonitor, "errors_by_service", "no_such_template", 1), `template: no template \"no_such_template\"`},
		{strings.Replace(checkoutMonitor, "notify: [log]", "notify: [pager]", 1), `notify[0]: no channel \"pager\" in alerts.channels`},
		{strings.Replace(checkoutMonitor, "column: errors", "column: latency", 1), `condition.column: \"latency\" is not a column of errors_by_service v1`},
		{strings.Replace(checkoutMonitor, "service-health", "nowhere", 1), `dashboard.uid: no dashboard has uid \"nowhere\"`},
	})

	// Made in dev, promoted to prod unchanged; verify proves it.
	if code, _, b := dev.call(t, "PUT", "/api/v1/monitors/checkout_errors", "application/yaml", checkoutMonitor); code != http.StatusCreated {
		t.Fatalf("create on dev: %d %s", code, b)
	}
	if out, code := run("verify"); code != 1 || !strings.Contains(out, "drift in 1 of 1 monitor(s)") {
		t.Fatalf("verify before promotion: exit %d\n%s", code, out)
	}
	if out, code := run("promote", "--from", "dev", "--to", "prod"); code != 0 || !strings.Contains(out, "checkout_errors") {
		t.Fatalf("promote: exit %d\n%s", code, out)
	}
	_, devHdr, devBody := dev.call(t, "GET", "/api/v1/monitors/checkout_errors", "", "", "Accept", "application/yaml")
	_, prodHdr, prodBody := prod.call(t, "GET", "/api/v1/monitors/checkout_errors", "", "", "Accept", "application/yaml")
	if devBody != prodBody || devHdr.Get("ETag") != prodHdr.Get("ETag") || devHdr.Get("ETag") == "" {
		t.Fatalf("prod holds other bytes:\n%s\n---\n%s", devBody, prodBody)
	}
	out, code := run("verify", "--json")
	var v struct {
		Monitors []struct {
			UID   string `json:"uid"`
			Drift bool   `json:"drift"`
		} `json:"monitors"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &v); err != nil || code != 0 || len(v.Monitors) != 1 || v.Monitors[0].Drift {
		t.Fatalf("verify after promotion: exit %d %v\n%s", code, err, out)
	}
	if out, code := run("promote", "--from", "dev", "--to", "prod"); code != 0 || !strings.Contains(out, "unchanged") {
		t.Fatalf("second promote: exit %d\n%s", code, out)
	}

	// Silences from the CLI: made, listed, refused without a window, ended.
	cli := func(args ...string) (string, error) {
		cmd := exec.Command(binPath, append([]string{"alerts"}, append(args[:1], append([]string{"--server", "http://" + dev.http}, args[1:]...)...)...)...)
		cmd.Env = append(os.Environ(), "LOGMART_TOKEN="+dev.token)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	out, err := cli("silence", "--monitor", "checkout_errors", "--match", "service=checkout", "--duration", "2h", "--comment", "deploy window")
	if err != nil || !strings.HasPrefix(out, "silence ") {
		t.Fatalf("alerts silence: %v %s", err, out)
	}
	id := strings.Fields(out)[1]
	if out, err := cli("silences"); err != nil || !strings.Contains(out, id) || !strings.Contains(out, "deploy window") {
		t.Fatalf("alerts silences: %v %s", err, out)
	}
	if out, err := cli("silence", "--monitor", "checkout_errors"); err == nil || !strings.Contains(out, "ends_at or duration is required") {
		t.Fatalf("a silence without a window: %v %s", err, out)
	}
	if out, err := cli("unsilence", id); err != nil || !strings.Contains(out, "ended") {
		t.Fatalf("alerts unsilence: %v %s", err, out)
	}
}

// promoteCLI writes an environments file naming ins, and returns a runner
// of `logmart dashboards <command> --environments FILE --kind kind ARGS`
// answering its output and exit code.
func promoteCLI(t *testing.T, root, kind string, ins ...*instance) func(args ...string) (string, int) {
	t.Helper()
	envFile := filepath.Join(root, "environments-"+kind+".yaml")
	var env strings.Builder
	env.WriteString("environments:\n")
	for _, in := range ins {
		fmt.Fprintf(&env, "  - name: %s\n    url: http://%s\n    token_env: LOGMART_E2E_%s_TOKEN\n", in.name, in.http, strings.ToUpper(in.name))
	}
	if err := os.WriteFile(envFile, []byte(env.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) (string, int) {
		t.Helper()
		out, err := exec.Command(binPath, append([]string{"dashboards", args[0], "--environments", envFile, "--kind", kind}, args[1:]...)...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
}

// refusal is a content body a PUT must refuse, and what the answer names.
type refusal struct{ edit, want string }

// refusedPuts sends each body to path, expects a 400 naming what is wrong,
// and then that nothing was stored.
func refusedPuts(t *testing.T, in *instance, path string, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		code, _, b := in.call(t, "PUT", path, "application/yaml", c.edit)
		if code != http.StatusBadRequest || !strings.Contains(b, c.want) {
			t.Errorf("PUT %s with %q…: %d %s, want 400 naming %s", path, c.want, code, b, c.want)
		}
	}
	if code, _, b := in.call(t, "GET", path, "", ""); code != http.StatusNotFound {
		t.Fatalf("a refused item was stored at %s: %d %s", path, code, b)
	}
}
