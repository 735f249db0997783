package server

import (
	"context"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// partitions stands in for a running Ingester's partitions.
type partitions []ingest.PartitionHealth

func (p partitions) Health() []ingest.PartitionHealth { return p }

// TestOverviewAnswer: the overview keeps the shape the UI reads (the logs'
// figures from query, the partitions from ingest), and its reads are in
// query_log under the caller and the source the UI names.
func TestOverviewAnswer(t *testing.T) {
	audit := query.NewAudit(testStore, nil)
	runner := query.NewRunner(testStore, audit)
	cfg := Default()
	cfg.Tokens = []TokenConfig{{Name: "ovid", Role: RoleViewer, Token: viewerTok}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	health := partitions{{Topic: "logs", Partition: 2, Records: 7, LastWrite: "2026-01-01T00:00:00Z"}}
	ts := httptest.NewServer(New(cfg, Deps{Overview: query.NewOverviewReader(runner, 0), Ingest: health}, nil).Handler())
	t.Cleanup(ts.Close)

	code, out := request(t, ts, "GET", "/api/v1/overview?minutes=5", "", "Authorization: Bearer "+viewerTok, "X-Logmart-Source: ui")
	if code != 200 {
		t.Fatalf("overview: %d %v", code, out)
	}
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if got, want := keys(out), []string{"generated_at", "ingest", "levels", "rate", "scoped", "services", "streams", "tables", "totals"}; !slices.Equal(got, want) {
		t.Errorf("overview keys %v, want %v", got, want)
	}
	if got, want := keys(out["totals"].(map[string]any)), []string{"bytes_on_disk", "rows", "rows_last_minute", "services"}; !slices.Equal(got, want) {
		t.Errorf("totals keys %v, want %v", got, want)
	}
	parts, _ := out["ingest"].([]any)
	if len(parts) != 1 || parts[0].(map[string]any)["topic"] != "logs" || parts[0].(map[string]any)["records"] != float64(7) {
		t.Errorf("ingest %v, want the one partition", out["ingest"])
	}
	audit.Close()

	res, err := testStore.Query(context.Background(), store.Query{SQL: "SELECT DISTINCT template FROM query_log WHERE user = 'ovid' AND source = 'ui' ORDER BY template"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, r[0].(string))
	}
	if want := []string{"overview.disk", "overview.levels", "overview.rate", "overview.services", "overview.streams", "overview.tables", "overview.totals"}; !slices.Equal(got, want) {
		t.Errorf("query_log has the overview's reads as %v, want %v", got, want)
	}

	// Without an ingester the table is empty, not null.
	ts2 := httptest.NewServer(New(Default(), Deps{Overview: query.NewOverviewReader(runner, 0)}, nil).Handler())
	t.Cleanup(ts2.Close)
	if code, out := request(t, ts2, "GET", "/api/v1/overview", ""); code != 200 || out["ingest"] == nil {
		t.Errorf("overview without an ingester: %d, ingest %v", code, out["ingest"])
	}
}

// TestOverviewScopedToken: before, a token scoped to one stream was shown
// every table's size on disk and this replica's partitions, which count
// every stream's records.
func TestOverviewScopedToken(t *testing.T) {
	runner := query.NewRunner(testStore, nil)
	cfg := Default()
	cfg.Tokens = []TokenConfig{{Name: "ov-scoped", Role: RoleViewer, Token: viewerTok, Scopes: map[string]string{"logs": "stream = 'payments'"}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	health := partitions{{Topic: "logs", Partition: 2, Records: 7, LastWrite: "2026-01-01T00:00:00Z"}}
	ts := httptest.NewServer(New(cfg, Deps{Overview: query.NewOverviewReader(runner, 0), Ingest: health}, nil).Handler())
	t.Cleanup(ts.Close)
	code, out := request(t, ts, "GET", "/api/v1/overview?minutes=5", "", "Authorization: Bearer "+viewerTok)
	if code != 200 {
		t.Fatalf("overview: %d %v", code, out)
	}
	if out["scoped"] != true {
		t.Errorf("scoped %v, want true", out["scoped"])
	}
	if parts, _ := out["ingest"].([]any); len(parts) != 0 {
		t.Errorf("ingest %v, want no partitions for a scoped token", out["ingest"])
	}
	if b := out["totals"].(map[string]any)["bytes_on_disk"]; b != float64(0) {
		t.Errorf("bytes_on_disk %v, want 0 for a scoped token", b)
	}
}
