package server

import (
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/alerts"
	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/query"
)

var pathParam = regexp.MustCompile(`:(\w+)`)

// TestOpenAPIMatchesRoutes: every route the server registers is documented,
// and every documented path is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openapiSpec, &doc); err != nil {
		t.Fatal(err)
	}
	routes, err := ingest.NewRoutes("")
	if err != nil {
		t.Fatal(err)
	}
	runner := query.NewRunner(testStore, nil)
	s := New(Default(), Deps{SQL: runner, Logs: runner, Overview: query.NewOverviewReader(runner, 0), Streams: routes,
		Links: query.NewLinks(testStore, nil, query.LinkOptions{}), Templates: query.NewCatalog(query.DefaultConfig(), runner, nil),
		Promotions: dashboards.NewPromotionLog(testStore, nil),
		Reload:     reloads{}, Dashboards: dashboards.New(dashboards.DefaultConfig(), testStore, nil, nil), Statements: query.NewStatements(testStore),
		Archive: archive.NewCatalog(testStore), Rehydrate: ingest.NewRehydrateJobs(nil), Searches: query.NewSearches(testStore),
		Alerts: alerts.New(alerts.DefaultConfig(), testStore, alerts.Library(t.TempDir(), testStore, nil, nil), nil, nil,
			alerts.NewOutbox(testStore, nil, alerts.DefaultConfig().Outbox, nil, nil), "test", nil),
		Budgets: budgets.NewBook(testStore, budgets.Library(t.TempDir(), testStore, nil, nil), nil)}, nil)
	served := map[string]bool{}
	for _, r := range s.e.Routes() {
		if strings.HasSuffix(r.Path, "*") || strings.HasPrefix(r.Method, "echo_") {
			continue
		}
		path := pathParam.ReplaceAllString(r.Path, "{$1}") // echo's :id is OpenAPI's {id}
		key := strings.ToLower(r.Method) + " " + path
		served[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, r.Path)
		}
	}
	for path, methods := range doc.Paths {
		for m := range methods {
			if !served[m+" "+path] {
				t.Errorf("openapi.yaml documents %s %s, which is not served", m, path)
			}
		}
	}
}
