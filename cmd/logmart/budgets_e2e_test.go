package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/archive"
)

// TestBudgetsStopAndArchiveOnly: a stop budget and an archive-only budget
// do exactly what they say once exceeded, counted exactly by outcome, and
// records outside their scopes are untouched. Archive-only records are in
// the archive; dropped ones are not.
func TestBudgetsStopAndArchiveOnly(t *testing.T) {
	dir := t.TempDir()
	bdir := filepath.Join(dir, "budgets")
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"edge.yaml":     "id: edge_stop\nowner: sre\nscope: stream == \"edge\"\ncapacity: 50 events\nperiod: daily\naction: stop\n",
		"payments.yaml": "id: payments_archive\nowner: payments\nscope: stream == \"payments\"\ncapacity: 30 events\nperiod: daily\naction: archive-only\n",
		"all.yaml":      "id: everything\nowner: finance\nscope: \"true\"\ncapacity: 1GiB\nperiod: daily\naction: keep\n",
	} {
		if err := os.WriteFile(filepath.Join(bdir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := filepath.Abs("../..")
	cfg := fmt.Sprintf("templates: {dir: %s/configs/templates}\ndashboards: {dir: %s/configs/dashboards}\npipeline: {enabled: false}\nalerts: {enabled: false}\nbudgets: {dir: %s, sync_every: 500ms}\n", root, root, bdir)
	cfgPath := filepath.Join(dir, "logmart.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	s := startServer(t, data, freePort(t), freePort(t), "--config", cfgPath)
	defer s.stop()

	cl, err := kgo.NewClient(kgo.SeedBrokers(s.kafka))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for _, stream := range []string{"edge", "payments", "other"} {
		for i := range 100 {
			recs = append(recs, &kgo.Record{Topic: "logs", Headers: []kgo.RecordHeader{{Key: "logmart-stream", Value: []byte(stream)}},
				Value: fmt.Appendf(nil, `{"level":"info","service":"svc","message":"%s %d","id":"%s-%d"}`, stream, i, stream, i)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	count := func(q string) float64 { return s.sql(t, q)[0][0].(float64) }
	waitUntil(t, "the other stream's 100 rows", 60*time.Second, func() bool { return count("SELECT count() FROM logs WHERE stream = 'other'") == 100 })
	waitUntil(t, "the usage of 300 records", 30*time.Second, func() bool {
		return count("SELECT sum(events) FROM budget_usage WHERE budget = 'everything'") == 300
	})
	rows := map[string]float64{}
	for _, r := range s.sql(t, "SELECT stream, count() FROM logs GROUP BY stream") {
		rows[r[0].(string)] = r[1].(float64)
	}
	if rows["edge"] != 50 || rows["payments"] != 30 || rows["other"] != 100 {
		t.Fatalf("rows by stream %v, want edge 50 (stop at 50), payments 30 (archive-only at 30), other 100", rows)
	}
	usage := map[string]float64{}
	for _, r := range s.sql(t, "SELECT budget || ' ' || outcome, sum(events) FROM budget_usage GROUP BY 1") {
		usage[r[0].(string)] = r[1].(float64)
	}
	want := map[string]float64{"edge_stop stored": 50, "edge_stop dropped": 50, "payments_archive stored": 30, "payments_archive archive-only": 70,
		"everything stored": 180, "everything dropped": 50, "everything archive-only": 70}
	if fmt.Sprint(usage) != fmt.Sprint(want) {
		t.Fatalf("usage %v\nwant  %v", usage, want)
	}
	// The API and the CLI show it.
	out, err := exec.Command(binPath, "budgets", "status", "--server", "http://"+s.http, "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var st struct {
		Budgets []struct {
			ID          string   `json:"id"`
			State       string   `json:"state"`
			Usage       float64  `json:"usage"`
			Dropped     float64  `json:"dropped"`
			ArchiveOnly float64  `json:"archive_only"`
			Unit        string   `json:"unit"`
			Overlaps    []string `json:"overlaps"`
		} `json:"budgets"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := map[string]string{}
	for _, b := range st.Budgets {
		got[b.ID] = fmt.Sprintf("%s %g %s dropped %g archive-only %g", b.State, b.Usage, b.Unit, b.Dropped, b.ArchiveOnly)
		if want := map[string]string{"everything": "[edge_stop payments_archive]", "edge_stop": "[everything]", "payments_archive": "[everything]"}[b.ID]; fmt.Sprint(b.Overlaps) != want {
			t.Errorf("budget %s overlaps %v, want %s", b.ID, b.Overlaps, want)
		}
	}
	if got["edge_stop"] != "exceeded 100 events dropped 50 archive-only 0" || got["payments_archive"] != "exceeded 100 events dropped 0 archive-only 70" ||
		!strings.HasPrefix(got["everything"], "ok ") {
		t.Fatalf("budgets status %v", got)
	}
	// A reset starts the stop budget over: edge records are stored again.
	if out, err := exec.Command(binPath, "budgets", "reset", "--server", "http://"+s.http, "edge_stop").CombinedOutput(); err == nil || !strings.Contains(string(out), "reason is required") {
		t.Fatalf("reset without a reason: %v %s", err, out)
	}
	if out, err := exec.Command(binPath, "budgets", "reset", "--server", "http://"+s.http, "--reason", "backfill of incident 4711", "edge_stop").CombinedOutput(); err != nil {
		t.Fatalf("reset: %v %s", err, out)
	}
	time.Sleep(1500 * time.Millisecond) // one sync
	var more []*kgo.Record
	for i := range 10 {
		more = append(more, &kgo.Record{Topic: "logs", Headers: []kgo.RecordHeader{{Key: "logmart-stream", Value: []byte("edge")}},
			Value: fmt.Appendf(nil, `{"level":"info","service":"svc","message":"after reset %d"}`, i)})
	}
	if err := cl.ProduceSync(ctx, more...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "edge rows after the reset", 30*time.Second, func() bool { return count("SELECT count() FROM logs WHERE stream = 'edge'") == 60 })

	// The archive holds every payments record and only the edge records
	// that were stored.
	tg, err := archive.OpenFolder(filepath.Join(data, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the archive", 30*time.Second, func() bool {
		objs, _ := tg.List(context.Background(), "")
		n := 0
		for _, o := range objs {
			_ = archive.Scan(context.Background(), tg, o.Key, func(archive.Line) error { n++; return nil })
		}
		return n >= 260
	})
	archived := map[string]int{}
	objs, _ := tg.List(context.Background(), "")
	for _, o := range objs {
		if err := archive.Scan(context.Background(), tg, o.Key, func(l archive.Line) error { archived[l.Stream]++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if archived["payments"] != 100 || archived["edge"] != 60 || archived["other"] != 100 {
		t.Fatalf("archived by stream %v, want payments 100, edge 60 (50, then 10 after the reset), other 100", archived)
	}

	// A rehydrate brings the 70 archive-only payments records back, and
	// skips the 30 already stored.
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	cmd := exec.Command(binPath, "archive", "rehydrate", "--server", "http://"+s.http, "--stream", "payments", "--from", from, "--to", to, "--json")
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rehydrate: %v %s", err, out)
	}
	var job struct {
		Progress struct {
			Records       int `json:"records"`
			Stored        int `json:"rows_stored"`
			AlreadyStored int `json:"already_stored"`
		} `json:"progress"`
	}
	if err := json.Unmarshal(out, &job); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if p := job.Progress; p.Records != 70 || p.Stored != 70 || p.AlreadyStored != 30 {
		t.Fatalf("rehydrate of payments: %+v, want 70 records rehydrated and stored, 30 already stored\n%s", p, out)
	}
	if n := count("SELECT count() FROM logs WHERE stream = 'payments'"); n != 100 {
		t.Fatalf("payments rows after the rehydrate: %g, want 100", n)
	}
	if n := count("SELECT count() FROM logs WHERE stream = 'payments' AND rehydrate_job != ''"); n != 70 {
		t.Fatalf("rehydrated payments rows: %g, want the 70 the budget kept out", n)
	}
}
