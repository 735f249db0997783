package demo

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// ScrapeInterval is how often, in simulated time, every service exposes its
// metrics on the metrics topic: Prometheus' common 10s scrape interval.
const ScrapeInterval = 10 * time.Second

var (
	statusCodes = [...]int{200, 201, 204, 304, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504}
	// latencyBuckets are the upper bounds, in seconds, of Prometheus'
	// default histogram buckets.
	latencyBuckets = [...]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	bucketLabels   = [...]string{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"}
)

// serviceMetrics is what one service's /metrics endpoint would expose. The
// request counters count exactly the requests its log lines report.
type serviceMetrics struct {
	codes      [len(statusCodes)]uint64
	buckets    [len(latencyBuckets)]uint64 // per bucket, not cumulative
	count      uint64
	sumSeconds float64

	cpuSeconds float64
	rssBytes   float64
	baseRSS    float64
	goroutines int // threads, goroutines or handles, by runtime
}

// concurrencyGauges is the HELP and TYPE lines and the name of the gauge
// each runtime's client library exposes for its units of concurrency.
var concurrencyGauges = map[string]string{
	"go":   "# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines",
	"java": "# HELP jvm_threads_live_threads The current number of live threads.\n# TYPE jvm_threads_live_threads gauge\njvm_threads_live_threads",
	"node": "# HELP nodejs_active_handles_total Number of active libuv handles.\n# TYPE nodejs_active_handles_total gauge\nnodejs_active_handles_total",
}

func newServiceMetrics(r *rand.Rand) serviceMetrics {
	rss := float64((80 + r.IntN(900)) << 20)
	return serviceMetrics{
		cpuSeconds: float64(r.IntN(50000)),
		rssBytes:   rss,
		baseRSS:    rss,
		goroutines: 50 + r.IntN(400),
	}
}

func (m *serviceMetrics) observe(o logOutcome) {
	if !o.http {
		return
	}
	for i, c := range statusCodes {
		if c == o.status {
			m.codes[i]++
			break
		}
	}
	s := float64(o.latencyMs) / 1000
	m.count++
	m.sumSeconds += s
	for i, le := range latencyBuckets {
		if s <= le {
			m.buckets[i]++
			break
		}
	}
}

// appendScrape advances the process gauges by one scrape interval and
// appends the service's exposition in the Prometheus text format, every
// sample stamped with now.
func (m *serviceMetrics) appendScrape(dst []byte, r *rand.Rand, s *service, instance string, now time.Time, incident bool) []byte {
	m.cpuSeconds += ScrapeInterval.Seconds() * (0.1 + 1.4*r.Float64())
	drift := 0.98 + 0.04*r.Float64()
	if incident {
		drift = 1.03 + 0.05*r.Float64() // leaking while it fails
	}
	m.rssBytes = min(max(m.rssBytes*drift, m.baseRSS*0.7), m.baseRSS*3)
	m.goroutines = max(10, m.goroutines+r.IntN(41)-20)
	if incident {
		m.goroutines += 50 + r.IntN(200)
	}
	ts := strconv.AppendInt(nil, now.UnixMilli(), 10)

	svc := `service="` + s.name + `"`
	dst = append(dst, "# HELP http_requests_total Requests handled, by status code.\n# TYPE http_requests_total counter\n"...)
	for i, c := range statusCodes {
		if m.codes[i] == 0 && c != 200 {
			continue
		}
		dst = append(dst, "http_requests_total{"+svc+`,code="`...)
		dst = strconv.AppendInt(dst, int64(c), 10)
		dst = append(dst, `"} `...)
		dst = strconv.AppendUint(dst, m.codes[i], 10)
		dst = append(dst, ' ')
		dst = append(dst, ts...)
		dst = append(dst, '\n')
	}

	dst = append(dst, "# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram\n"...)
	var cum uint64
	for i, le := range bucketLabels {
		cum += m.buckets[i]
		dst = append(dst, "http_request_duration_seconds_bucket{"+svc+`,le="`+le+`"} `...)
		dst = strconv.AppendUint(dst, cum, 10)
		dst = append(dst, ' ')
		dst = append(dst, ts...)
		dst = append(dst, '\n')
	}
	dst = append(dst, "http_request_duration_seconds_bucket{"+svc+`,le="+Inf"} `...)
	dst = strconv.AppendUint(dst, m.count, 10)
	dst = append(dst, ' ')
	dst = append(dst, ts...)
	dst = append(dst, "\nhttp_request_duration_seconds_sum{"+svc+"} "...)
	dst = strconv.AppendFloat(dst, m.sumSeconds, 'f', 3, 64)
	dst = append(dst, ' ')
	dst = append(dst, ts...)
	dst = append(dst, "\nhttp_request_duration_seconds_count{"+svc+"} "...)
	dst = strconv.AppendUint(dst, m.count, 10)
	dst = append(dst, ' ')
	dst = append(dst, ts...)
	dst = append(dst, '\n')

	inst := svc + `,instance="` + instance + `"`
	dst = append(dst, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes{"+inst+"} "...)
	dst = strconv.AppendFloat(dst, float64(int64(m.rssBytes)), 'g', -1, 64)
	dst = append(dst, ' ')
	dst = append(dst, ts...)
	dst = append(dst, "\n# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total{"+inst+"} "...)
	dst = strconv.AppendFloat(dst, m.cpuSeconds, 'f', 2, 64)
	dst = append(dst, ' ')
	dst = append(dst, ts...)
	dst = append(dst, '\n')
	dst = append(dst, concurrencyGauges[s.lang]...)
	dst = append(dst, "{"+inst+"} "...)
	dst = strconv.AppendInt(dst, int64(m.goroutines), 10)
	dst = append(dst, ' ')
	dst = append(dst, ts...)
	dst = append(dst, '\n')
	return dst
}
