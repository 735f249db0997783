package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/pipeline"
)

// TestPipelineSurvivesKill9 runs `logmart pipeline run` against an
// embedded Kafka over TCP while a simulated contact center (calls, chats,
// emails and campaign calls, out of order, partly late, with duplicates
// and malformed records) streams in, and kills it with SIGKILL ten times
// at random moments. After a last start
// the fact topics, read as ClickHouse keeps them (the highest version of
// each fact), equal the simulator's truth row for row, and no fact
// version was produced twice.
func TestPipelineSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	kc := kafka.Default()
	kc.Listen = "127.0.0.1:0"
	kc.DataDir = filepath.Join(dir, "kafka")
	kc.Topics = append(pipeline.InputTopics(), "gsp-ixn", "gsp-sm", "gsp-cfg", "gsp-dead", "gsp-state")
	emb, err := kafka.StartEmbedded(kc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	opts, err := kafka.ClientOpts(emb.Config())
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "logmart.yaml")
	if err := os.WriteFile(cfgFile, []byte("pipeline:\n  idle_advance: 1s\n  load: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, truth := demo.SimulateContactCenter(demo.ContactCenterConfig{
		Seed: 3, Agents: 8, Calls: 500, MeanGap: 20 * time.Second,
		Jitter: 2 * time.Second, LateShare: 0.01, LateBy: 3 * time.Minute, DuplicateShare: 0.02, MalformedShare: 0.005,
		Chats: 40, Emails: 20, Outbound: 30,
	})

	// The records stream in over the kills (about ten seconds, as long as
	// the kills take), so replicas are killed while consuming new input,
	// not only while catching up.
	prod, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	produced := make(chan error, 1)
	go func() {
		for i, r := range recs {
			if err := prod.ProduceSync(context.Background(), &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value}).FirstErr(); err != nil {
				produced <- err
				return
			}
			if i%50 == 0 {
				time.Sleep(time.Duration(10_000/max(len(recs)/50, 1)) * time.Millisecond)
			}
		}
		produced <- nil
	}()

	start := func() *exec.Cmd {
		cmd := exec.Command(binPath, "pipeline", "run", "--config", cfgFile, "--kafka-brokers", emb.Addr(), "--instance", "e2e")
		logf, err := os.OpenFile(filepath.Join(dir, "pipeline.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		cmd := start()
		time.Sleep(time.Duration(300+r.IntN(1500)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	cmd := start()
	defer func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }()

	// Read the fact topics until they agree with the truth, or give up.
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts...), kgo.ConsumeTopics("gsp-ixn", "gsp-sm"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	latest := map[string]pipeline.Fact{}
	seen := map[string]bool{}
	var dups []string
	deadline := time.Now().Add(3 * time.Minute)
	var diff []string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(rec *kgo.Record) {
			f, err := pipeline.DecodeFact(rec)
			if err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprintf("%s %s v%d", f.Table, f.ID, f.Version)
			if seen[key] {
				dups = append(dups, key)
			}
			seen[key] = true
			if prev, ok := latest[f.ID]; !ok || f.Version > prev.Version {
				latest[f.ID] = f
			}
		})
		facts := make([]pipeline.Fact, 0, len(latest))
		for _, f := range latest {
			facts = append(facts, f)
		}
		if diff = truth.Diff(facts); len(diff) == 0 {
			break
		}
	}
	if len(dups) > 0 {
		t.Errorf("fact versions produced twice: %v", dups[:min(len(dups), 10)])
	}
	if len(diff) > 0 {
		log, _ := os.ReadFile(filepath.Join(dir, "pipeline.log"))
		t.Errorf("after 10 SIGKILLs the facts differ from the truth (%d lines):\n%s\nlog tail:\n%s", len(diff),
			strings.Join(diff[:min(len(diff), 20)], "\n"), tail(string(log), 3000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
