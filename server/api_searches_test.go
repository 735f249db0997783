package server

import (
	"strings"
	"testing"
)

func TestSavedSearchesOverHTTP(t *testing.T) {
	ts := newTestServer(t, true)
	code, out := call(t, ts, "POST", "/api/v1/searches", viewerTok, `{"name":"5xx on checkout","page":"logs","state":"range=1h&service=checkout&attr.status=500"}`)
	if code != 201 || out["url"] != "/logs?range=1h&service=checkout&attr.status=500" || out["created_by"] != "vic" {
		t.Fatalf("save = %d %v", code, out)
	}
	id := out["id"].(string)
	code, out = call(t, ts, "GET", "/api/v1/searches?page=logs", editorTok, "")
	if code != 200 {
		t.Fatalf("list = %d %v", code, out)
	}
	found := false
	for _, s := range out["searches"].([]any) {
		found = found || s.(map[string]any)["id"] == id
	}
	if !found {
		t.Fatalf("another user does not see the saved search: %v", out)
	}
	if code, out = call(t, ts, "DELETE", "/api/v1/searches/"+id, editorTok, ""); code != 403 {
		t.Fatalf("another user's delete = %d %v, want 403", code, out)
	}
	if code, out = call(t, ts, "DELETE", "/api/v1/searches/"+id, viewerTok, ""); code != 204 {
		t.Fatalf("delete = %d %v", code, out)
	}
	if code, out = call(t, ts, "POST", "/api/v1/searches", viewerTok, `{"name":"x","page":"logs","extra":1}`); code != 400 || !strings.Contains(out["error"].(string), "extra") {
		t.Fatalf("unknown field = %d %v", code, out)
	}
	if code, out = call(t, ts, "POST", "/api/v1/searches", viewerTok, `{"name":"","page":"logs"}`); code != 400 || !strings.Contains(out["error"].(string), "name") {
		t.Fatalf("empty name = %d %v", code, out)
	}
}
