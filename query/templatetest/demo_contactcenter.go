package templatetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/pipeline"
	"github.com/logmart/logmart/store"
)

// ContactCenterCalls is the number of calls insertContactCenter simulates.
const ContactCenterCalls = 110

// insertContactCenter writes the pipeline's facts of a simulated contact
// center over [start, end) into the four fact tables: 12 agents (the last
// one not configured, so its facts carry a placeholder key) taking
// ContactCenterCalls calls to the sales and support queues, from the
// demo's simulator (internal/demo) through the real pipeline
// (pipeline.Processor), as far as end: facts still open then stay open.
// Each fact version's loaded time is a second after the event that made
// it, before end.
func insertContactCenter(ctx context.Context, st store.Store, start, end time.Time) error {
	recs, _ := demo.SimulateContactCenter(demo.ContactCenterConfig{
		Seed: 1, Start: start, Agents: 12, Calls: ContactCenterCalls, MeanGap: 30 * time.Second,
		FirstCallAfter: 30 * time.Second, Configure: true, Unconfigured: 1,
	})
	p := pipeline.NewProcessor(pipeline.DefaultConfig())
	latest := map[string]pipeline.Fact{}
	endMs := end.UnixMilli()
	for i, r := range recs {
		if r.Time >= endMs {
			continue
		}
		p.Process(r.Topic, 0, int64(i), r.Value)
	}
	p.Advance(endMs)
	for _, f := range p.Flush() {
		latest[f.Table+"/"+f.ID] = f
	}
	rows := map[string]*bytes.Buffer{}
	for _, f := range latest {
		b, err := json.Marshal(f.Row)
		if err != nil {
			return fmt.Errorf("cannot encode a %s fact: %w", f.Table, err)
		}
		var at struct{ Start, End pipeline.Millis }
		_ = json.Unmarshal(b, &at) // every fact row has start and end
		loaded := max(int64(at.Start), int64(at.End)) + 1000
		loaded = min(loaded, endMs-1)
		buf := rows[f.Table]
		if buf == nil {
			buf = &bytes.Buffer{}
			rows[f.Table] = buf
		}
		buf.Write(b[:len(b)-1])
		fmt.Fprintf(buf, ",\"loaded\":%q}\n", pipeline.Millis(loaded).String())
	}
	for _, table := range []string{pipeline.TableInteractions, pipeline.TableResources, pipeline.TableAgentStates, pipeline.TableSessions} {
		buf := rows[table]
		if buf == nil {
			return fmt.Errorf("the simulated contact center made no %s", table)
		}
		sql := "INSERT INTO " + table + " SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n" + buf.String()
		if err := st.Exec(ctx, store.Query{SQL: sql}); err != nil {
			return fmt.Errorf("cannot insert demo data (%s): %w", table, err)
		}
	}
	return nil
}
