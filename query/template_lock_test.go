package query

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Issue 13, defect 5: `templates lint` passed a template whose SQL changed
// without a version bump, and the server then refused it at start. The lock
// of spec hashes catches it in CI, and changes only with Update.
func TestCheckLock(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmpl := func(version int, sql string) string {
		return "id: probe\nversion: " + strconv.Itoa(version) + "\ntitle: Probe\nvisualization: table\nsql: " + sql + "\n"
	}
	check := func(update bool, wantErr string) bool {
		t.Helper()
		changed, err := CheckLock(dir, LockOptions{Update: update})
		if wantErr == "" && err != nil || wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Fatalf("update=%t: %v, want %q", update, err, wantErr)
		}
		return changed
	}
	lock := filepath.Join(dir, LockFileName)

	write("probe.yaml", tmpl(1, "SELECT 1 AS one"))
	check(false, "no template lock "+lock+": run logmart templates lint --update-lock")
	if !check(true, "") {
		t.Fatal("the first update wrote nothing")
	}
	if check(false, "") || check(true, "") {
		t.Fatal("an unchanged set changed the lock")
	}

	// The SQL changes, the version does not: the bug.
	write("probe.yaml", tmpl(1, "SELECT 2 AS one"))
	check(false, "probe.yaml:2: template probe version 1 changed without a version bump (its sql or params differ from the hash in "+lock+"); set version: 2")
	// The bump is a new version, which the lock lacks until it is added.
	write("probe.yaml", tmpl(2, "SELECT 2 AS one"))
	check(false, "probe.yaml:2: template probe version 2 is not in "+lock+"; run logmart templates lint --update-lock")
	check(true, "")
	check(false, "")
	b, _ := os.ReadFile(lock)
	if !strings.Contains(string(b), "\nprobe 1 sha256:") || !strings.Contains(string(b), "\nprobe 2 sha256:") {
		t.Fatalf("the lock keeps version 1 after its file moved on, and adds 2:\n%s", b)
	}
	// Version 1 comes back with other SQL: still caught, though no file had
	// it when the lock last changed.
	write("probe_v1.yaml", tmpl(1, "SELECT 3 AS one"))
	check(false, "probe_v1.yaml:2: template probe version 1 changed without a version bump")
	os.Remove(filepath.Join(dir, "probe_v1.yaml"))

	// An unreleased version may be rewritten on purpose.
	write("probe.yaml", tmpl(2, "SELECT 4 AS one"))
	if !check(true, "") {
		t.Fatal("update did not rewrite a changed hash")
	}
	check(false, "")

	write(LockFileName, "probe one sha256:abc\n")
	check(false, LockFileName+`:1: want "id version sha256:<64 hex digits>", got "probe one sha256:abc"`)
}

// The shipped templates match the shipped lock, as `make test` checks with
// `logmart templates lint`.
func TestShippedTemplatesMatchLock(t *testing.T) {
	if _, err := CheckLock("../configs/templates", LockOptions{}); err != nil {
		t.Fatal(err)
	}
}
