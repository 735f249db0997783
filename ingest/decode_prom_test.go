package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
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
	var valid, parsed, invalid, refused int
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
	fmt.Printf("openmetrics parser suite: %d of %d valid cases parsed, %d of %d invalid cases refused; valid but outside the stored time range: %v\n",
		parsed, valid, refused, invalid, outOfRange)
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
