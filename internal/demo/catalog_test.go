package demo_test

import (
	"strings"
	"testing"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/internal/demo"
)

// TestStreamFollowsShippedRules holds demo.Stream to configs/streams.yaml:
// data sets written straight into the store put each service's rows in the
// stream ingest would route its lines to.
func TestStreamFollowsShippedRules(t *testing.T) {
	rules, err := ingest.LoadStreams("../../configs/streams.yaml")
	if err != nil {
		t.Fatal(err)
	}
	region := demo.Regions()[0]
	for _, s := range demo.Services() {
		hosts := demo.Hosts(s, region)
		if len(hosts) < 2 || !strings.HasPrefix(hosts[0], s+"-") || !strings.HasSuffix(hosts[0], "."+region) {
			t.Fatalf("%s: hosts %v", s, hosts)
		}
		env := &ingest.RouteEnv{Topic: "logs", Service: s, Host: hosts[0], Level: "info", Attrs: map[string]string{"region": region}}
		if got, want := demo.Stream(s), rules.Route(env).Name; got != want {
			t.Errorf("demo.Stream(%q) = %q; configs/streams.yaml routes it to %q", s, got, want)
		}
	}
	audit := &ingest.RouteEnv{Topic: "events", Type: "audit", Service: demo.AuditService, Tenant: demo.Tenants()[0]}
	if got, want := demo.Stream(demo.AuditService), rules.Route(audit).Name; got != want {
		t.Errorf("audit events: demo.Stream(%q) = %q; configs/streams.yaml routes them to %q", demo.AuditService, got, want)
	}
	if demo.Stream("nope") != "" || demo.Hosts("nope", region) != nil || demo.Hosts(demo.Services()[0], "mars-1") != nil {
		t.Fatal("unknown names must give nothing")
	}
}
