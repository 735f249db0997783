package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/logmart/logmart/pipeline"
)

// TestPipelineStatus: a server with a pipeline answers its runner's status;
// one without answers enabled false, not an error.
func TestPipelineStatus(t *testing.T) {
	get := func(d Deps) map[string]any {
		t.Helper()
		ts := httptest.NewServer(New(Default(), d, nil).Handler())
		defer ts.Close()
		res, err := http.Get(ts.URL + "/api/v1/pipeline/status")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return body
	}
	if b := get(Deps{}); b["enabled"] != false || b["running"] != false {
		t.Errorf("without a pipeline: %v", b)
	}
	cfg := pipeline.DefaultConfig()
	cfg.Group = "status-test"
	if b := get(Deps{Pipeline: pipeline.NewRunner(cfg, nil, nil)}); b["enabled"] != true || b["group"] != "status-test" || b["running"] != false {
		t.Errorf("with a pipeline not started: %v", b)
	}
}
