package demo

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var testStart = time.Date(2025, 11, 21, 10, 0, 0, 0, time.UTC)

// logLine is a logs record as a decoder sees it. Pointers tell absent keys
// from zero values.
type logLine struct {
	Timestamp *string `json:"timestamp"`
	Level     *string `json:"level"`
	Service   *string `json:"service"`
	Host      *string `json:"host"`
	Region    *string `json:"region"`
	Message   *string `json:"message"`
	HTTP      *struct {
		Method    *string `json:"method"`
		Path      *string `json:"path"`
		Status    *int    `json:"status"`
		LatencyMs *int    `json:"latency_ms"`
	} `json:"http"`
	TraceID *string `json:"trace_id"`
	User    *string `json:"user"`
}

var eventKeys = []string{"timestamp", "type", "action", "actor", "source_ip", "service", "result", "tenant"}

// checkLogLine decodes one logs record and checks every key has the type and
// shape the package documents.
func checkLogLine(t testing.TB, v []byte) logLine {
	t.Helper()
	// DisallowUnknownFields makes any key beyond those of logLine an error.
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	var l logLine
	if err := dec.Decode(&l); err != nil {
		t.Fatalf("log line is not a JSON object with the documented keys: %v\n%s", err, v)
	}
	if l.Timestamp == nil || l.Level == nil || l.Service == nil || l.Host == nil || l.Region == nil || l.Message == nil || l.TraceID == nil {
		t.Fatalf("log line misses a required key: %s", v)
	}
	if _, err := time.Parse(time.RFC3339Nano, *l.Timestamp); err != nil {
		t.Fatalf("timestamp %q: %v", *l.Timestamp, err)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, *l.Level) {
		t.Fatalf("level %q", *l.Level)
	}
	if serviceIndex(*l.Service) < 0 {
		t.Fatalf("service %q", *l.Service)
	}
	if !strings.HasPrefix(*l.Host, *l.Service+"-") || !strings.HasSuffix(*l.Host, "."+*l.Region) {
		t.Fatalf("host %q does not name service %q and region %q", *l.Host, *l.Service, *l.Region)
	}
	if b, err := hex.DecodeString(*l.TraceID); err != nil || len(b) != 16 {
		t.Fatalf("trace_id %q is not 32 hex digits", *l.TraceID)
	}
	if *l.Message == "" {
		t.Fatalf("empty message: %s", v)
	}
	if h := l.HTTP; h != nil {
		if h.Method == nil || h.Path == nil || h.Status == nil || h.LatencyMs == nil {
			t.Fatalf("http misses a key: %s", v)
		}
		if *h.Status < 200 || *h.Status > 599 || *h.LatencyMs < 1 || !strings.HasPrefix(*h.Path, "/") {
			t.Fatalf("implausible http: %s", v)
		}
		want := fmt.Sprintf("%s %s %d %dms", *h.Method, *h.Path, *h.Status, *h.LatencyMs)
		if *l.Message != want {
			t.Fatalf("message %q, want %q", *l.Message, want)
		}
	} else if l.User != nil {
		t.Fatalf("user on a non-request line: %s", v)
	}
	return l
}

type event struct {
	Timestamp, Type, Action, Actor, SourceIP, Service, Result, Tenant string
}

func checkEvent(t testing.TB, v []byte) event {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(v, &raw); err != nil {
		t.Fatalf("event is not JSON: %v\n%s", err, v)
	}
	if len(raw) != len(eventKeys) {
		t.Fatalf("event has keys %v, want %v", raw, eventKeys)
	}
	s := func(k string) string {
		x, ok := raw[k].(string)
		if !ok || x == "" {
			t.Fatalf("event key %q is %v, want a non-empty string: %s", k, raw[k], v)
		}
		return x
	}
	e := event{s("timestamp"), s("type"), s("action"), s("actor"), s("source_ip"), s("service"), s("result"), s("tenant")}
	if _, err := time.Parse(time.RFC3339Nano, e.Timestamp); err != nil {
		t.Fatal(err)
	}
	if e.Type != "audit" || e.Service != "auth" || !slices.Contains(tenants, e.Tenant) {
		t.Fatalf("event %s", v)
	}
	if !slices.Contains([]string{"login", "login_failed", "role_change", "api_token_created", "export"}, e.Action) {
		t.Fatalf("action %q", e.Action)
	}
	if e.Result != "success" && e.Result != "failure" || e.Action == "login_failed" && e.Result != "failure" {
		t.Fatalf("result %q for %q", e.Result, e.Action)
	}
	return e
}

func parseMetrics(t testing.TB, v []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(v))
	if err != nil {
		t.Fatalf("metrics record does not parse: %v\n%s", err, v)
	}
	return mfs
}

func TestGeneratorDeterministic(t *testing.T) {
	cfg := Config{Seed: 42, Rate: 500, Start: testStart}
	a, b := NewGenerator(cfg), NewGenerator(cfg)
	cfg.Seed = 43
	c := NewGenerator(cfg)
	differ := 0
	for i := range 50000 {
		ra, rb, rc := a.Next(), b.Next(), c.Next()
		if ra.Topic != rb.Topic || ra.Key != rb.Key || !ra.Timestamp.Equal(rb.Timestamp) || !bytes.Equal(ra.Value, rb.Value) {
			t.Fatalf("record %d differs with the same seed:\n%s\n%s", i, ra.Value, rb.Value)
		}
		if !bytes.Equal(ra.Value, rc.Value) {
			differ++
		}
	}
	if differ < 49000 {
		t.Fatalf("seeds 42 and 43 share %d of 50000 records", 50000-differ)
	}
}

// TestGeneratorTraffic runs 20 simulated minutes at 200 records/s and checks
// the shape of everything a dashboard would show.
func TestGeneratorTraffic(t *testing.T) {
	const minutes = 20
	g := NewGenerator(Config{Seed: 7, Rate: 200, Start: testStart})
	step := time.Second / 200
	n := minutes * 60 * 200

	type incident struct {
		svc, region string
		from, until time.Time
	}
	var (
		incidents                    []incident
		levels                       = map[string]int{}
		levelsOutside                = map[string]int{}
		svcs, regionsSeen            = map[string]int{}, map[string]int{}
		statusClass                  = map[int]int{}
		latencies                    []int
		actions, actors, results     = map[string]int{}, map[string]int{}, map[string]int{}
		failedByIP                   = map[string]int{}
		httpSoFar                    = map[string]int{}
		scrapes                      = map[string]int{}
		lastRequests                 = map[string]float64{}
		inIncident, inIncidentErrors int
		crashes                      int
		logBytes, logCount           int
		metricsFamilies              = map[string]bool{}
		trail                        = map[string]int{}
	)
	// A run opens with each service's last deploy, stamped in the past.
	for range services {
		if rec := g.Next(); rec.Topic != "events" || rec.Key == "" {
			t.Fatalf("opening record %+v, want a deploy event", rec)
		} else {
			checkDeploy(t, rec.Value)
		}
	}
	for i := range n {
		rec := g.Next()
		if want := testStart.Add(time.Duration(i) * step); rec.Topic != "metrics" && !rec.Timestamp.Equal(want) {
			t.Fatalf("record %d stamped %s, want %s", i, rec.Timestamp, want)
		}
		if g.incidents > len(incidents) {
			incidents = append(incidents, incident{services[g.incSvc].name, regions[g.incRegion].name, rec.Timestamp, g.incUntil})
		}
		switch rec.Topic {
		case "logs":
			l := checkLogLine(t, rec.Value)
			logBytes += len(rec.Value)
			logCount++
			if rec.Key != *l.Service || rec.ContentType != ContentTypeJSON {
				t.Fatalf("key %q content type %q for %s", rec.Key, rec.ContentType, rec.Value)
			}
			levels[*l.Level]++
			svcs[*l.Service]++
			regionsSeen[*l.Region]++
			failing := false
			if k := len(incidents); k > 0 && g.incident && *l.Service == incidents[k-1].svc && *l.Region == incidents[k-1].region {
				failing = true
				inIncident++
				if *l.Level == "error" {
					inIncidentErrors++
				}
				if m := *l.Message; strings.Contains(m, "goroutine ") || strings.Contains(m, "\n\tat ") || strings.Contains(m, "\n    at ") {
					crashes++
				}
			} else {
				levelsOutside[*l.Level]++
			}
			if l.HTTP != nil {
				httpSoFar[*l.Service]++
				if !failing {
					statusClass[*l.HTTP.Status/100]++
				}
				if *l.Service == "api-gateway" && !failing {
					latencies = append(latencies, *l.HTTP.LatencyMs)
				}
			}
		case "events":
			if bytes.HasPrefix(rec.Value, []byte(`{"eventVersion"`)) {
				trail[checkCloudTrail(t, rec.Key, rec.Value)]++
				break
			}
			e := checkEvent(t, rec.Value)
			if rec.Key != e.Tenant {
				t.Fatalf("event keyed %q, want its tenant %q", rec.Key, e.Tenant)
			}
			actions[e.Action]++
			actors[e.Actor]++
			results[e.Result]++
			if e.Action == "login_failed" {
				failedByIP[e.SourceIP]++
			}
		case "metrics":
			if rec.ContentType != ContentTypePrometheus {
				t.Fatalf("metrics content type %q", rec.ContentType)
			}
			mfs := parseMetrics(t, rec.Value)
			for name := range mfs {
				metricsFamilies[name] = true
			}
			scrapes[rec.Key]++
			// The request counter counts exactly the request lines the
			// service logged, and never goes down.
			total := 0.0
			for _, m := range mfs["http_requests_total"].GetMetric() {
				if got := labelValue(m, "service"); got != rec.Key {
					t.Fatalf("series of %q in the scrape of %q", got, rec.Key)
				}
				total += m.GetCounter().GetValue()
			}
			if int(total) != httpSoFar[rec.Key] {
				t.Fatalf("%s http_requests_total = %v, but it logged %d requests", rec.Key, total, httpSoFar[rec.Key])
			}
			if total < lastRequests[rec.Key] {
				t.Fatalf("%s http_requests_total went down", rec.Key)
			}
			lastRequests[rec.Key] = total
			h := mfs["http_request_duration_seconds"].GetMetric()[0].GetHistogram()
			if int(h.GetSampleCount()) != httpSoFar[rec.Key] {
				t.Fatalf("%s histogram count %d, want %d", rec.Key, h.GetSampleCount(), httpSoFar[rec.Key])
			}
		default:
			t.Fatalf("record for topic %q", rec.Topic)
		}
	}

	t.Logf("levels %v; outside incidents %v; status classes %v", levels, levelsOutside, statusClass)
	t.Logf("average log line %d bytes; actions %v; results %v", logBytes/logCount, actions, results)
	for _, in := range incidents {
		t.Logf("incident: %s in %s from %s for %s", in.svc, in.region, in.from.Format(time.TimeOnly), in.until.Sub(in.from))
	}

	// Levels: mostly info, all four present.
	total := 0
	for _, c := range levelsOutside {
		total += c
	}
	if f := float64(levelsOutside["info"]) / float64(total); f < 0.65 || f > 0.92 {
		t.Errorf("info is %.0f%% of normal lines, want mostly info", 100*f)
	}
	if f := float64(levelsOutside["error"]) / float64(total); f < 0.002 || f > 0.03 {
		t.Errorf("error is %.1f%% of normal lines", 100*f)
	}
	for _, l := range []string{"debug", "info", "warn", "error"} {
		if levels[l] == 0 {
			t.Errorf("no %s lines", l)
		}
	}
	if len(svcs) != len(services) || len(regionsSeen) != len(regions) {
		t.Errorf("saw %d services and %d regions, want %d and %d", len(svcs), len(regionsSeen), len(services), len(regions))
	}
	// Statuses: mostly 2xx, some 4xx and 5xx outside incidents.
	reqs := statusClass[2] + statusClass[3] + statusClass[4] + statusClass[5]
	if f := float64(statusClass[2]) / float64(reqs); f < 0.9 {
		t.Errorf("2xx is %.1f%% of requests outside incidents", 100*f)
	}
	if statusClass[4] == 0 || statusClass[5] == 0 || statusClass[3] == 0 {
		t.Errorf("status classes %v, want some 3xx, 4xx and 5xx", statusClass)
	}
	// Latency: log-normal, so a long right tail.
	slices.Sort(latencies)
	p50, p99 := latencies[len(latencies)/2], latencies[len(latencies)*99/100]
	if p50 < 10 || p50 > 100 || p99 < 4*p50 {
		t.Errorf("api-gateway latency p50 %dms p99 %dms, want a median of tens of ms and a long tail", p50, p99)
	}
	// Incidents: every few minutes, 20-40s, one service flooding errors.
	if len(incidents) < 3 || len(incidents) > 9 {
		t.Errorf("%d incidents in %d minutes, want one every few minutes", len(incidents), minutes)
	}
	for i, in := range incidents {
		if d := in.until.Sub(in.from); d < 20*time.Second || d > 40*time.Second {
			t.Errorf("incident %d lasts %s", i, d)
		}
		if i > 0 && in.from.Sub(incidents[i-1].until) < 2*time.Minute {
			t.Errorf("incident %d starts %s after the previous one", i, in.from.Sub(incidents[i-1].until))
		}
	}
	if f := float64(inIncidentErrors) / float64(inIncident); f < 0.5 {
		t.Errorf("only %.0f%% of a failing service's lines are errors", 100*f)
	}
	if perSec := float64(inIncidentErrors) / (float64(len(incidents)) * 30); perSec < 30 {
		t.Errorf("a failing service logs %.0f errors/s, want a flood", perSec)
	}
	if crashes < 100 {
		t.Errorf("%d stack traces during incidents", crashes)
	}
	// Audit events: every action, root and admin among the actors, and a
	// brute force from one address.
	for _, a := range auditActions {
		if actions[a.name] == 0 {
			t.Errorf("no %s events", a.name)
		}
	}
	if actors["root"] == 0 || actors["admin"] == 0 {
		t.Errorf("actors %v lack root or admin", actors["root"]+actors["admin"])
	}
	maxIP, maxFailed := "", 0
	for ip, c := range failedByIP {
		if c > maxFailed {
			maxIP, maxFailed = ip, c
		}
	}
	if maxFailed < 100 || !strings.HasPrefix(maxIP, "192.0.2.") {
		t.Errorf("the most failed logins from one address are %d from %s, want a brute force", maxFailed, maxIP)
	}
	// CloudTrail: something for each shipped CloudTrail template.
	for _, kind := range []string{"root_login", "console_login_failed", "sg_open_world", "access_denied", "call"} {
		if trail[kind] == 0 {
			t.Errorf("no CloudTrail %s records (%v)", kind, trail)
		}
	}
	// Metrics: every service every 10s, counters, gauges and a histogram.
	for _, s := range services {
		if got, want := scrapes[s.name], minutes*6; got < want-1 || got > want {
			t.Errorf("%d scrapes of %s, want %d", scrapes[s.name], s.name, want)
		}
	}
	for _, name := range []string{"http_requests_total", "http_request_duration_seconds", "process_resident_memory_bytes", "process_cpu_seconds_total", "go_goroutines", "jvm_threads_live_threads"} {
		if !metricsFamilies[name] {
			t.Errorf("no %s family", name)
		}
	}
}

func labelValue(m *dto.Metric, name string) string {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

func TestLogLine(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	services := map[string]bool{}
	buf := make([]byte, 0, 1024)
	for range 5000 {
		l := checkLogLine(t, LogLine(r, testStart, buf[:0]))
		if *l.Timestamp != "2025-11-21T10:00:00Z" {
			t.Fatalf("timestamp %q", *l.Timestamp)
		}
		services[*l.Service] = true
	}
	if len(services) != 12 {
		t.Fatalf("%d services", len(services))
	}
	// Appending to a buffer with room does not allocate, so benchmarks
	// measure the ingest path, not the generator.
	if a := testing.AllocsPerRun(1000, func() { buf = LogLine(r, testStart, buf[:0]) }); a != 0 {
		t.Errorf("LogLine allocates %.1f times per call", a)
	}
}

func TestAppendJSONString(t *testing.T) {
	f := func(in string) {
		t.Helper()
		var out string
		b := appendJSONString(nil, []byte(in))
		if err := json.Unmarshal(b, &out); err != nil || out != in {
			t.Errorf("appendJSONString(%q) = %s, decodes to %q, %v", in, b, out, err)
		}
	}
	f("")
	f("plain")
	f(`quote " and backslash \`)
	f("line\nbreak\ttab\rreturn")
	f("control \x00\x01\x1f")
	f("utf-8: héllo, 日本")
	f(`</script><script>alert(1)</script>`)
}

func TestConfigValidate(t *testing.T) {
	f := func(c Config, want string) {
		t.Helper()
		err := c.Validate()
		if want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c, err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: error %v, want %q", c, err, want)
		}
	}
	f(Default(), "")
	f(Config{}, "")
	f(Config{Rate: 10_000_000, Duration: time.Hour, Events: 1}, "")
	f(Config{Rate: -1}, "demo.rate must be between 0 (unlimited) and 10000000 records per second, got -1")
	f(Config{Rate: 20_000_000}, "demo.rate must be between")
	f(Config{Duration: -time.Second}, "demo.duration must be 0 (no limit) or positive, got -1s")
	f(Config{Events: -5}, "demo.events must be 0 (no limit) or positive, got -5")
}

func BenchmarkLogLine(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 0, 1024)
	now := time.Now()
	n := 0
	for b.Loop() {
		buf = LogLine(r, now, buf[:0])
		n += len(buf)
	}
	b.SetBytes(int64(n / b.N))
}

func BenchmarkGenerator(b *testing.B) {
	g := NewGenerator(Config{Seed: 1, Start: testStart})
	n := 0
	for b.Loop() {
		n += len(g.Next().Value)
	}
	b.SetBytes(int64(n / b.N))
}

// checkCloudTrail checks a CloudTrail record of the events topic against the
// fields the shipped CloudTrail templates read, and says what it is.
func checkCloudTrail(t testing.TB, key string, v []byte) string {
	t.Helper()
	var rec struct {
		EventVersion, EventTime, EventSource, EventName, AwsRegion string
		SourceIPAddress, ErrorCode, EventType, RecipientAccountID  string
		UserIdentity                                               struct{ Type, Arn string }
		RequestParameters                                          *struct {
			IPPermissions struct {
				Items []struct {
					IPRanges struct{ Items []struct{ CidrIP string } }
				}
			}
		}
		ResponseElements *struct{ ConsoleLogin string }
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	if err := dec.Decode(&rec); err != nil {
		t.Fatalf("CloudTrail record is not JSON: %v\n%s", err, v)
	}
	if _, err := time.Parse(time.RFC3339, rec.EventTime); err != nil {
		t.Fatalf("eventTime: %v", err)
	}
	if rec.EventSource == "" || rec.EventName == "" || rec.UserIdentity.Type == "" || rec.UserIdentity.Arn == "" ||
		rec.SourceIPAddress == "" || rec.AwsRegion == "" || !slices.Contains(cloudTrailAccounts, rec.RecipientAccountID) || key != rec.RecipientAccountID {
		t.Fatalf("CloudTrail record keyed %q lacks a field the templates read: %s", key, v)
	}
	switch {
	case rec.EventName == "ConsoleLogin" && rec.ResponseElements != nil && rec.ResponseElements.ConsoleLogin == "Failure":
		return "console_login_failed"
	case rec.EventName == "ConsoleLogin" && rec.UserIdentity.Type == "Root":
		return "root_login"
	case rec.EventName == "AuthorizeSecurityGroupIngress":
		if rp := rec.RequestParameters; rp != nil && len(rp.IPPermissions.Items) > 0 && rp.IPPermissions.Items[0].IPRanges.Items[0].CidrIP == "0.0.0.0/0" {
			return "sg_open_world"
		}
		return "sg_ingress"
	case strings.HasPrefix(rec.ErrorCode, "AccessDenied") || strings.HasSuffix(rec.ErrorCode, "UnauthorizedOperation"):
		return "access_denied"
	}
	return "call"
}

// TestQuietServiceStallsAndRecovers: the quiet service's lines stop
// quietFrom into the run and come back quietFor later, while its metrics
// are still scraped and the other services go on.
func TestQuietServiceStallsAndRecovers(t *testing.T) {
	const rate = 50
	g := NewGenerator(Config{Seed: 3, Rate: rate, Start: testStart})
	lines := map[string]int{} // before, during, after
	scraped := 0
	end := quietFrom + quietFor + 3*time.Minute
	for i := 0; i < int(end.Seconds())*rate+len(services); i++ {
		rec := g.Next()
		phase := "before"
		switch since := rec.Timestamp.Sub(testStart); {
		case since >= quietFrom+quietFor:
			phase = "after"
		case since >= quietFrom:
			phase = "during"
		}
		switch {
		case rec.Topic == "logs" && rec.Key == quietService:
			lines[phase]++
		case rec.Topic == "metrics" && rec.Key == quietService && phase == "during":
			scraped++
		}
	}
	if lines["before"] == 0 || lines["during"] != 0 || lines["after"] == 0 || scraped == 0 {
		t.Fatalf("%s lines %v, scraped %d times while quiet", quietService, lines, scraped)
	}
}
