package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// oneTemplate is a template engine with a single template, "numbers" v3,
// whose int parameter n must be a number.
type oneTemplate struct{}

func (oneTemplate) check(req query.TemplateRequest) (query.TemplateRef, error) {
	if req.Template != "numbers" {
		return query.TemplateRef{}, fault.New(fault.NotFound, "no template %q", req.Template)
	}
	if _, ok := req.Params["n"].(interface{ Int64() (int64, error) }); !ok {
		return query.TemplateRef{}, fault.New(fault.BadInput, "param \"n\": must be a whole number")
	}
	return query.TemplateRef{Template: "numbers", Version: 3, Visualization: "table", Values: map[string]any{"n": req.Params["n"]}}, nil
}

func (o oneTemplate) CheckTemplate(_ context.Context, req query.TemplateRequest) (query.TemplateRef, error) {
	return o.check(req)
}

func (o oneTemplate) RunTemplate(ctx context.Context, _ query.Caller, req query.TemplateRequest, s store.Settings) (*query.TemplateResult, error) {
	ref, err := o.check(req)
	if err != nil {
		return nil, err
	}
	sql := "SELECT number FROM numbers({n:UInt32})"
	res, err := testStore.Query(ctx, store.Query{SQL: sql, Params: map[string]string{"n": req.Params["n"].(interface{ String() string }).String()}, Settings: s})
	if err != nil {
		return nil, err
	}
	return &query.TemplateResult{TemplateRef: ref, SQL: sql, Result: res}, nil
}

func TestLinksAPI(t *testing.T) {
	cfg := Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := New(cfg, Deps{Links: query.NewLinks(testStore, oneTemplate{}, query.LinkOptions{})}, nil)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	code, body := call(t, ts, "POST", "/api/v1/links", "", `{"template":"numbers","params":{"n":3},"from":"now-1h","to":"now","title":"three","snapshot":true}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, body)
	}
	id, _ := body["id"].(string)
	if len(id) != 32 || body["url"] != "/s/"+id || body["version"] != float64(3) || body["hot"] != "complete" {
		t.Fatalf("create answered %v", body)
	}
	if md, _ := body["markdown"].(string); !strings.HasPrefix(md, "[three (numbers v3, ") || !strings.HasSuffix(md, " UTC)]("+ts.URL+"/s/"+id+")") {
		t.Fatalf("markdown = %q", md)
	}
	snap, _ := body["snapshot"].(map[string]any)
	if rows, _ := snap["rows"].([]any); len(rows) != 3 {
		t.Fatalf("snapshot = %v", body["snapshot"])
	}

	code, got := call(t, ts, "GET", "/api/v1/links/"+id, "", "")
	if code != 200 || got["from"] != body["from"] || got["to"] != body["to"] || got["template"] != "numbers" {
		t.Fatalf("get: %d %v, created %v", code, got, body)
	}
	code, run := call(t, ts, "POST", "/api/v1/links/"+id+"/run", "", "")
	if code != 200 || run["visualization"] != "table" || run["sql"] == "" {
		t.Fatalf("run: %d %v", code, run)
	}
	if rows, _ := run["rows"].([]any); len(rows) != 3 {
		t.Fatalf("run rows = %v", run["rows"])
	}
	if tm, _ := run["template"].(map[string]any); tm["id"] != "numbers" || tm["version"] != float64(3) {
		t.Fatalf("run template = %v", run["template"])
	}

	f := func(method, path, reqBody string, wantCode int, want string) {
		t.Helper()
		code, body := call(t, ts, method, path, "", reqBody)
		if msg, _ := body["error"].(string); code != wantCode || !strings.Contains(msg, want) {
			t.Fatalf("%s %s %s: %d %v, want %d with %q", method, path, reqBody, code, body, wantCode, want)
		}
	}
	f("GET", "/api/v1/links/"+strings.Repeat("a", 32), "", 404, "no shared link")
	f("GET", "/api/v1/links/..%2F..%2Fetc", "", 404, "no shared link")
	f("GET", "/api/v1/links/x'%20OR%201=1", "", 404, "no shared link")
	f("POST", "/api/v1/links/nope/run", "", 404, "no shared link")
	f("POST", "/api/v1/links", `{"template":"numbers","params":{"n":"x"},"from":"last 1h"}`, 400, `param "n"`)
	f("POST", "/api/v1/links", `{"template":"numbers","params":{"n":1},"from":"last 1h","colour":"red"}`, 400, `unknown field "colour"`)
	f("POST", "/api/v1/links", `{"template":"numbers","params":[1],"from":"last 1h"}`, 400, "params must be a JSON object")
	f("POST", "/api/v1/links", `{"template":"numbers","params":{"n":1},"from":"yesterday"}`, 400, `from: "yesterday"`)
	f("POST", "/api/v1/links", `{"template":"other","params":{"n":1},"from":"last 1h"}`, 404, `no template "other"`)
	f("POST", "/api/v1/links", `{"template":"numbers","version":-1,"params":{"n":1},"from":"last 1h"}`, 400, `field "version"`)
}

// Issue 10, item 8: any viewer could create links without end, each
// freezing megabytes. Over a caller's rate the answer is 429 with
// Retry-After; a snapshot over links.max_snapshot_bytes is 422 naming both
// sizes.
func TestLinksAPILimits(t *testing.T) {
	cfg := Default()
	cfg.Tokens = []TokenConfig{
		{Name: "limits-vic", Role: RoleViewer, Token: viewerTok},
		{Name: "limits-eddie", Role: RoleEditor, Token: editorTok},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	lc := query.DefaultLinkConfig()
	lc.RatePerMinute, lc.MaxSnapshotBytes = 2, 1024
	s := New(cfg, Deps{Links: query.NewLinks(testStore, oneTemplate{}, query.LinkOptions{Config: &lc})}, nil)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	code, body := call(t, ts, "POST", "/api/v1/links", viewerTok, `{"template":"numbers","params":{"n":500},"from":"last 1h","snapshot":true}`)
	msg, _ := body["error"].(string)
	if code != 422 || !strings.Contains(msg, "more than links.max_snapshot_bytes allows (1.0 KiB, 1024 bytes)") {
		t.Fatalf("a snapshot over the cap: %d %v", code, body)
	}
	// The refused snapshot ran a query, so it took one of the two places.
	if code, body := call(t, ts, "POST", "/api/v1/links", viewerTok, `{"template":"numbers","params":{"n":2},"from":"last 1h","snapshot":true}`); code != 201 {
		t.Fatalf("a small snapshot: %d %v", code, body)
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/links", strings.NewReader(`{"template":"numbers","params":{"n":2},"from":"last 1h"}`))
	req.Header.Set("Authorization", "Bearer "+viewerTok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != 429 || !strings.Contains(out["error"], `"limits-vic" may create at most 2 links a minute (links.rate_per_minute); try again in `) {
		t.Fatalf("over the rate: %d %v", resp.StatusCode, out)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	// The rate is per token.
	if code, body := call(t, ts, "POST", "/api/v1/links", editorTok, `{"template":"numbers","params":{"n":2},"from":"last 1h"}`); code != 201 {
		t.Fatalf("another token: %d %v", code, body)
	}
}
