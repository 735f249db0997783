package pipeline

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// records reads the records a scenario sends, in order, with their topics.
func scenarioRecords(t *testing.T, name string) (topics []string, recs [][]byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/scenarios/" + name)
	if err != nil {
		t.Fatal(err)
	}
	topic := ""
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "send "):
			topic = strings.TrimPrefix(l, "send ")
		case strings.HasPrefix(l, "{") && topic != "" && strings.HasSuffix(l, "}"):
			topics, recs = append(topics, topic), append(recs, []byte(l))
		case !strings.HasPrefix(l, "{") && !strings.HasPrefix(l, "#"):
			if l != "" {
				topic = ""
			}
		}
	}
	if len(recs) == 0 {
		t.Fatalf("%s sends no one-line records", name)
	}
	return topics, recs
}

// TestRestoreFromChangelogAtEveryRecord stops the processor after every
// record, restores a new one from the changelog records it wrote, and
// finishes there: the facts (highest version of each id) and their
// versions equal those of a run that never stopped.
func TestRestoreFromChangelogAtEveryRecord(t *testing.T) {
	for _, name := range []string{"voice_consult.test", "agent_acw.test", "late_correction.test", "unknown_agent.test", "agent_two_dns.test"} {
		topics, recs := scenarioRecords(t, name)
		cfg := DefaultConfig()
		cfg.AllowedLateness = 0
		run := func(p *Processor, from, to int, latest map[string]Fact, changelog map[string][]byte) {
			for i := from; i < to; i++ {
				newest := p.Process(topics[i], 0, int64(i), recs[i])
				p.Advance(newest)
				for _, f := range p.Flush() {
					if prev, ok := latest[f.ID]; ok && prev.Version >= f.Version {
						t.Fatalf("%s: record %d: fact %s version %d after %d", name, i, f.ID, f.Version, prev.Version)
					}
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
		}
		want := map[string]Fact{}
		run(NewProcessor(cfg), 0, len(recs), want, map[string][]byte{})
		for cut := 1; cut < len(recs); cut++ {
			got, changelog := map[string]Fact{}, map[string][]byte{}
			first := NewProcessor(cfg)
			run(first, 0, cut, got, changelog)
			second := NewProcessor(cfg)
			// The configuration topic is read whole by every replica.
			for i := 0; i < cut; i++ {
				if topics[i] == TopicConfig {
					second.Process(topics[i], 0, int64(i), recs[i])
				}
			}
			for k, v := range changelog {
				if err := second.Restore([]byte(k), v); err != nil {
					t.Fatal(err)
				}
			}
			second.Advance(first.Watermark())
			run(second, cut, len(recs), got, changelog)
			if a, b := factsText(want), factsText(got); a != b {
				t.Errorf("%s: restored after record %d:\n%s\nwant:\n%s", name, cut, b, a)
			}
		}
	}
}

func factsText(m map[string]Fact) string {
	var lines []string
	for _, f := range m {
		lines = append(lines, fmt.Sprintf("%s %s v%d %+v", f.Table, f.ID, f.Version, f.Row))
	}
	sortStrings(lines)
	return strings.Join(lines, "\n")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
