package templatetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main(m, "templatetest", nil)
}

// TestInsertDemoFollowsTheDemoWorld: the rows InsertDemo writes name the
// demo's services, in the streams the shipped rules give them, on the
// demo's hosts, for the demo's tenants, in the promised numbers.
func TestInsertDemoFollowsTheDemoWorld(t *testing.T) {
	ctx := context.Background()
	st := storetest.Database(t)
	end := time.Now().UTC().Truncate(time.Minute)
	if err := InsertDemo(ctx, st, end); err != nil {
		t.Fatal(err)
	}
	rows := func(sql string) [][]any {
		t.Helper()
		r, err := st.Query(ctx, store.Query{SQL: sql})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return r.Rows
	}
	for table, want := range map[string]int{"logs": LogRows, "events": EventRows + CloudTrailRows + len(demo.Services()), "metrics": MetricRows, "dead_letters": DeadLetterRows, "query_log": QueryLogRows} {
		if got := fmt.Sprint(rows("SELECT count() FROM " + table)[0][0]); got != fmt.Sprint(want) {
			t.Errorf("%s: %s rows, want %d", table, got, want)
		}
	}

	region := demo.Regions()[0]
	seen := map[string]bool{}
	for _, r := range rows("SELECT service, stream, groupUniqArray(host), groupUniqArray(attributes['region']), countIf(level = 'error') FROM logs GROUP BY service, stream") {
		svc := r[0].(string)
		seen[svc] = true
		if want := demo.Stream(svc); r[1] != want {
			t.Errorf("%s: stream %v, want %q", svc, r[1], want)
		}
		pods := demo.Hosts(svc, region)
		for _, h := range r[2].([]any) {
			if !slices.Contains(pods, h.(string)) {
				t.Errorf("%s: host %v is not one of the demo's %v", svc, h, pods)
			}
		}
		if fmt.Sprint(r[3]) != fmt.Sprint([]any{region}) {
			t.Errorf("%s: regions %v, want [%s]", svc, r[3], region)
		}
		if fmt.Sprint(r[4]) == "0" {
			t.Errorf("%s: no error lines", svc)
		}
	}
	for _, svc := range demo.Services() {
		if !seen[svc] {
			t.Errorf("no log lines of %s", svc)
		}
	}

	ev := rows("SELECT groupUniqArray(service), groupUniqArray(stream), groupUniqArray(tenant) FROM events WHERE type = 'audit'")[0]
	if fmt.Sprint(ev[0]) != fmt.Sprint([]any{demo.AuditService}) || fmt.Sprint(ev[1]) != fmt.Sprint([]any{demo.Stream(demo.AuditService)}) {
		t.Errorf("events: services %v, streams %v", ev[0], ev[1])
	}
	for _, tenant := range ev[2].([]any) {
		if !slices.Contains(demo.Tenants(), tenant.(string)) {
			t.Errorf("events: tenant %v is not the demo's", tenant)
		}
	}
	for _, r := range rows("SELECT DISTINCT attributes['recipientAccountId'] FROM events WHERE attributes['eventVersion'] != ''") {
		if !slices.Contains(demo.CloudTrailAccounts(), r[0].(string)) {
			t.Errorf("CloudTrail rows: account %v is not the demo's", r[0])
		}
	}
	if n := len(rows("SELECT DISTINCT labels['service'] FROM metrics WHERE name = 'http_requests_total'")); n != len(demo.Services()) {
		t.Errorf("http_requests_total for %d services, want %d", n, len(demo.Services()))
	}

	// The contact center: most of its calls ended within the hour, and
	// one agent of twelve is not configured.
	cc := rows("SELECT countIf(`end` IS NOT NULL), uniqExact(first_queue) FROM interaction_facts_latest")[0]
	if n, _ := strconv.Atoi(fmt.Sprint(cc[0])); n < ContactCenterCalls*8/10 || n > ContactCenterCalls {
		t.Errorf("%v ended interactions, want most of %d", n, ContactCenterCalls)
	}
	if fmt.Sprint(cc[1]) != "2" {
		t.Errorf("%v queues, want sales and support", cc[1])
	}
	agents := rows("SELECT uniqExact(agent_id), uniqExactIf(agent_id, startsWith(agent_key, 'unknown:')), groupUniqArray(state) FROM agent_state_facts_latest")[0]
	if fmt.Sprint(agents[0], " ", agents[1]) != "12 1" || len(agents[2].([]any)) != 4 {
		t.Errorf("agents %v, unconfigured %v, states %v; want 12, 1 and all four states", agents[0], agents[1], agents[2])
	}
}
