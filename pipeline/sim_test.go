package pipeline_test

import (
	"fmt"
	"hash/fnv"
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
		log := newChangelog()
		p := pipeline.NewProcessor(cfg)
		var newest int64
		flush := func() {
			for _, f := range p.Flush() {
				latest[f.ID] = f
			}
			log.take(t, p)
		}
		for i, r := range recs {
			newest = max(newest, p.Process(r.Topic, 0, int64(i), r.Value))
			if i%100 == 99 {
				p.Advance(newest)
				flush()
			}
			if every > 0 && i%every == every-1 {
				p = log.restore(t, cfg)
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

// TestPartitionBehindIsNotLate delivers one of two partitions half an hour
// of event time behind the other, as a consumer catching up on a backlog
// sees it, and tells the Processor which partition is behind, as the
// runner does from the consumer lag. The backlog's events are not late,
// and the facts equal the truth with no more versions than an in-order
// run. Without the partition's own time the same delivery counts its
// events late and emits facts that later events correct.
func TestPartitionBehindIsNotLate(t *testing.T) {
	recs, truth := demo.SimulateContactCenter(demo.ContactCenterConfig{
		Seed: 13, Agents: 12, Calls: 1500, MeanGap: 20 * time.Second, Jitter: time.Second,
		Chats: 100, Emails: 40, Outbound: 60,
	})
	const lag = int64(30 * time.Minute / time.Millisecond)
	partOf := func(r demo.ContactCenterRecord) int32 {
		h := fnv.New32a()
		h.Write(r.Key)
		return int32(h.Sum32() % 2)
	}
	var fast, slow []demo.ContactCenterRecord
	for _, r := range recs {
		if partOf(r) == 0 {
			fast = append(fast, r)
		} else {
			slow = append(slow, r)
		}
	}
	if len(fast) == 0 || len(slow) == 0 {
		t.Fatal("the records do not spread over two partitions")
	}
	type delivered struct {
		r      demo.ContactCenterRecord
		part   int32
		offset int64
	}
	// deliver puts the slow partition's records lag of event time behind
	// the fast one's.
	deliver := func(lag int64) []delivered {
		var order []delivered
		var off [2]int64
		put := func(r demo.ContactCenterRecord, part int32) {
			order = append(order, delivered{r, part, off[part]})
			off[part]++
		}
		j := 0
		for _, r := range fast {
			for j < len(slow) && slow[j].Time <= r.Time-lag {
				put(slow[j], 1)
				j++
			}
			put(r, 0)
		}
		for ; j < len(slow); j++ {
			put(slow[j], 1)
		}
		return order
	}
	order := deliver(lag)
	byTable := map[string]int{}
	// run delivers the records in order, telling the Processor about the
	// slow partition's backlog when tell is set; every restoreEvery records
	// (0: never) it starts again from the changelog, as after a crash.
	run := func(name string, order []delivered, tell bool, restoreEvery int) (map[string]pipeline.Fact, int, pipeline.Stats) {
		cfg := pipeline.DefaultConfig()
		p := pipeline.NewProcessor(cfg)
		latest := map[string]pipeline.Fact{}
		log := newChangelog()
		emitted := 0
		var newest int64
		slowLeft := len(slow)
		flush := func() {
			for _, f := range p.Flush() {
				latest[f.ID] = f
				emitted++
				byTable[name+" "+f.Table]++
			}
			log.take(t, p)
		}
		for i, d := range order {
			if d.part == 1 {
				slowLeft--
			}
			if tell && i%200 == 0 {
				// The consumer's lag on the slow partition: it has a
				// backlog until its last record is delivered.
				for _, topic := range pipeline.InputTopics() {
					p.Behind(topic, 1, slowLeft > 0)
				}
			}
			newest = max(newest, p.Process(d.r.Topic, d.part, d.offset, d.r.Value))
			if i%200 == 199 {
				p.Advance(newest)
				flush()
			}
			if restoreEvery > 0 && i%restoreEvery == restoreEvery-1 {
				p = log.restore(t, cfg)
				if tell {
					for _, topic := range pipeline.InputTopics() {
						p.Behind(topic, 1, slowLeft > 0)
					}
				}
				p.Advance(newest)
			}
		}
		p.CaughtUp()
		p.Advance(truth.End + int64(10*time.Minute/time.Millisecond))
		flush()
		return latest, emitted, p.Stats()
	}
	check := func(name string, latest map[string]pipeline.Fact) {
		facts := make([]pipeline.Fact, 0, len(latest))
		for _, f := range latest {
			facts = append(facts, f)
		}
		if d := truth.Diff(facts); len(d) > 0 {
			t.Errorf("%s: facts differ from the truth:\n%s", name, strings.Join(d[:min(len(d), 20)], "\n"))
		}
	}
	inOrder := make([]delivered, len(recs))
	for i, r := range recs {
		inOrder[i] = delivered{r, partOf(r), int64(i)}
	}
	want, wantEmitted, wantStats := run("inorder", inOrder, false, 0)
	check("in order", want)
	got, gotEmitted, gotStats := run("behind", order, true, 0)
	check("one partition behind", got)
	restored, _, _ := run("restored", order, true, 1000)
	check("one partition behind, restored from the changelog every 1000 records", restored)
	// Further behind than the retention: an agent on the fast partition
	// hands after-call work to calls whose events have not arrived, and
	// folds its own record of it away before they do; the changelog keeps
	// it across restores all the same.
	far, _, _ := run("far", deliver(3*lag), true, 1000)
	check("one partition 90 minutes behind, restored from the changelog every 1000 records", far)
	_, blindEmitted, blindStats := run("blind", order, false, 0)
	t.Logf("fact versions emitted: in order %d, one partition behind %d, the same without its own time %d (by run and table: %v); late events %d, %d, %d",
		wantEmitted, gotEmitted, blindEmitted, byTable, wantStats.Late, gotStats.Late, blindStats.Late)
	if gotStats.Late > wantStats.Late {
		t.Errorf("%d events counted late with the partition behind, %d in order", gotStats.Late, wantStats.Late)
	}
	if blindStats.Late <= wantStats.Late {
		t.Errorf("without the partition's own time %d events were late, in order %d: the delivery does not test the backlog", blindStats.Late, wantStats.Late)
	}
	// An agent's facts come from its own partition only: none goes out
	// before its events. An interaction's row may be emitted again when an
	// agent on the partition behind hands it after-call work half an hour
	// later; still fewer versions than without the partition's own time.
	for _, table := range []string{pipeline.TableAgentStates, pipeline.TableSessions} {
		if got, want := byTable["behind "+table], byTable["inorder "+table]; got > want {
			t.Errorf("%s: %d versions with the partition behind, %d in order: facts went out before their events", table, got, want)
		}
	}
	if gotEmitted >= blindEmitted {
		t.Errorf("%d fact versions with the partition's own time, %d without", gotEmitted, blindEmitted)
	}

}

// changelog is what the runner commits as a test keeps it: the compacted
// changelog (the latest snapshot of each key, nil for an entity that left
// state) and the after-call work handed over (gsp-acw, the latest of each
// interaction and agent).
type changelog struct {
	state map[string][]byte
	acw   map[[2]string]pipeline.Handoff
}

func newChangelog() *changelog {
	return &changelog{state: map[string][]byte{}, acw: map[[2]string]pipeline.Handoff{}}
}

// take adds the changes p made since the last call.
func (c *changelog) take(t *testing.T, p *pipeline.Processor) {
	t.Helper()
	changes, err := p.TakeChanges()
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range changes {
		c.state[string(ch.Key)] = ch.Value
	}
	for _, h := range p.TakeHandoffs() {
		c.acw[[2]string{h.Tenant + "\x00" + h.Interaction, h.Agent}] = h
	}
}

// restore returns a Processor restored from the changelog, as the runner
// restores one after a crash.
func (c *changelog) restore(t *testing.T, cfg pipeline.Config) *pipeline.Processor {
	t.Helper()
	p := pipeline.NewProcessor(cfg)
	for k, v := range c.state {
		if err := p.Restore([]byte(k), v); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range c.acw {
		p.ApplyHandoff(h)
	}
	return p
}
