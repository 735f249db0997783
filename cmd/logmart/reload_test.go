package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/server"
)

// TestReloadListRunsInOrder: every reloader runs, in order, whether or not
// an earlier one failed; names pick reloaders, and a name not in the list
// is a NotFound result.
func TestReloadListRunsInOrder(t *testing.T) {
	var ran []string
	step := func(name string, err error) reloader {
		return reloader{name, func(context.Context) error { ran = append(ran, name); return err }}
	}
	l := newReloadList(slog.New(slog.DiscardHandler), step("a", nil), step("b", fault.New(fault.BadInput, "b.yaml: line 1: bad")), step("c", nil))
	show := func(rs []server.ReloadResult) string {
		var out []string
		for _, r := range rs {
			s := r.Name + ":ok"
			if r.Err != nil {
				s = fmt.Sprintf("%s:%s:%v", r.Name, fault.KindOf(r.Err), r.Err)
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}
	f := func(names []string, want, wantRan string) {
		t.Helper()
		ran = nil
		if got := show(l.Reload(context.Background(), names...)); got != want {
			t.Errorf("Reload(%v) = %q, want %q", names, got, want)
		}
		if got := strings.Join(ran, " "); got != wantRan {
			t.Errorf("Reload(%v) ran %q, want %q", names, got, wantRan)
		}
	}
	f(nil, "a:ok b:bad_input:b.yaml: line 1: bad c:ok", "a b c")
	f([]string{"c", "a"}, "a:ok c:ok", "a c")
	f([]string{"dashboards"}, `dashboards:not_found:no reloader "dashboards"; the reloaders are a, b, c`, "")

	// A signal runs the whole list.
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 1)
	done := make(chan struct{})
	ran = nil
	go func() { l.runOnSignal(ctx, sig); close(done) }()
	sig <- syscall.SIGHUP
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		n := len(ran)
		l.mu.Unlock()
		if n == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if got := strings.Join(ran, " "); got != "a b c" {
		t.Errorf("a signal ran %q, want a b c", got)
	}
}

// TestReloadBySignalAndAPI: the server's SIGHUP and POST /api/v1/reload
// run the same list, stream rules and templates; before the list SIGHUP
// reloaded the stream rules only, and templates only had their own route.
func TestReloadBySignalAndAPI(t *testing.T) {
	dir := t.TempDir()
	streamsFile := filepath.Join(dir, "streams.yaml")
	tmplDir := filepath.Join(dir, "templates")
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(tmplDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shipped, err := os.ReadFile("../../configs/templates/errors_by_service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write(streamsFile, "streams:\n  - name: default\n")
	write(filepath.Join(tmplDir, "errors_by_service.yaml"), string(shipped))
	cfgFile := filepath.Join(dir, "logmart.yaml")
	dashDir := filepath.Join(dir, "dashboards")
	if err := os.Mkdir(dashDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(cfgFile, fmt.Sprintf("ingest:\n  streams_file: %s\ntemplates:\n  dir: %s\ndashboards:\n  dir: %s\n", streamsFile, tmplDir, dashDir))
	data := filepath.Join(dir, "data")
	srv := startServer(t, data, freePort(t), freePort(t), "--config", cfgFile)
	defer srv.stop()

	reload := func() (int, string) {
		t.Helper()
		resp, err := http.Post("http://"+srv.http+"/api/v1/reload", "application/json", bytes.NewReader(nil))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			OK        bool
			Reloaders []struct {
				Name, Error string
				OK          bool
			}
		}
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("reload answered %s", raw)
		}
		var parts []string
		for _, r := range out.Reloaders {
			if r.OK {
				parts = append(parts, r.Name+":ok")
			} else {
				parts = append(parts, r.Name+":failed")
			}
		}
		return resp.StatusCode, strings.Join(parts, " ")
	}
	// A dashboard added after the start is served once the list reloads.
	write(filepath.Join(dashDir, "errors.yaml"), "uid: errors\ntitle: Errors\npanels:\n  - title: E\n    template: {id: errors_by_service, version: 1}\n    grid: {x: 0, y: 0, w: 24, h: 8}\n")
	if code, got := reload(); code != 200 || got != "streams:ok templates:ok dashboards:ok monitors:ok budgets:ok" {
		t.Fatalf("POST /api/v1/reload: %d %s", code, got)
	}
	if resp, err := http.Get("http://" + srv.http + "/api/v1/dashboards"); err != nil {
		t.Fatal(err)
	} else {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(raw), `"uid":"errors"`) {
			t.Fatalf("after the reload the dashboards are %s", raw)
		}
	}

	// A broken template and a new rules file, then SIGHUP.
	write(filepath.Join(tmplDir, "errors_by_service.yaml"), strings.Replace(string(shipped), "sql: |", "sql: |\n  SELEC", 1))
	write(streamsFile, "streams:\n  - name: web\n    match: 'service == \"web\"'\n  - name: default\n")
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	logOf := func() string {
		b, _ := os.ReadFile(srv.logf.Name())
		return string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	failed := `msg="not reloaded; what was loaded stays in force" reloader=templates`
	for !strings.Contains(logOf(), failed) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if lines := logOf(); strings.Count(lines, `msg=reloaded reloader=streams`) != 2 || !strings.Contains(lines, failed) {
		t.Fatalf("after SIGHUP the log has not streams reloaded twice (API, signal) and templates failed:\n%s", lines)
	}
	resp, err := http.Get("http://" + srv.http + "/api/v1/streams")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), `"name":"web"`) {
		t.Fatalf("after SIGHUP the rules in force are %s", raw)
	}
	if code, got := reload(); code != 400 || got != "streams:ok templates:failed dashboards:ok monitors:ok budgets:ok" {
		t.Fatalf("POST /api/v1/reload with a broken template: %d %s", code, got)
	}
}
