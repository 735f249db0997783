package pipeline_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/pipeline"
)

// TestSimulatorTruth runs a simulated contact center (calls, chats,
// emails and campaign calls), delivered out of order, partly late, with duplicates and malformed records, through the
// Processor in batches as the runner would, and compares every fact with
// the truth the simulator recorded, row by row.
func TestSimulatorTruth(t *testing.T) {
	recs, truth := demo.SimulateContactCenter(demo.ContactCenterConfig{
		Seed: 7, Agents: 12, Calls: 1500, MeanGap: 20 * time.Second,
		Jitter: 2 * time.Second, LateShare: 0.01, LateBy: 3 * time.Minute,
		DuplicateShare: 0.02, MalformedShare: 0.003, Chats: 150, Emails: 60, Outbound: 100,
	})
	kinds := map[string]int{}
	for _, f := range truth.Interactions {
		kinds[f.Media+" "+f.Direction]++
	}
	if kinds["chat inbound"] == 0 || kinds["email inbound"] == 0 || kinds["voice outbound"] == 0 || kinds["voice inbound"] == 0 {
		t.Fatalf("the simulation lacks a kind of interaction: %v", kinds)
	}
	t.Logf("interactions: %v", kinds)
	cfg := pipeline.DefaultConfig()
	cfg.AllowedLateness = 2 * time.Second
	p := pipeline.NewProcessor(cfg)
	latest := map[string]pipeline.Fact{}
	flush := func() {
		for _, f := range p.Flush() {
			latest[f.ID] = f
		}
	}
	var newest int64
	for i, r := range recs {
		newest = max(newest, p.Process(r.Topic, 0, int64(i), r.Value))
		if i%200 == 199 {
			p.Advance(newest)
			flush()
		}
	}
	p.Advance(truth.End + int64(10*time.Minute/time.Millisecond))
	flush()
	dead := p.DeadLetters()
	if len(dead) != truth.Malformed {
		for _, d := range dead {
			t.Logf("dead letter: %s %s", d.Reason, d.Error)
		}
		t.Errorf("%d dead letters, want the %d malformed records", len(dead), truth.Malformed)
	}
	facts := make([]pipeline.Fact, 0, len(latest))
	for _, f := range latest {
		facts = append(facts, f)
	}
	if d := truth.Diff(facts); len(d) > 0 {
		if len(d) > 20 {
			d = append(d[:20], fmt.Sprintf("... %d more", len(d)-20))
		}
		t.Errorf("facts differ from the truth:\n%s", strings.Join(d, "\n"))
	}
}

// TestSimulatorTruthAcrossRestores stops the processor every 2500 records,
// as a crash would, and goes on with a new one restored from the
// changelog records written so far: the facts equal an uninterrupted run's.
func TestSimulatorTruthAcrossRestores(t *testing.T) {
	recs, truth := demo.SimulateContactCenter(demo.ContactCenterConfig{
		Seed: 11, Agents: 10, Calls: 2000, MeanGap: 10 * time.Second, Jitter: time.Second, DuplicateShare: 0.01,
	})
	run := func(every int) map[string]pipeline.Fact {
		cfg := pipeline.DefaultConfig()
		latest := map[string]pipeline.Fact{}
		changelog := map[string][]byte{}
		p := pipeline.NewProcessor(cfg)
		var newest int64
		flush := func() {
			for _, f := range p.Flush() {
				latest[f.ID] = f
			}
			changes, err := p.TakeChanges()
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range changes {
				changelog[string(c.Key)] = c.Value
			}
		}
		for i, r := range recs {
			newest = max(newest, p.Process(r.Topic, 0, int64(i), r.Value))
			if i%100 == 99 {
				p.Advance(newest)
				flush()
			}
			if every > 0 && i%every == every-1 {
				p = pipeline.NewProcessor(cfg)
				for k, v := range changelog {
					if err := p.Restore([]byte(k), v); err != nil {
						t.Fatal(err)
					}
				}
				p.Advance(newest)
			}
		}
		p.Advance(truth.End + int64(10*time.Minute/time.Millisecond))
		flush()
		return latest
	}
	want, got := run(0), run(2500)
	if len(want) == 0 {
		t.Fatal("no facts")
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok || fmt.Sprint(g.Row) != fmt.Sprint(w.Row) {
			t.Errorf("fact %s:\n got %+v\nwant %+v", id, g.Row, w.Row)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d facts after restores, %d without", len(got), len(want))
	}
}

// TestLiveContactCenterShift runs one shift of the demo's contact center
// (configured agents and queues, chats, emails and campaign calls) through
// the Processor: its facts equal the truth and no agent or queue is left
// unknown, so the demo does not raise the unknown-persons alert.
func TestLiveContactCenterShift(t *testing.T) {
	c := demo.LiveContactCenter()
	c.Seed, c.CallPrefix = 5, "call-1-1-"
	recs, truth := demo.SimulateContactCenter(c)
	p := pipeline.NewProcessor(pipeline.DefaultConfig())
	latest := map[string]pipeline.Fact{}
	var newest int64
	for i, r := range recs {
		newest = max(newest, p.Process(r.Topic, 0, int64(i), r.Value))
	}
	p.Advance(max(newest, truth.End) + int64(10*time.Minute/time.Millisecond))
	for _, f := range p.Flush() {
		latest[f.ID] = f
	}
	facts := make([]pipeline.Fact, 0, len(latest))
	media := map[string]int{}
	for _, f := range latest {
		facts = append(facts, f)
		if r, ok := f.Row.(pipeline.InteractionFact); ok {
			media[r.Media+" "+r.Direction]++
		}
	}
	if media["chat inbound"] == 0 || media["email inbound"] == 0 || media["voice outbound"] == 0 {
		t.Errorf("interactions of the shift: %v, want chats, emails and campaign calls too", media)
	}
	if d := truth.Diff(facts); len(d) > 0 {
		t.Errorf("facts differ from the truth:\n%s", strings.Join(d[:min(len(d), 20)], "\n"))
	}
	if u := p.UnknownObjects(); len(u) > 0 {
		t.Errorf("unknown configuration objects: %v", u)
	}
}
