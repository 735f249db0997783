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
// at random moments. After a last start the fact topics, read as
// ClickHouse keeps them (the highest version of each fact), equal the
// simulator's truth row for row, and no fact version was produced twice.
func TestPipelineSurvivesKill9(t *testing.T) {
	h := startPipelineHarness(t, "")
	r := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		cmd := h.start("e2e")
		time.Sleep(time.Duration(300+r.IntN(1500)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	h.produced()
	cmd := h.start("e2e")
	defer func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }()
	h.awaitTruth("after 10 SIGKILLs")
}

// TestPipelineTwoReplicas runs two `logmart pipeline run` replicas in one
// consumer group, so agents and their calls are on different replicas:
// the after-call work an agent's replica computes reaches the calls held
// by the other through the ACW topic, and the facts equal the truth.
// One replica is killed with SIGKILL halfway and started again.
//
// The retention is longer than the simulated day here: a call leaves state
// on its own replica's time, so after-call work from an agent on a replica
// more than the retention behind would come too late (pipeline/doc.go), and
// the two replicas share two cores with the rest of the tests.
func TestPipelineTwoReplicas(t *testing.T) {
	h := startPipelineHarness(t, "  retention: 6h\n")
	a, b := h.start("r1"), h.start("r2")
	time.Sleep(4 * time.Second)
	_ = b.Process.Signal(syscall.SIGKILL)
	_ = b.Wait()
	b = h.start("r2")
	defer func() {
		for _, c := range []*exec.Cmd{a, b} {
			_ = c.Process.Signal(syscall.SIGKILL)
			_ = c.Wait()
		}
	}()
	h.produced()
	h.awaitTruth("with two replicas")
}

// pipelineHarness is an embedded Kafka over TCP with a simulated contact
// center streaming into it over about ten seconds, and the replicas a
// test starts against it.
type pipelineHarness struct {
	t        *testing.T
	dir      string
	emb      *kafka.Embedded
	opts     []kgo.Opt
	cfgFile  string
	truth    demo.ContactCenterTruth
	producer chan error
}

// pipelineSettings are added to the replicas' pipeline settings.
func startPipelineHarness(t *testing.T, pipelineSettings string) *pipelineHarness {
	t.Helper()
	h := &pipelineHarness{t: t, dir: t.TempDir(), producer: make(chan error, 1)}
	kc := kafka.Default()
	kc.Listen = "127.0.0.1:0"
	kc.DataDir = filepath.Join(h.dir, "kafka")
	kc.Topics = append(pipeline.InputTopics(), "gsp-ixn", "gsp-sm", "gsp-cfg", "gsp-dead", "gsp-state", "gsp-acw")
	emb, err := kafka.StartEmbedded(kc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	h.emb = emb
	if h.opts, err = kafka.ClientOpts(emb.Config()); err != nil {
		t.Fatal(err)
	}
	h.cfgFile = filepath.Join(h.dir, "logmart.yaml")
	if err := os.WriteFile(h.cfgFile, []byte("pipeline:\n  idle_advance: 1s\n  load: false\n"+pipelineSettings), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, truth := demo.SimulateContactCenter(demo.ContactCenterConfig{
		Seed: 3, Agents: 8, Calls: 500, MeanGap: 20 * time.Second,
		Jitter: 2 * time.Second, LateShare: 0.01, LateBy: 3 * time.Minute, DuplicateShare: 0.02, MalformedShare: 0.005,
		Chats: 40, Emails: 20, Outbound: 30,
	})
	h.truth = truth
	// The records stream in over about ten seconds, so replicas are
	// killed while consuming new input, not only while catching up.
	prod, err := kgo.NewClient(h.opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	go func() {
		for i, r := range recs {
			if err := prod.ProduceSync(context.Background(), &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value}).FirstErr(); err != nil {
				h.producer <- err
				return
			}
			if i%50 == 0 {
				time.Sleep(time.Duration(10_000/max(len(recs)/50, 1)) * time.Millisecond)
			}
		}
		h.producer <- nil
	}()
	return h
}

// start starts a replica named instance; its output goes to pipeline.log.
func (h *pipelineHarness) start(instance string) *exec.Cmd {
	h.t.Helper()
	cmd := exec.Command(binPath, "pipeline", "run", "--config", h.cfgFile, "--kafka-brokers", h.emb.Addr(), "--instance", instance)
	logf, err := os.OpenFile(filepath.Join(h.dir, "pipeline.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		h.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	return cmd
}

// produced waits until every simulated record is produced.
func (h *pipelineHarness) produced() {
	h.t.Helper()
	if err := <-h.producer; err != nil {
		h.t.Fatal(err)
	}
}

// awaitTruth reads the fact topics until they agree with the truth, or
// gives up after three minutes; no fact version may be produced twice.
func (h *pipelineHarness) awaitTruth(what string) {
	t := h.t
	t.Helper()
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, h.opts...), kgo.ConsumeTopics("gsp-ixn", "gsp-sm"),
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
		if diff = h.truth.Diff(facts); len(diff) == 0 {
			break
		}
	}
	if len(dups) > 0 {
		t.Errorf("fact versions produced twice: %v", dups[:min(len(dups), 10)])
	}
	if len(diff) > 0 {
		log, _ := os.ReadFile(filepath.Join(h.dir, "pipeline.log"))
		t.Errorf("%s the facts differ from the truth (%d lines):\n%s\nlog tail:\n%s", what, len(diff),
			strings.Join(diff[:min(len(diff), 20)], "\n"), tail(string(log), 3000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
