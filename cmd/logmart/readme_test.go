package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Issue 13: the README's kcat example produced a line and then read the
// five newest rows, which under `make run` are the demo's, so the line just
// sent never showed. This runs the README's own record and statement
// against a server with demo traffic.
func TestReadmeKcatExampleShowsTheLine(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^echo '(.*)' \| kcat -P -b 127\.0\.0\.1:9092 -t (\w+)\n(?:sleep \d+\n)?\./bin/logmart sql (?:--header )?"(.*)"$`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatal("README.md has no kcat example of the expected shape (echo … | kcat …, then ./bin/logmart sql \"…\")")
	}
	record, topic, stmt := m[1], m[2], m[3]

	srv := startRepoServer(t, "--demo")
	base := "http://" + srv.http
	cl, err := kgo.NewClient(kgo.SeedBrokers(srv.kafka))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Let the demo fill the newest rows first.
	time.Sleep(2 * time.Second)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(record)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		cmd := exec.Command(binPath, "sql", "--server", base, stmt)
		cmd.Env = append(os.Environ(), "LOGMART_TOKEN=", "LOGMART_SERVER=")
		if out, err = cmd.CombinedOutput(); err != nil {
			t.Fatalf("logmart sql: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "hello from kcat") {
			return
		}
	}
	t.Fatalf("the README's statement did not show the line it sent:\n%s", out)
}
