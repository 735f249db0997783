package ingest

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestIngestPrometheusAndOpenMetrics sends metrics records through the
// whole path (embedded Kafka, the Ingester, chDB). Before the parser of
// decode_prom.go: the sample without a final newline was a dead letter, the
// OpenMetrics timestamps landed in 1970, and the gauge histogram's buckets
// were dropped.
func TestIngestPrometheusAndOpenMetrics(t *testing.T) {
	st := newStore(t)
	_, opts := newKafka(t)
	sec := time.Now().Add(-time.Hour).Unix()
	om := fmt.Sprintf("# TYPE q gaugehistogram\nq_bucket{le=\"1.0\"} 2 %[1]d\nq_bucket{le=\"+Inf\"} 3 %[1]d\nq_gcount 3 %[1]d\nq_gsum 2.5 %[1]d\n"+
		"# TYPE c counter\nc_total 7 %[1]d.25 # {trace_id=\"abc\"} 1\n# EOF\n", sec)
	produce(t, opts, []*kgo.Record{
		{Topic: "metrics", Value: []byte(`up{job="api"} 1`)},
		{Topic: "metrics", Value: []byte(om)},
		{Topic: "metrics", Value: []byte(fmt.Sprintf("single 5 %d", sec)),
			Headers: []kgo.RecordHeader{{Key: HeaderFormat, Value: []byte("openmetrics")}}},
		{Topic: "metrics", Value: []byte("broken{ 1")},
	})
	stop := runIngester(t, testConfig("gm"), st, opts, nil)
	defer stop()
	waitCount(t, st, "SELECT count() FROM metrics", 7)
	waitCount(t, st, "SELECT count() FROM dead_letters WHERE kafka_topic = 'metrics'", 1)
	f := func(sql string, want int) {
		t.Helper()
		if got := count(t, st, sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	f("SELECT count() FROM metrics WHERE name = 'up' AND labels['job'] = 'api' AND abs(dateDiff('second', timestamp, now())) < 600", 1)
	f("SELECT count() FROM metrics WHERE name = 'q_bucket' AND labels['le'] IN ('1', '+Inf')", 2)
	f(fmt.Sprintf("SELECT count() FROM metrics WHERE name IN ('q_bucket', 'q_gcount', 'q_gsum', 'single') AND toUnixTimestamp64Milli(timestamp) = %d", sec*1000), 5)
	f(fmt.Sprintf("SELECT count() FROM metrics WHERE name = 'c_total' AND value = 7 AND toUnixTimestamp64Milli(timestamp) = %d", sec*1000+250), 1)
	f("SELECT count() FROM metrics WHERE name IN ('q_sum', 'q_count', 'c_created')", 0)
}
