package main

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLinksBadFlags: mistakes on the command line are one line naming the
// flag, with exit code 2, and no server is contacted.
func TestLinksBadFlags(t *testing.T) {
	f := func(args string, want string) {
		t.Helper()
		err := runLinks(strings.Fields(args))
		var u usageError
		if err == nil || !errors.As(err, &u) || err.Error() != want {
			t.Fatalf("logmart links %s:\n got %v\nwant usage error %q", args, err, want)
		}
	}
	f("", "give a command: create or show")
	f("delete x", `unknown command "delete": use create or show`)
	f("create --from now-1h", "--template is required")
	f("create --template t", `--from is required (for example --from now-1h, or --from "last 1h")`)
	f("create --template t --from now-1h extra", `unexpected argument "extra"`)
	f("create --template t --from now-1h --param nameonly", `invalid value "nameonly" for flag -param: "nameonly" is not name=value (see logmart links create -h)`)
	f("create --template t --from now-1h --param a=1 --param a=2 --server http://127.0.0.1:1", "--param a is given twice")
	f("create --template t --from now-1h --server localhost:8080", `--server "localhost:8080" is not a server URL such as http://127.0.0.1:8080`)
	f("create --template t --from now-1h --timeout 0s", "--timeout must be positive, got 0s")
	f("create --template t --from now-1h --timeout soon", `invalid value "soon" for flag -timeout: parse error (see logmart links create -h)`)
	f("show x --server ftp://h", `--server "ftp://h" is not a server URL such as http://127.0.0.1:8080`)
	f("show", "give one link id (or its /s/<id> URL): logmart links show <id>")
	f("show a b", "give one link id (or its /s/<id> URL): logmart links show <id>")
}

// TestLinksCreateShow runs the binary against a real server: create pins
// a relative range as absolute times and prints the Markdown line; show
// prints the same pinned request; errors are one line.
func TestLinksCreateShow(t *testing.T) {
	base := startServerInRepo(t)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(binPath, args...)
		cmd.Env = append(os.Environ(), "LOGMART_TOKEN=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("links", "create", "--server", base, "--template", "log_search", "--param", "limit=5",
		"--from", "last 1h", "--title", "CLI [test]", "--note", "from the test", "--snapshot")
	if err != nil {
		t.Fatalf("links create: %v\n%s", err, out)
	}
	id := regexp.MustCompile(`(?m)^id\s+([a-z2-7]{32})$`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("links create printed no id:\n%s", out)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^pinned\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, template log_search v\d+$`),
		regexp.MustCompile(`(?m)^params\s+\{"limit":5\}$`),
		regexp.MustCompile(`(?m)^snapshot\s+\d+ rows frozen at `),
		regexp.MustCompile(`(?m)^markdown\s+\[CLI \\\[test\\\] \(log_search v\d+, .* UTC\)\]\(` + regexp.QuoteMeta(base) + `/s/` + id[1] + `\)$`),
	} {
		if !want.MatchString(out) {
			t.Fatalf("links create output lacks %s:\n%s", want, out)
		}
	}
	shown, err := run("links", "show", base+"/s/"+id[1], "--server", base)
	if err != nil {
		t.Fatalf("links show: %v\n%s", err, shown)
	}
	if shown != out {
		t.Fatalf("links show prints\n%s\nlinks create printed\n%s", shown, out)
	}
	f := func(want string, args ...string) {
		t.Helper()
		out, err := run(args...)
		if err == nil || strings.Count(strings.TrimSpace(out), "\n") > 0 || !strings.Contains(out, want) {
			t.Fatalf("logmart %s: %v\n%s\nwant one line with %q", strings.Join(args, " "), err, out, want)
		}
	}
	// Every value goes as text; the server types it with the template, so a
	// list is pinned as a list and a number as a number.
	listed, err := run("links", "create", "--server", base, "--template", "log_search", "--param", "services=checkout, billing",
		"--param", "limit=20", "--param", "level=error", "--from", "now-1h")
	if err != nil {
		t.Fatalf("links create with a list: %v\n%s", err, listed)
	}
	if want := regexp.MustCompile(`(?m)^params\s+\{"level":"error","limit":20,"services":\["checkout","billing"\]\}$`); !want.MatchString(listed) {
		t.Fatalf("links create output lacks %s:\n%s", want, listed)
	}
	f(`no shared link "`+strings.Repeat("a", 32)+`"`, "links", "show", "--server", base, strings.Repeat("a", 32))
	f(`no template "nope"`, "links", "create", "--server", base, "--template", "nope", "--from", "now-1h")
	f(`param "limit": "x" is not an int`, "links", "create", "--server", base, "--template", "log_search", "--param", "limit=x", "--from", "now-1h")
	f(`param "services": item 0 is longer than 64 bytes (got 65)`, "links", "create", "--server", base, "--template", "log_search", "--param", "services="+strings.Repeat("s", 65), "--from", "now-1h")
	f(`from: "yesterday" is not a time`, "links", "create", "--server", base, "--template", "log_search", "--from", "yesterday")
	f(`from: "now-307445735m": "307445735m" is longer than ten years`, "links", "create", "--server", base, "--template", "log_search", "--from", "now-307445735m")
}

// startServerInRepo runs `logmart serve` from the repository root, where
// the shipped templates are (configs/templates), and returns its base URL.
func startServerInRepo(t *testing.T, extra ...string) string {
	t.Helper()
	return "http://" + startRepoServer(t, extra...).http
}

// startRepoServer is startServerInRepo returning the process, for its
// Kafka address too.
func startRepoServer(t *testing.T, extra ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	httpAddr, kafkaAddr := freePort(t), freePort(t)
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, append([]string{"serve", "--data", filepath.Join(dir, "data"), "--http-addr", httpAddr, "--kafka-addr", kafkaAddr}, extra...)...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	srv := &proc{cmd: cmd, http: httpAddr, kafka: kafkaAddr, logf: logf}
	t.Cleanup(srv.stop)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return srv
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("server did not become ready:\n%s", b)
	return nil
}
