package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// instance is one logmart server of the promotion test: its name in the
// environments file, its address and its editor token.
type instance struct {
	name, token string
	*proc
}

// startInstance starts `logmart serve` with the shipped templates and
// dashboards and one editor token, named after the instance, read from an
// environment variable as the environments file will name it.
func startInstance(t *testing.T, root, name string) *instance {
	t.Helper()
	return startInstanceWith(t, root, name, "../../configs/templates", "../../configs/dashboards")
}

// startInstanceWith starts an instance on the given template and dashboard
// folders.
func startInstanceWith(t *testing.T, root, name, templates, dashboards string) *instance {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tokenEnv := "LOGMART_E2E_" + strings.ToUpper(name) + "_TOKEN"
	token := "tok-" + name + "-0123456789"
	t.Setenv(tokenEnv, token)
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cfg := fmt.Sprintf(`server:
  tokens:
    - {name: %s-release, role: editor, token_env: %s}
ingest:
  streams_file: %s
templates:
  dir: %s
dashboards:
  dir: %s
`, name, tokenEnv, abs("../../configs/streams.yaml"), abs(templates), abs(dashboards))
	cfgFile := filepath.Join(dir, "logmart.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServer(t, filepath.Join(dir, "data"), freePort(t), freePort(t), "--config", cfgFile)
	t.Cleanup(p.stop)
	return &instance{name: name, token: token, proc: p}
}

// call sends one request to the instance's API with its token.
func (in *instance) call(t *testing.T, method, path, ctype, body string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+in.http+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+in.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// canonical is the dashboard's canonical YAML on the instance and its
// hash; "" when the instance has none.
func (in *instance) canonical(t *testing.T, uid string) (body, hash string) {
	t.Helper()
	code, h, b := in.call(t, "GET", "/api/v1/dashboards/"+uid, "", "", "Accept", "application/yaml")
	if code == http.StatusNotFound {
		return "", ""
	}
	if code != http.StatusOK {
		t.Fatalf("%s: GET %s: %d %s", in.name, uid, code, b)
	}
	return b, strings.Trim(h.Get("ETag"), `"`)
}

// promotions are the rows of the instance's promotions table for uid.
func (in *instance) promotions(t *testing.T, uid string) []map[string]any {
	t.Helper()
	code, _, b := in.call(t, "GET", "/api/v1/promotions?kind=dashboard&uid="+uid, "", "")
	if code != http.StatusOK {
		t.Fatalf("%s: GET promotions: %d %s", in.name, code, b)
	}
	var out struct{ Promotions []map[string]any }
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatal(err)
	}
	return out.Promotions
}

const checkoutDashboard = `uid: checkout
title: Checkout
description: errors of the checkout services
panels:
  - title: Errors
    template: {id: errors_by_service, version: 1}
    grid: {x: 0, y: 0, w: 24, h: 8}
`

// TestDashboardsPromotion runs diff, promote and verify as a user would,
// against three real logmart servers (dev, test, prod) on the embedded
// engine: promote copies the canonical bytes unchanged, a second run
// changes nothing, a local edit in prod is flagged by verify and refused
// by promote until --force, and every promotion is recorded on the target.
func TestDashboardsPromotion(t *testing.T) {
	root := t.TempDir()
	dev := startInstance(t, root, "dev")
	test := startInstance(t, root, "test")
	prod := startInstance(t, root, "prod")
	envFile := filepath.Join(root, "environments.yaml")
	var envYAML strings.Builder
	envYAML.WriteString("environments:\n")
	for _, in := range []*instance{dev, test, prod} {
		fmt.Fprintf(&envYAML, "  - name: %s\n    url: http://%s\n    token_env: LOGMART_E2E_%s_TOKEN\n    variables: {env: %s}\n", in.name, in.http, strings.ToUpper(in.name), in.name)
	}
	if err := os.WriteFile(envFile, []byte(envYAML.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(binPath, append([]string{"dashboards", args[0], "--environments", envFile}, args[1:]...)...)
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	mustRun := func(args ...string) string {
		t.Helper()
		out, errOut, code := run(args...)
		if code != 0 {
			t.Fatalf("logmart dashboards %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	verify := func(args ...string) (map[string]map[string]string, map[string]bool, string, int) {
		t.Helper()
		out, errOut, code := run(append([]string{"verify", "--json"}, args...)...)
		var v struct {
			Dashboards []struct {
				UID    string            `json:"uid"`
				Hashes map[string]string `json:"hashes"`
				Drift  bool              `json:"drift"`
			} `json:"dashboards"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("verify --json printed %q (%v); stderr %s", out, err, errOut)
		}
		hashes, drift := map[string]map[string]string{}, map[string]bool{}
		for _, d := range v.Dashboards {
			hashes[d.UID], drift[d.UID] = d.Hashes, d.Drift
		}
		return hashes, drift, out, code
	}

	// A dashboard made in dev through the API.
	if code, _, b := dev.call(t, "PUT", "/api/v1/dashboards/checkout", "application/yaml", checkoutDashboard); code != http.StatusCreated {
		t.Fatalf("create on dev: %d %s", code, b)
	}
	devBody, devHash := dev.canonical(t, "checkout")

	// Before promotion verify sees it on dev alone: drift, exit 1. The
	// shipped, file-provisioned dashboards are identical everywhere.
	hashes, drift, _, code := verify()
	if code != 1 || !drift["checkout"] || hashes["checkout"]["dev"] != devHash || hashes["checkout"]["prod"] != "" {
		t.Fatalf("verify before promotion: exit %d, checkout %v drift %v", code, hashes["checkout"], drift["checkout"])
	}
	for uid, d := range drift {
		if uid != "checkout" && d {
			t.Fatalf("shipped dashboard %s drifts: %v", uid, hashes[uid])
		}
	}

	// diff names what promote would create, with the lines.
	out := mustRun("diff", "--from", "dev", "--to", "test", "checkout")
	if !strings.Contains(out, "+ checkout: only on dev ("+devHash+"); promote would create it on test") || !strings.Contains(out, "+title: Checkout") {
		t.Fatalf("diff before promotion:\n%s", out)
	}

	// A dry run writes nothing.
	out = mustRun("promote", "--from", "dev", "--to", "test", "--dry-run", "--uid", "checkout")
	if !strings.Contains(out, "checkout: would be created on test: "+devHash) {
		t.Fatalf("dry run:\n%s", out)
	}
	if b, _ := test.canonical(t, "checkout"); b != "" {
		t.Fatalf("a dry run created the dashboard on test")
	}

	// dev → test → prod: byte for byte, recorded on each target.
	out = mustRun("promote", "--from", "dev", "--to", "test", "--uid", "checkout")
	if !strings.Contains(out, "checkout: created on test: "+devHash) || !strings.Contains(out, "1 created, 0 replaced, 0 unchanged, 0 refused") {
		t.Fatalf("promote dev → test:\n%s", out)
	}
	mustRun("promote", "--from", "test", "--to", "prod", "checkout")
	for _, in := range []*instance{test, prod} {
		b, h := in.canonical(t, "checkout")
		if b != devBody || h != devHash {
			t.Fatalf("%s holds\n%s(%s)\nnot dev's\n%s(%s)", in.name, b, h, devBody, devHash)
		}
	}
	ps := prod.promotions(t, "checkout")
	if len(ps) != 1 || ps[0]["from"] != "test" || ps[0]["to"] != "prod" || ps[0]["old_hash"] != "" || ps[0]["new_hash"] != devHash ||
		ps[0]["forced"] != false || ps[0]["by"] != "prod-release" || ps[0]["kind"] != "dashboard" {
		t.Fatalf("prod's promotions: %v", ps)
	}

	// A second run changes nothing and says so; nothing more is recorded.
	out = mustRun("promote", "--from", "dev", "--to", "test", "--all")
	if !strings.Contains(out, "checkout: unchanged, test already has "+devHash) || !strings.Contains(out, "nothing to do: test already holds dev's") {
		t.Fatalf("second promote:\n%s", out)
	}
	if ps := test.promotions(t, "checkout"); len(ps) != 1 {
		t.Fatalf("a promote that changed nothing was recorded: %v", ps)
	}

	// verify --json: every uid, each environment's hash, no drift, exit 0.
	hashes, _, raw, code := verify()
	if code != 0 {
		t.Fatalf("verify after promotion: exit %d\n%s", code, raw)
	}
	uids := make([]string, 0, len(hashes))
	for uid := range hashes {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	var want strings.Builder
	want.WriteString(`{"dashboards":[`)
	for i, uid := range uids {
		_, h := dev.canonical(t, uid)
		if i > 0 {
			want.WriteString(",")
		}
		fmt.Fprintf(&want, `{"uid":%q,"hashes":{"dev":%q,"prod":%q,"test":%q},"drift":false}`, uid, h, h, h)
	}
	want.WriteString("]}\n")
	if raw != want.String() {
		t.Fatalf("verify --json printed\n%s\nwant\n%s", raw, want.String())
	}

	// An edit in prod: verify flags exactly that uid and exits 1.
	edited := strings.Replace(devBody, "title: Checkout", "title: Checkout (prod hotfix)", 1)
	code, hdr, b := prod.call(t, "PUT", "/api/v1/dashboards/checkout", "application/yaml", edited, "If-Match", `"`+devHash+`"`)
	if code != http.StatusOK {
		t.Fatalf("edit on prod: %d %s", code, b)
	}
	prodHash := strings.Trim(hdr.Get("ETag"), `"`)
	_, drift, _, code = verify()
	if code != 1 {
		t.Fatalf("verify after the prod edit exited %d", code)
	}
	for uid, d := range drift {
		if d != (uid == "checkout") {
			t.Fatalf("after the prod edit, drift is %v", drift)
		}
	}
	vout, verr, _ := run("verify", "--envs", "test,prod")
	if !strings.Contains(vout, "DRIFT") || strings.TrimSpace(verr) != "logmart dashboards: drift in 1 of "+fmt.Sprint(len(uids))+" dashboard(s): checkout" {
		t.Fatalf("verify table:\n%s%s", vout, verr)
	}

	// promote refuses to overwrite it, naming the uid and both hashes.
	out, errOut, code := run("promote", "--from", "test", "--to", "prod", "checkout")
	if code != 1 || !strings.Contains(errOut, `dashboard "checkout" on prod was edited there since the last promotion: prod has `+prodHash) ||
		!strings.Contains(errOut, "left "+devHash+", test has "+devHash+"; promote with --force to overwrite it") {
		t.Fatalf("promote over a local edit: exit %d\n%s%s", code, out, errOut)
	}
	if _, h := prod.canonical(t, "checkout"); h != prodHash {
		t.Fatalf("a refused promote changed prod to %s", h)
	}
	out = mustRun("promote", "--from", "test", "--to", "prod", "--force", "--dry-run", "checkout")
	if !strings.Contains(out, "would be replaced on prod: "+prodHash+" -> "+devHash+" (--force") {
		t.Fatalf("forced dry run:\n%s", out)
	}
	if _, h := prod.canonical(t, "checkout"); h != prodHash {
		t.Fatalf("a dry run changed prod to %s", h)
	}

	// --force overwrites it, and the record says so.
	out = mustRun("promote", "--from", "test", "--to", "prod", "checkout", "--force")
	if !strings.Contains(out, "checkout: replaced on prod: "+prodHash+" -> "+devHash) {
		t.Fatalf("forced promote:\n%s", out)
	}
	if b, _ := prod.canonical(t, "checkout"); b != devBody {
		t.Fatalf("after --force prod holds\n%s", b)
	}
	ps = prod.promotions(t, "checkout")
	if len(ps) != 2 || ps[0]["forced"] != true || ps[0]["old_hash"] != prodHash || ps[0]["new_hash"] != devHash {
		t.Fatalf("prod's promotions after --force: %v", ps)
	}

	// A delete in prod is a local edit too: promote refuses to bring the
	// dashboard back until --force.
	_, h := prod.canonical(t, "checkout")
	if code, _, b := prod.call(t, "DELETE", "/api/v1/dashboards/checkout", "", "", "If-Match", h); code != http.StatusNoContent {
		t.Fatalf("delete on prod: %d %s", code, b)
	}
	out, errOut, code = run("promote", "--from", "test", "--to", "prod", "checkout")
	if code != 1 || !strings.Contains(errOut, `dashboard "checkout" was deleted on prod since the last promotion (from test by prod-release at `) {
		t.Fatalf("promote over a delete: exit %d\n%s%s", code, out, errOut)
	}
	out = mustRun("promote", "--from", "test", "--to", "prod", "--force", "checkout")
	if !strings.Contains(out, "checkout: created on prod: "+devHash) {
		t.Fatalf("forced promote over a delete:\n%s", out)
	}

	// A new version in dev replaces test's copy without --force: test was
	// not edited since its last promotion.
	v2 := strings.Replace(devBody, "errors of the checkout services", "errors and latency of the checkout services", 1)
	if code, _, b := dev.call(t, "PUT", "/api/v1/dashboards/checkout", "application/yaml", v2, "If-Match", devHash); code != http.StatusOK {
		t.Fatalf("edit on dev: %d %s", code, b)
	}
	_, v2Hash := dev.canonical(t, "checkout")
	out = mustRun("diff", "--from", "dev", "--to", "test")
	if !strings.Contains(out, "~ checkout: differs: dev has "+v2Hash+", test has "+devHash) ||
		!strings.Contains(out, "--- test/checkout\n    +++ dev/checkout") ||
		!strings.Contains(out, "-description: errors of the checkout services\n    +description: errors and latency of the checkout services") {
		t.Fatalf("diff of a new version:\n%s", out)
	}
	out = mustRun("promote", "--from", "dev", "--to", "test", "checkout")
	if !strings.Contains(out, "checkout: replaced on test: "+devHash+" -> "+v2Hash) {
		t.Fatalf("promote of a new version:\n%s", out)
	}
}

// Bad input to diff, promote and verify is one line on stderr naming the
// value at fault, and a non-zero exit: an unknown environment, an unset
// token variable, an unreachable server, a broken environments file.
func TestDashboardsPromotionBadInput(t *testing.T) {
	root := t.TempDir()
	dev := startInstance(t, root, "dev")
	gone := freePort(t)
	envFile := filepath.Join(root, "environments.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(envFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(`environments:
  - {name: dev, url: "http://%s", token_env: LOGMART_E2E_DEV_TOKEN}
  - {name: gone, url: "http://%s", token_env: LOGMART_E2E_DEV_TOKEN}
  - {name: unset, url: "http://%s", token_env: LOGMART_E2E_UNSET_TOKEN}
`, dev.http, gone, dev.http))
	os.Unsetenv("LOGMART_E2E_UNSET_TOKEN")
	f := func(want string, args ...string) {
		t.Helper()
		cmd := exec.Command(binPath, append([]string{"dashboards", args[0], "--environments", envFile}, args[1:]...)...)
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		lines := strings.Split(strings.TrimSpace(e.String()), "\n")
		if err == nil || len(lines) != 1 || !strings.Contains(lines[0], want) {
			t.Errorf("logmart dashboards %s: %v\nstdout %s\nstderr %s\nwant one line with %s", strings.Join(args, " "), err, o.String(), e.String(), want)
		}
	}
	f(`unknown environment "staging": `+envFile+` lists dev, gone, unset`, "promote", "--from", "dev", "--to", "staging")
	f(`unknown environment "qa": `+envFile+` lists dev, gone, unset`, "verify", "--envs", "dev,qa")
	f("environment unset: $LOGMART_E2E_UNSET_TOKEN is not set (token_env)", "diff", "--from", "dev", "--to", "unset")
	f("environment gone: cannot reach the server at http://"+gone, "promote", "--from", "dev", "--to", "gone")
	f("environment gone: cannot reach the server at http://"+gone, "verify", "--envs", "dev,gone")
	f("--from and --to are both dev", "promote", "--from", "dev", "--to", "dev")
	f("--all promotes every dashboard: give it or uids, not both", "promote", "--from", "dev", "--to", "gone", "--all", "x")
	write("environments:\n  - {name: dev, url: 'http://a:1', token_env: T, token: abc}\n")
	f(envFile+":2: environments[0].token: a secret never sits in this file", "verify")
}

// A dashboard is promoted only to an instance that holds every template
// version it runs with the source's hash: diff names each one missing or
// different, and promote refuses, naming them, and writes nothing.
func TestDashboardsPromotionNeedsTheTemplates(t *testing.T) {
	root := t.TempDir()
	dev := startInstance(t, root, "dev")
	// stale: errors_by_service v1 changed without a new version, and
	// log_volume_by_level missing.
	tdir := filepath.Join(root, "stale-templates")
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		t.Fatal(err)
	}
	shipped, _ := filepath.Glob("../../configs/templates/*.yaml")
	for _, f := range shipped {
		if filepath.Base(f) == "log_volume_by_level.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "errors_by_service.yaml" {
			b = []byte(strings.Replace(string(b), "count() AS errors", "count() AS errors -- changed in place", 1))
		}
		if err := os.WriteFile(filepath.Join(tdir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stale := startInstanceWith(t, root, "stale", tdir, t.TempDir())
	envFile := filepath.Join(root, "environments.yaml")
	env := fmt.Sprintf("environments:\n  - {name: dev, url: 'http://%s', token_env: LOGMART_E2E_DEV_TOKEN}\n  - {name: stale, url: 'http://%s', token_env: LOGMART_E2E_STALE_TOKEN}\n", dev.http, stale.http)
	if err := os.WriteFile(envFile, []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	body := `uid: deps
title: Needs two templates
panels:
  - title: Errors
    template: {id: errors_by_service, version: 1}
    grid: {x: 0, y: 0, w: 12, h: 8}
  - title: Volume
    template: {id: log_volume_by_level, version: 1}
    grid: {x: 12, y: 0, w: 12, h: 8}
`
	if code, _, b := dev.call(t, "PUT", "/api/v1/dashboards/deps", "application/yaml", body); code != http.StatusCreated {
		t.Fatalf("create on dev: %d %s", code, b)
	}
	hashOf := func(in *instance, id string) string {
		t.Helper()
		code, _, b := in.call(t, "GET", "/api/v1/templates/"+id+"?version=1", "", "")
		if code != http.StatusOK {
			t.Fatalf("%s: template %s: %d %s", in.name, id, code, b)
		}
		var v struct{ Hash string }
		if err := json.Unmarshal([]byte(b), &v); err != nil || len(v.Hash) != 64 {
			t.Fatalf("%s: template %s answered %s", in.name, id, b)
		}
		return v.Hash
	}
	devErrors, staleErrors, devVolume := hashOf(dev, "errors_by_service"), hashOf(stale, "errors_by_service"), hashOf(dev, "log_volume_by_level")
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(binPath, append([]string{"dashboards", args[0], "--environments", envFile}, args[1:]...)...)
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		return o.String(), e.String(), err
	}
	out, errOut, err := run("diff", "--from", "dev", "--to", "stale", "deps")
	if err != nil ||
		!strings.Contains(out, "! deps needs template errors_by_service v1, which differs: dev has "+devErrors+", stale has "+staleErrors) ||
		!strings.Contains(out, "! deps needs template log_volume_by_level v1, which stale lacks (dev has "+devVolume[:12]+")") {
		t.Fatalf("diff: %v\n%s%s", err, out, errOut)
	}
	out, errOut, err = run("promote", "--from", "dev", "--to", "stale", "deps")
	want := `dashboard "deps" cannot go to stale: template errors_by_service v1 differs: dev has ` + devErrors + ", stale has " + staleErrors +
		" (a version is never overwritten: give the changed one a new version); template log_volume_by_level v1 is missing on stale (deploy it there first; dev has " + devVolume + ")"
	if err == nil || !strings.Contains(errOut, want) {
		t.Fatalf("promote: %v\n%s%s\nwant %s", err, out, errOut, want)
	}
	if b, _ := stale.canonical(t, "deps"); b != "" {
		t.Fatal("a refused promote wrote the dashboard")
	}

	// One dashboard with one hash on both, over a template version that
	// differs: verify reports drift, naming the template, and exits 1.
	same := "uid: same\ntitle: Same\npanels:\n  - title: Errors\n    template: {id: errors_by_service, version: 1}\n    grid: {x: 0, y: 0, w: 24, h: 8}\n"
	for _, in := range []*instance{dev, stale} {
		if code, _, b := in.call(t, "PUT", "/api/v1/dashboards/same", "application/yaml", same); code != http.StatusCreated {
			t.Fatalf("create on %s: %d %s", in.name, code, b)
		}
	}
	_, devHash := dev.canonical(t, "same")
	out, errOut, err = run("verify", "--json", "--uid", "same")
	if err == nil || out != `{"dashboards":[{"uid":"same","hashes":{"dev":"`+devHash+`","stale":"`+devHash+`"},"drift":true}]}`+"\n" ||
		!strings.Contains(errOut, "drift in 1 of 1 dashboard(s): same (same hash, but template errors_by_service v1: dev "+devErrors[:12]+", stale "+staleErrors[:12]+")") {
		t.Fatalf("verify over a drifted template: %v\n%s%s", err, out, errOut)
	}
}
