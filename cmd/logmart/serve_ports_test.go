package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 13: with the Kafka port taken, serve first created a new
// ClickHouse folder under --data, started the engine and applied the
// schema, and only then failed on the port. The port is checked first now,
// and nothing is created.
func TestServeKafkaPortInUseCreatesNothing(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(binPath, "serve", "--data", data, "--http-addr", freePort(t), "--kafka-addr", taken.Addr().String())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("serve did not fail: %v\n%s", err, out)
	}
	if want := "the address is already in use"; !strings.Contains(string(out), want) {
		t.Fatalf("output does not say %q:\n%s", want, out)
	}
	if _, err := os.Stat(filepath.Join(data, "clickhouse")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serve created %s before it found the port taken (%v)", filepath.Join(data, "clickhouse"), err)
	}
}
