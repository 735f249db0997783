package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
)

// TestCloudTrailTemplatesFindIngestedRecords sends CloudTrail records, as
// AWS delivers them, through the events topic (embedded Kafka, the
// Ingester, chDB) and runs the shipped CloudTrail templates over what
// landed: each finds its record. The scripts of query/templatetest pin what
// the templates answer; this pins that they answer it on ingested data.
func TestCloudTrailTemplatesFindIngestedRecords(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	now := time.Now().UTC()
	var recs []*kgo.Record
	for _, r := range cloudTrailRecords(now.Add(-time.Hour).Format(time.RFC3339)) {
		recs = append(recs, &kgo.Record{Topic: "events", Value: []byte(r)})
	}
	produce(t, opts, recs)
	stop := runIngester(t, testConfig("gct"), st, opts, nil)
	defer stop()
	waitCount(t, st, "SELECT count() FROM events", len(recs))

	cfg := query.DefaultConfig()
	cfg.Dir = "../configs/templates"
	cfg.CacheTTL = 0
	c := query.NewCatalog(cfg, query.NewRunner(st, nil), nil)
	ctx := context.Background()
	if err := c.Load(ctx); err != nil {
		t.Fatalf("the shipped templates do not load:\n%v", err)
	}
	who := query.Caller{User: "test", Role: "viewer", Source: "api"}
	f := func(template string, want ...string) {
		t.Helper()
		run, err := c.Run(ctx, who, query.TemplateRequest{Template: template, From: now.Add(-2 * time.Hour), To: now.Add(time.Minute)}, store.Settings{})
		if err != nil {
			t.Fatalf("%s: %v", template, err)
		}
		if len(run.Result.Rows) != 1 {
			t.Fatalf("%s: %d rows, want 1: %v", template, len(run.Result.Rows), run.Result.Rows)
		}
		row := run.Result.Rows[0]
		for i, w := range want {
			if w == "*" {
				continue
			}
			if got := fmt.Sprint(row[i]); got != w {
				t.Errorf("%s: column %d (%s) = %q, want %q; row %v", template, i, run.Result.Columns[i].Name, got, w, row)
			}
		}
	}
	f("cloudtrail_root_activity", "*", "111122223333", "signin.amazonaws.com", "ConsoleLogin", "198.51.100.7", "Failure", "No")
	f("cloudtrail_failed_console_logins", "198.51.100.7", "1", "0", "root")
	f("cloudtrail_open_security_groups", "*", "111122223333", "eu-west-1", "AuthorizeSecurityGroupIngress",
		"arn:aws:sts::111122223333:assumed-role/Admin/alice", "198.51.100.7", "sg-0a1b2c3d4e5f60001", "tcp 22-22")
	f("cloudtrail_access_denied", "arn:aws:iam::444455556666:user/bob", "IAMUser", "1", "1", "ec2:DescribeInstances", "203.0.113.9")
}
