package ingest

import (
	"bytes"
	"fmt"
	"math"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one metric value at one time.
type sample struct {
	name   string
	labels map[string]string
	ts     int64 // unix milliseconds
	value  float64
}

// decodePrometheus reads Prometheus text exposition. Samples without a
// timestamp take defaultTs (the Kafka record's time). Histograms and
// summaries become their _bucket/_sum/_count (and quantile) series, as a
// scrape would store them.
func decodePrometheus(data []byte, defaultTs int64, out []sample) ([]sample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		return out, fmt.Errorf("cannot parse Prometheus text: %w", err)
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			labels := make(map[string]string, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			ts := defaultTs
			if m.TimestampMs != nil {
				ts = m.GetTimestampMs()
			}
			add := func(n string, v float64, extra ...string) {
				lb := labels
				if len(extra) > 0 {
					lb = make(map[string]string, len(labels)+1)
					for k, v := range labels {
						lb[k] = v
					}
					lb[extra[0]] = extra[1]
				}
				out = append(out, sample{name: n, labels: lb, ts: ts, value: v})
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				add(name, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				add(name, m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				add(name, m.GetUntyped().GetValue())
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					add(name, q.GetValue(), "quantile", fmt.Sprint(q.GetQuantile()))
				}
				add(name+"_sum", s.GetSampleSum())
				add(name+"_count", float64(s.GetSampleCount()))
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					le := fmt.Sprint(b.GetUpperBound())
					if math.IsInf(b.GetUpperBound(), 1) {
						le = "+Inf"
					}
					add(name+"_bucket", float64(b.GetCumulativeCount()), "le", le)
				}
				add(name+"_sum", h.GetSampleSum())
				add(name+"_count", float64(h.GetSampleCount()))
			}
		}
	}
	return out, nil
}
