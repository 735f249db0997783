package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/query/templatetest"
)

// Regression: scopes failed open on tables they did not name. A token
// scoped on logs read every tenant's events and every service's metrics,
// and through query_log it saw other users' parameters, SQL and errors.
func TestScopesAreDefaultDenyAndAuditShowsOwnEntries(t *testing.T) {
	demoOnce.Do(func() { demoErr = templatetest.InsertDemo(context.Background(), testStore, demoEnd) })
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	audit := query.NewAudit(testStore, nil)
	qcfg := query.DefaultConfig()
	qcfg.Dir = shippedTemplates
	qcfg.CacheTTL = 0
	cat := query.NewCatalog(qcfg, query.NewRunner(testStore, audit), nil)
	if err := cat.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.Tokens = []TokenConfig{
		{Name: "ada", Role: RoleAdmin, Token: adminTok},
		{Name: "vic", Role: RoleViewer, Token: viewerTok},
		{Name: "logs-only", Role: RoleViewer, Token: "logs-only-token-0123456789", Scopes: map[string]string{"logs": "stream IN ('payments')"}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(cfg, Deps{Templates: cat}, nil).Handler())
	t.Cleanup(ts.Close)
	from, to := demoRange()
	run := func(token, template, params string) []any {
		t.Helper()
		body := fmt.Sprintf(`{"template":%q,"params":{%s},"from":%q,"to":%q}`, template, params, from, to)
		code, out := call(t, ts, "POST", "/api/v1/query", token, body)
		if code != 200 {
			t.Fatalf("%s: %d %v", template, code, out)
		}
		return out["rows"].([]any)
	}
	// The admin sees events; the logs-only token sees none of them.
	if rows := run(adminTok, "privileged_logins", ""); len(rows) == 0 {
		t.Fatal("the demo hour has no privileged logins to hide")
	}
	if rows := run("logs-only-token-0123456789", "privileged_logins", ""); len(rows) != 0 {
		t.Fatalf("a token scoped on logs read %d events rows", len(rows))
	}
	// Not even the metric names: the enum of metrics it may chart is empty.
	code, out := call(t, ts, "POST", "/api/v1/query", "logs-only-token-0123456789",
		fmt.Sprintf(`{"template":"metric_over_time","params":{"metric":"http_requests_total"},"from":%q,"to":%q}`, from, to))
	if code != 400 || out["error"] != `param "metric": "http_requests_total" is not one of the 0 allowed values` {
		t.Fatalf("a token scoped on logs asked for a metric: %d %v", code, out)
	}
	// Its logs are the scope's.
	for _, r := range run("logs-only-token-0123456789", "ingest_volume_by_stream", "") {
		if s := fmt.Sprint(r.([]any)[1]); s != "payments" {
			t.Fatalf("a token scoped on payments logs read stream %q: %v", s, r)
		}
	}

	// Failures by the admin are not the viewer's to read.
	code, _ = call(t, ts, "POST", "/api/v1/query", adminTok, `{"template":"metric_over_time","params":{"metric":"secret_admin_metric","step":"1s"}}`)
	if code != 400 {
		t.Fatalf("the admin's bad request answered %d", code)
	}
	code, _ = call(t, ts, "POST", "/api/v1/query", viewerTok, `{"template":"metric_over_time","params":{"metric":"vic_metric","step":"1s"}}`)
	if code != 400 {
		t.Fatalf("the viewer's bad request answered %d", code)
	}
	audit.Close()
	from, to = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	users := func(token string) map[string]bool {
		seen := map[string]bool{}
		for _, r := range run(token, "query_log_top_failing", "") {
			seen[fmt.Sprint(r.([]any)[2])] = true
		}
		return seen
	}
	if u := users(adminTok); !u["ada"] || !u["vic"] {
		t.Fatalf("the admin sees failures of %v, want ada's and vic's", u)
	}
	if u := users(viewerTok); !u["vic"] || len(u) != 1 {
		t.Fatalf("the viewer sees failures of %v, want only vic's own", u)
	}
	if u := users("logs-only-token-0123456789"); !u["logs-only"] || len(u) != 1 {
		t.Fatalf("the logs-only token sees failures of %v, want only its own", u)
	}
}
