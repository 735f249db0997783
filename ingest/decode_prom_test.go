package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// promText renders samples one per line, labels sorted, for comparison.
func promText(ss []sample) string {
	var b strings.Builder
	for _, s := range ss {
		keys := make([]string, 0, len(s.labels))
		for k := range s.labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(s.name)
		if len(keys) > 0 {
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "%s=%q", k, s.labels[k])
			}
			b.WriteByte('}')
		}
		fmt.Fprintf(&b, " %v @%d\n", s.value, s.ts)
	}
	return b.String()
}

func TestDecodePrometheus(t *testing.T) {
	const kafkaMs = 1_700_000_000_000
	f := func(format, in, want string) {
		t.Helper()
		got, err := decodePrometheus([]byte(in), format, kafkaMs, nil)
		if err != nil {
			t.Fatalf("%s %q: %v", format, in, err)
		}
		if s := promText(got); s != want {
			t.Fatalf("%s %q:\ngot\n%s\nwant\n%s", format, in, s, want)
		}
	}

	// Regression: one sample per Kafka record without a final newline was
	// refused ("unexpected end of input stream") on every record.
	f("prometheus", `up{job="api"} 1`, "up{job=\"api\"} 1 @1700000000000\n")
	f("prometheus", "up 1 1700000000123", "up 1 @1700000000123\n")
	f("openmetrics", `up{job="api"} 1`, "up{job=\"api\"} 1 @1700000000000\n")

	// Regression: OpenMetrics timestamps are seconds; they were read as
	// milliseconds and landed in 1970.
	f("openmetrics", "up 1 1700000000.5\n# EOF\n", "up 1 @1700000000500\n")
	// A prometheus topic's record that ends in # EOF is OpenMetrics.
	f("prometheus", "# TYPE up gauge\nup 1 1700000000\n# EOF", "up 1 @1700000000000\n")

	// Regression: gauge-histogram buckets were dropped; histograms without
	// _sum and _count got zero-valued ones.
	f("openmetrics", "# TYPE q gaugehistogram\nq_bucket{le=\"1.0\"} 2\nq_bucket{le=\"+Inf\"} 3\nq_gcount 3\nq_gsum 2.5\n# EOF\n",
		"q_bucket{le=\"1\"} 2 @1700000000000\nq_bucket{le=\"+Inf\"} 3 @1700000000000\nq_gcount 3 @1700000000000\nq_gsum 2.5 @1700000000000\n")
	f("prometheus", "# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\n",
		"h_bucket{le=\"0.5\"} 1 @1700000000000\nh_bucket{le=\"+Inf\"} 2 @1700000000000\n")
	f("openmetrics", "# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\n# EOF\n",
		"h_bucket{le=\"0.5\"} 1 @1700000000000\nh_bucket{le=\"+Inf\"} 2 @1700000000000\n")

	// le and quantile text is normalized to Go's shortest float text.
	f("prometheus", "# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"1000000\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.5\nh_count 1\n",
		"h_bucket{le=\"1\"} 1 @1700000000000\nh_bucket{le=\"1e+06\"} 1 @1700000000000\nh_bucket{le=\"+Inf\"} 1 @1700000000000\nh_sum 0.5 @1700000000000\nh_count 1 @1700000000000\n")
	f("prometheus", "# TYPE s summary\ns{quantile=\"0.50\"} 7\ns_sum 9\ns_count 2\n",
		"s{quantile=\"0.5\"} 7 @1700000000000\ns_sum 9 @1700000000000\ns_count 2 @1700000000000\n")
	// ...but not on an untyped series that happens to carry them.
	f("prometheus", "x_bucket{le=\"1.0\"} 1\n", "x_bucket{le=\"1.0\"} 1 @1700000000000\n")

	// OpenMetrics types: counter with _created and an exemplar (checked,
	// not stored), info, stateset, unknown.
	f("openmetrics", "# TYPE c counter\n# HELP c requests\nc_total{a=\"b\"} 3 1700000000 # {trace_id=\"x\"} 1 1699999999.9\nc_created{a=\"b\"} 1690000000\n# EOF\n",
		"c_total{a=\"b\"} 3 @1700000000000\nc_created{a=\"b\"} 1.69e+09 @1700000000000\n")
	f("openmetrics", "# TYPE b info\nb_info{version=\"1.2\"} 1\n# TYPE s stateset\ns{s=\"on\"} 1\ns{s=\"off\"} 0\n# TYPE u unknown\nu 4\n# EOF",
		"b_info{version=\"1.2\"} 1 @1700000000000\ns{s=\"on\"} 1 @1700000000000\ns{s=\"off\"} 0 @1700000000000\nu 4 @1700000000000\n")

	// A record may repeat a family, as client_golang's Go collector does in
	// OpenMetrics (a gauge x_bytes and a counter x_bytes_total): before,
	// the record was refused whole.
	f("openmetrics", "# TYPE x_bytes gauge\nx_bytes 1\n# TYPE x_bytes counter\nx_bytes_total 2\n# EOF\n",
		"x_bytes 1 @1700000000000\nx_bytes_total 2 @1700000000000\n")

	// Prometheus text leniency: blanks, a trailing comma, comments, quoted
	// UTF-8 names, escapes.
	f("prometheus", "  # a comment\n\nm{ a = \"1\" , }\t2\t1700000000999  \n{\"my.metric\",\"a.b\"=\"q\\\"\\n\"} 3\n",
		"m{a=\"1\"} 2 @1700000000999\nmy.metric{a.b=\"q\\\"\\n\"} 3 @1700000000000\n")
	f("prometheus", "m NaN\nn +Inf\n", "m NaN @1700000000000\nn +Inf @1700000000000\n")
	f("prometheus", "", "")
}

func TestDecodePrometheusRefuses(t *testing.T) {
	f := func(format, in, want string) {
		t.Helper()
		out := []sample{{name: "kept"}}
		got, err := decodePrometheus([]byte(in), format, 0, out)
		if err == nil {
			t.Fatalf("%s %q: accepted as %s", format, in, promText(got))
		}
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("%s %q: error %q does not say %q", format, in, err, want)
		}
		if len(got) != 1 {
			t.Fatalf("%s %q: the refused record left %d samples", format, in, len(got)-1)
		}
	}
	f("prometheus", "m{a=\"1\",a=\"2\"} 1", `label "a" appears twice`)
	f("prometheus", "m 1 1.5", `timestamp "1.5" is not integer milliseconds`)
	f("prometheus", "m x", `value "x" is not a number`)
	f("prometheus", "# TYPE h histogram\nh_bucket 1", "without a le label")
	f("prometheus", "# TYPE h weird", `unknown type "weird"`)
	f("prometheus", "m 1 99999999999999999", "outside the years 1900 to 2299")
	f("openmetrics", "m 1\n# EOF\nm 2\n", "text after # EOF")
	f("openmetrics", "m  1", "no value")
	f("openmetrics", "# TYPE c counter\nc_total -1\n", "must be a number not below 0")
	f("openmetrics", "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n", "increasing order")
	f("openmetrics", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 2\nh_sum 1\n", "differs from the +Inf bucket")
	f("openmetrics", "# TYPE g gauge\ng 1 # {a=\"b\"} 1\n", "exemplars belong only")
	f("openmetrics", "m 1 1e12\n", "outside the years 1900 to 2299")
	f("openmetrics", "m 1\n\n", "blank line")
}

// TestOpenMetricsSuite runs the OpenMetrics parser test suite
// (github.com/prometheus/OpenMetrics, tests/testdata/parsers) when
// LOGMART_OPENMETRICS_SUITE names its checkout or that folder. Each case is
// read as a whole exposition; a valid case whose timestamps the metrics
// table cannot hold counts as parsed and is listed apart.
func TestOpenMetricsSuite(t *testing.T) {
	root := os.Getenv("LOGMART_OPENMETRICS_SUITE")
	if root == "" {
		t.Skip("LOGMART_OPENMETRICS_SUITE is not set")
	}
	if fi, err := os.Stat(filepath.Join(root, "tests/testdata/parsers")); err == nil && fi.IsDir() {
		root = filepath.Join(root, "tests/testdata/parsers")
	}
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var valid, parsed, invalid, refused, recParsed, recRefused int
	var outOfRange, wrong []string
	for _, d := range dirs {
		js, err := os.ReadFile(filepath.Join(root, d.Name(), "test.json"))
		if err != nil {
			continue
		}
		var tc struct {
			Type        string `json:"type"`
			File        string `json:"file"`
			ShouldParse bool   `json:"shouldParse"`
		}
		if err := json.Unmarshal(js, &tc); err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		data, err := os.ReadFile(filepath.Join(root, d.Name(), tc.File))
		if err != nil {
			t.Fatal(err)
		}
		p := expoParser{om: true, whole: true, defaultTs: 1_700_000_000_000}
		_, perr := p.parse(string(data), nil)
		rangeOnly := errors.Is(perr, errTimestampRange)
		if rangeOnly {
			outOfRange = append(outOfRange, d.Name())
		}
		ok := perr == nil || rangeOnly
		// As a Kafka record: # EOF optional, families may repeat.
		rp := expoParser{om: true, defaultTs: 1_700_000_000_000}
		_, rerr := rp.parse(string(data), nil)
		recOK := rerr == nil || errors.Is(rerr, errTimestampRange)
		if tc.ShouldParse && recOK {
			recParsed++
		}
		if !tc.ShouldParse && !recOK {
			recRefused++
		}
		if tc.ShouldParse {
			valid++
			if ok {
				parsed++
			} else {
				wrong = append(wrong, fmt.Sprintf("%s (valid): %v", d.Name(), perr))
			}
		} else {
			invalid++
			if !ok {
				refused++
			} else {
				wrong = append(wrong, d.Name()+" (invalid): accepted")
			}
		}
	}
	slices.Sort(wrong)
	for _, w := range wrong {
		t.Log(w)
	}
	fmt.Printf("openmetrics parser suite: %d of %d valid cases parsed, %d of %d invalid cases refused; "+
		"read as Kafka records (# EOF optional, families may repeat): %d of %d valid parsed, %d of %d invalid refused; "+
		"valid but outside the stored time range: %v\n",
		parsed, valid, refused, invalid, recParsed, valid, recRefused, invalid, outOfRange)
	if valid+invalid == 0 {
		t.Fatalf("no cases under %s", root)
	}
}

// FuzzDecodePrometheus checks that no input makes either format panic, and
// that a refused record adds nothing.
func FuzzDecodePrometheus(f *testing.F) {
	for _, s := range []string{
		"up 1", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 1\n# EOF\n",
		"c_total{a=\"b\"} 3 1700000000 # {trace_id=\"x\"} 1 1699999999.9\n", "{\"my.metric\",a=\"1\",} 2\n",
		"# TYPE s stateset\ns{s=\"on\"} 1\n# EOF", "m{a=\"\\\\\\\"\\n\"} 1 -5",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, om bool) {
		format := "prometheus"
		if om {
			format = "openmetrics"
		}
		got, err := decodePrometheus([]byte(in), format, 1, nil)
		if err != nil && len(got) != 0 {
			t.Fatalf("%q refused (%v) with %d samples", in, err, len(got))
		}
	})
}

// BenchmarkDecodePrometheus reads a scrape-sized exposition (300 series of
// counters, gauges and a histogram) per op.
func BenchmarkDecodePrometheus(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n")
	for i := range 100 {
		fmt.Fprintf(&sb, "http_requests_total{method=\"GET\",path=\"/api/v1/item/%d\",status=\"200\"} %d\n", i, i*17)
	}
	sb.WriteString("# TYPE queue_depth gauge\n")
	for i := range 100 {
		fmt.Fprintf(&sb, "queue_depth{queue=\"q%d\"} %d.5\n", i, i)
	}
	sb.WriteString("# TYPE latency_seconds histogram\n")
	for i := range 10 {
		for _, le := range []string{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"} {
			fmt.Fprintf(&sb, "latency_seconds_bucket{handler=\"h%d\",le=\"%s\"} %d\n", i, le, i)
		}
		fmt.Fprintf(&sb, "latency_seconds_sum{handler=\"h%d\"} 1.5\nlatency_seconds_count{handler=\"h%d\"} %d\n", i, i, i)
	}
	data := []byte(sb.String())
	var out []sample
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if out, err = decodePrometheus(data, "prometheus", 1, out[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodePrometheusMatchesExpfmt reads a real registry's exposition (Go
// and process collectors, and a counter, histogram and summary with labels
// that need escapes) with both parsers: every sample expfmt reads, this
// parser reads with the same name, labels and value. The same registry
// encoded as OpenMetrics is read too, its timestamps-free samples equal.
func TestDecodePrometheusMatchesExpfmt(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "req_total", Help: "Requests with \"quotes\" and \\ in help."}, []string{"path"})
	c.WithLabelValues("/a\"b\\c\nd").Add(3)
	c.WithLabelValues("/ünïcode").Inc()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lat_seconds", Help: "Latency.", Buckets: []float64{0.005, 0.5, 1, 2.5, 1e6}}, []string{"h"})
	h.WithLabelValues("x").Observe(0.7)
	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "size_bytes", Help: "Sizes.", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}})
	s.Observe(42)
	reg.MustRegister(c, h, s)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	encode := func(f expfmt.Format) []byte {
		var b bytes.Buffer
		enc := expfmt.NewEncoder(&b, f)
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				t.Fatal(err)
			}
		}
		if cl, ok := enc.(expfmt.Closer); ok {
			if err := cl.Close(); err != nil {
				t.Fatal(err)
			}
		}
		return b.Bytes()
	}
	text := encode(expfmt.NewFormat(expfmt.TypeTextPlain))

	// What expfmt reads, flattened the way a scrape stores it.
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	key := func(name string, labels map[string]string) string {
		return promText([]sample{{name: name, labels: labels}})
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			lb := func(extra ...string) map[string]string {
				l := map[string]string{}
				for _, p := range m.GetLabel() {
					l[p.GetName()] = p.GetValue()
				}
				if len(extra) == 2 {
					l[extra[0]] = extra[1]
				}
				return l
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				want[key(name, lb())] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				want[key(name, lb())] = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				want[key(name, lb())] = m.GetUntyped().GetValue()
			case dto.MetricType_SUMMARY:
				for _, q := range m.GetSummary().GetQuantile() {
					want[key(name, lb("quantile", strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64)))] = q.GetValue()
				}
				want[key(name+"_sum", lb())] = m.GetSummary().GetSampleSum()
				want[key(name+"_count", lb())] = float64(m.GetSummary().GetSampleCount())
			case dto.MetricType_HISTOGRAM:
				for _, b := range m.GetHistogram().GetBucket() {
					want[key(name+"_bucket", lb("le", strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)))] = float64(b.GetCumulativeCount())
				}
				want[key(name+"_bucket", lb("le", "+Inf"))] = float64(m.GetHistogram().GetSampleCount())
				want[key(name+"_sum", lb())] = m.GetHistogram().GetSampleSum()
				want[key(name+"_count", lb())] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	check := func(format string, data []byte, skip func(string) bool) {
		t.Helper()
		got, err := decodePrometheus(data, format, 1, nil)
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, data)
		}
		n := 0
		for _, s := range got {
			k := key(s.name, s.labels)
			if skip != nil && skip(s.name) {
				continue
			}
			n++
			if v, ok := want[k]; !ok || v != s.value {
				t.Errorf("%s: %q = %v, expfmt read %v (present %v)", format, k, s.value, v, ok)
			}
		}
		if n != len(want) {
			t.Errorf("%s: %d samples, expfmt read %d", format, n, len(want))
		}
	}
	check("prometheus", text, nil)
	// OpenMetrics adds _created series, and names counters with _total as
	// the text format already does here.
	check("openmetrics", encode(expfmt.NewFormat(expfmt.TypeOpenMetrics)), func(name string) bool { return strings.HasSuffix(name, "_created") })
}
