package ingest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The metrics table is fed by two text expositions: the Prometheus text
// format (format prometheus, text/plain; version=0.0.4) and OpenMetrics 1.0
// (format openmetrics, application/openmetrics-text). One parser reads both;
// what differs is written where it differs:
//
//   - Timestamps are integer milliseconds in Prometheus text and seconds
//     (with a fraction) in OpenMetrics. Stored timestamps are milliseconds;
//     a sample without one takes its Kafka record's time.
//   - Prometheus text is read leniently, as Prometheus reads a scrape: blank
//     lines, runs of blanks between tokens, a trailing comma in a label set,
//     any comment line. OpenMetrics is read strictly, as the specification
//     and its parser test suite say: one space between tokens, no blank
//     line, only HELP, TYPE and UNIT comments, metadata before samples,
//     histogram buckets in order and cumulative,
//     _count equal to the +Inf bucket, counter, bucket, count and sum values
//     not negative or NaN, timestamps of a series not going back.
//   - A record on a prometheus topic (or with the header logmart-format:
//     prometheus) whose last line is "# EOF" is OpenMetrics: only
//     OpenMetrics ends that way, and reading its seconds as milliseconds
//     would put its samples in 1970.
//   - A Kafka record is often one sample or one family, not a whole scrape:
//     the final newline may be missing in both formats, and an OpenMetrics
//     record may leave out "# EOF". Nothing may follow a "# EOF" line. A
//     family may come again, or share a sample name with another, as
//     client_golang writes them (expoParser.whole); a whole exposition
//     (the parser test suite) may do neither.
//
// Every sample is stored as the series it was written as: a histogram's
// name_bucket, name_count and name_sum (name_gcount and name_gsum for a
// gauge histogram), a summary's name{quantile=…}, name_count and name_sum, a
// counter's name_total and name_created, an info's name_info, a stateset's
// name{name="state"}. Nothing is invented: a histogram without _sum or
// _count stores none, and nothing present is dropped, except exemplars,
// HELP and UNIT text, which the metrics table has no place for (an
// exemplar is still checked).
//
// The text of the le label of histogram and gauge-histogram buckets and of
// the quantile label of summary quantiles is normalized, as Prometheus
// normalizes it, so that one bucket is one series whoever wrote it: the
// value is read as a float and stored as Go's shortest text for that float
// (strconv.FormatFloat 'g' -1). le="1.0", le="1" and le="1e0" are all
// stored as le="1"; le="0.25" stays "0.25"; le="1000000" becomes "1e+06";
// +Inf stays "+Inf". (Prometheus 3 writes "1.0" for the first: a query
// ported from PromQL that names an integral bound spells it without ".0"
// here.) le and quantile on other series are stored as written.

// sample is one metric value at one time.
type sample struct {
	name   string
	labels map[string]string
	ts     int64 // unix milliseconds
	value  float64
}

// errTimestampRange is wrapped when a sample's own timestamp is outside what
// the metrics table stores (DateTime64(3): the years 1900 to 2299). The
// exposition is valid; the record is still refused, whole, so that no
// sample of it is stored at a time it does not have.
var errTimestampRange = errors.New("timestamp outside the years 1900 to 2299")

// The DateTime64(3) range, in unix milliseconds.
const (
	minSampleMs = -2208988800000 // 1900-01-01T00:00:00Z
	maxSampleMs = 10413791999999 // 2299-12-31T23:59:59.999Z
)

// decodePrometheus reads one record of a metrics topic in format
// "prometheus" or "openmetrics" (see the comment above) and appends its
// samples to out. Samples without a timestamp take defaultTs (the Kafka
// record's time, unix milliseconds). On error it returns out as it was.
func decodePrometheus(data []byte, format string, defaultTs int64, out []sample) ([]sample, error) {
	om := format == "openmetrics" || endsWithEOF(data)
	p := expoParser{om: om, defaultTs: defaultTs}
	n := len(out)
	out, err := p.parse(string(data), out)
	if err != nil {
		if om {
			return out[:n], fmt.Errorf("cannot parse OpenMetrics text: %w", err)
		}
		return out[:n], fmt.Errorf("cannot parse Prometheus text: %w", err)
	}
	return out, nil
}

// endsWithEOF says whether data's last line is "# EOF".
func endsWithEOF(data []byte) bool {
	n := len(data)
	if n > 0 && data[n-1] == '\n' {
		n--
	}
	if n < 5 || string(data[n-5:n]) != "# EOF" {
		return false
	}
	return n == 5 || data[n-6] == '\n'
}

// expoParser reads one exposition. Its zero value with om and defaultTs set
// is ready; it is used once.
type expoParser struct {
	om bool
	// whole asks for a whole OpenMetrics exposition, "# EOF" included, and
	// for metric families that neither repeat nor share sample names (the
	// parser test suite). A Kafka record may be a part of an exposition,
	// and may repeat a family: client_golang's Go collector writes a gauge
	// go_memstats_alloc_bytes and a counter go_memstats_alloc_bytes_total,
	// two families named go_memstats_alloc_bytes in OpenMetrics. Their
	// samples are stored; every other rule holds.
	whole     bool
	defaultTs int64

	line int
	fam  *expoFamily
	// OpenMetrics only: the sample names of the families already ended,
	// which no later family may use, and each series' last timestamp.
	claimed  map[string]bool
	series   map[string]seriesTime
	rangeErr error
}

// seriesTime is what an OpenMetrics series' last sample said about time.
type seriesTime struct {
	has bool
	ts  float64
}

// expoFamily is the metric family being read.
type expoFamily struct {
	name, typ         string
	help, typed, unit bool
	unitText          string
	samples           bool
	group             string
	groupSeen         bool
	groupsDone        map[string]bool
	g                 expoGroup
}

// expoGroup checks one OpenMetrics histogram, gauge histogram or summary
// (the samples of one label set, le and quantile aside).
type expoGroup struct {
	buckets           int
	lastLe, lastCount float64
	inf, neg          bool
	infCount          float64
	after             bool // a sample other than a bucket was seen
	count, sum        bool
	countV, sumV      float64
}

func (p *expoParser) parse(text string, out []sample) ([]sample, error) {
	if p.om {
		body, eof := cutEOF(text)
		if !eof && p.whole {
			return out, errors.New("no # EOF line at the end")
		}
		if eof && body != "" && body[len(body)-1] != '\n' {
			return out, errors.New("no newline before # EOF")
		}
		text = body
	}
	for len(text) > 0 {
		p.line++
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		var err error
		out, err = p.parseLine(line, out)
		if err != nil {
			return out, fmt.Errorf("line %d: %w", p.line, err)
		}
	}
	if p.om {
		if err := p.endFamily(); err != nil {
			return out, err
		}
	}
	if p.rangeErr != nil {
		return out, p.rangeErr
	}
	return out, nil
}

// cutEOF splits an OpenMetrics exposition at its "# EOF" line, which must be
// its last (a final newline after it is allowed).
func cutEOF(text string) (string, bool) {
	t := strings.TrimSuffix(text, "\n")
	if t == "# EOF" {
		return "", true
	}
	if strings.HasSuffix(t, "\n# EOF") {
		return t[:len(t)-len("# EOF")], true
	}
	return text, false
}

func (p *expoParser) parseLine(line string, out []sample) ([]sample, error) {
	if !p.om {
		line = strings.TrimLeft(line, " \t")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return out, nil
		}
	} else if line == "" {
		return out, errors.New("blank line")
	}
	if line[0] == '#' {
		return out, p.comment(line)
	}
	return p.sample(line, out)
}

// comment reads a # line: HELP and TYPE in both formats, UNIT in
// OpenMetrics, which refuses any other.
func (p *expoParser) comment(line string) error {
	if !p.om {
		f := strings.Fields(line[1:])
		if len(f) < 2 || (f[0] != "HELP" && f[0] != "TYPE") {
			return nil // any other comment
		}
		name := f[1]
		if name[0] == '"' {
			rest := strings.TrimLeft(line[1:], " \t")[len(f[0]):]
			rest = strings.TrimLeft(rest, " \t")
			n, i, err := readQuoted(rest)
			if err != nil {
				return fmt.Errorf("%s line: metric name: %w", f[0], err)
			}
			name = n
			f = append(f[:2], strings.Fields(rest[i:])...)
		} else if !validMetricName(name) {
			return fmt.Errorf("%s line: %q is not a metric name", f[0], name)
		}
		if f[0] == "HELP" {
			return nil
		}
		if len(f) != 3 {
			return fmt.Errorf("TYPE line for %q must name one type", name)
		}
		if !knownType(f[2]) {
			return fmt.Errorf("TYPE line for %q: unknown type %q", name, f[2])
		}
		p.fam = &expoFamily{name: name, typ: f[2], typed: true}
		return nil
	}
	kw, rest, ok := strings.Cut(line, " ")
	if kw != "#" || !ok {
		return fmt.Errorf("comment %q is not # HELP, # TYPE or # UNIT", trimForError(line))
	}
	kw, rest, ok = strings.Cut(rest, " ")
	if kw != "HELP" && kw != "TYPE" && kw != "UNIT" {
		if kw == "EOF" && !ok {
			return errors.New("text after # EOF")
		}
		return fmt.Errorf("comment %q is not # HELP, # TYPE or # UNIT", trimForError(line))
	}
	i := metricNameEnd(rest)
	name := rest[:i]
	if !ok || i == 0 {
		return fmt.Errorf("%s line has no metric name", kw)
	}
	if i == len(rest) || rest[i] != ' ' {
		return fmt.Errorf("%s line for %q: a space must follow the name", kw, name)
	}
	arg := rest[i+1:]
	f := p.fam
	if f == nil || f.name != name {
		if err := p.endFamily(); err != nil {
			return err
		}
		f = &expoFamily{name: name, typ: "unknown"}
		p.fam = f
	}
	if f.samples {
		if p.whole {
			return fmt.Errorf("%s line for %q after its samples", kw, name)
		}
		// A second family of the same name: see expoParser.whole.
		if err := p.endFamily(); err != nil {
			return err
		}
		f = &expoFamily{name: name, typ: "unknown"}
		p.fam = f
	}
	switch kw {
	case "HELP":
		if f.help {
			return fmt.Errorf("second HELP line for %q", name)
		}
		f.help = true
	case "TYPE":
		if f.typed {
			return fmt.Errorf("second TYPE line for %q", name)
		}
		if !knownType(arg) || arg == "untyped" {
			return fmt.Errorf("TYPE line for %q: unknown type %q", name, trimForError(arg))
		}
		f.typ, f.typed = arg, true
	case "UNIT":
		if f.unit {
			return fmt.Errorf("second UNIT line for %q", name)
		}
		if metricNameEnd(arg) != len(arg) {
			return fmt.Errorf("UNIT line for %q: %q is not a unit", name, trimForError(arg))
		}
		if arg != "" && !strings.HasSuffix(name, "_"+arg) {
			return fmt.Errorf("UNIT line: the name %q must end in _%s", name, arg)
		}
		f.unit, f.unitText = true, arg
	}
	return nil
}

// knownType says whether t is a metric type of either format ("untyped" is
// Prometheus text's word for OpenMetrics' "unknown").
func knownType(t string) bool {
	switch t {
	case "counter", "gauge", "histogram", "gaugehistogram", "summary", "untyped", "unknown", "info", "stateset":
		return true
	}
	return false
}

// owns says whether a sample named name belongs to family f, and with which
// suffix.
func (f *expoFamily) owns(name string, om bool) (string, bool) {
	if !strings.HasPrefix(name, f.name) {
		return "", false
	}
	suf := name[len(f.name):]
	switch f.typ {
	case "counter":
		return suf, suf == "_total" || suf == "_created" || (!om && suf == "")
	case "histogram":
		return suf, suf == "_bucket" || suf == "_count" || suf == "_sum" || suf == "_created"
	case "gaugehistogram":
		return suf, suf == "_bucket" || suf == "_gcount" || suf == "_gsum"
	case "summary":
		return suf, suf == "" || suf == "_count" || suf == "_sum" || suf == "_created"
	case "info":
		return suf, suf == "_info"
	default:
		return suf, suf == ""
	}
}

// claims lists the sample names a family may use.
func (f *expoFamily) claims() []string {
	n := f.name
	switch f.typ {
	case "counter":
		return []string{n, n + "_total", n + "_created"}
	case "histogram":
		return []string{n, n + "_bucket", n + "_count", n + "_sum", n + "_created"}
	case "gaugehistogram":
		return []string{n, n + "_bucket", n + "_gcount", n + "_gsum"}
	case "summary":
		return []string{n, n + "_count", n + "_sum", n + "_created"}
	case "info":
		return []string{n, n + "_info"}
	}
	return []string{n}
}

// endFamily checks the OpenMetrics family just read as a whole and reserves
// its names.
func (p *expoParser) endFamily() error {
	f := p.fam
	if f == nil {
		return nil
	}
	p.fam = nil
	if err := p.endGroup(f); err != nil {
		return err
	}
	if f.unit && f.unitText != "" && (f.typ == "info" || f.typ == "stateset") {
		return fmt.Errorf("%s %q cannot have a unit", f.typ, f.name)
	}
	if p.claimed == nil {
		p.claimed = map[string]bool{}
	}
	cl := f.claims()
	for _, n := range cl {
		if p.claimed[n] && p.whole {
			return fmt.Errorf("metric family %q clashes with an earlier family over the name %q (families must not repeat or interleave)", f.name, n)
		}
	}
	for _, n := range cl {
		p.claimed[n] = true
	}
	return nil
}

// endGroup checks one OpenMetrics histogram, gauge histogram or summary.
func (p *expoParser) endGroup(f *expoFamily) error {
	if !f.groupSeen {
		return nil
	}
	g := &f.g
	defer func() { *g = expoGroup{} }()
	if f.typ != "histogram" && f.typ != "gaugehistogram" {
		return nil
	}
	count, sum := "_count", "_sum"
	if f.typ == "gaugehistogram" {
		count, sum = "_gcount", "_gsum"
	}
	switch {
	case !g.inf:
		return fmt.Errorf("%s %q has no bucket le=\"+Inf\"", f.typ, f.name)
	case g.count != g.sum:
		return fmt.Errorf("%s %q has one of %s and %s without the other", f.typ, f.name, count, sum)
	case g.count && g.countV != g.infCount:
		return fmt.Errorf("%s %q: %s %v differs from the +Inf bucket %v", f.typ, f.name, count, g.countV, g.infCount)
	case f.typ == "histogram" && g.neg && g.sum:
		return fmt.Errorf("histogram %q has negative buckets and a _sum", f.name)
	case g.sum && g.sumV < 0 && !g.neg:
		return fmt.Errorf("%s %q: %s is negative without negative buckets", f.typ, f.name, sum)
	}
	return nil
}

// sample reads a sample line and appends what it stores.
func (p *expoParser) sample(line string, out []sample) ([]sample, error) {
	i := metricNameEnd(line)
	name := line[:i]
	if i == 0 && (p.om || line[0] != '{') {
		return out, fmt.Errorf("%q does not start with a metric name", trimForError(line))
	}
	var labels map[string]string
	if i < len(line) && line[i] == '{' {
		var err error
		var qname string
		labels, qname, i, err = p.labels(line, i+1)
		if err != nil {
			return out, err
		}
		if qname != "" {
			if name != "" {
				return out, fmt.Errorf("metric %q has a second name %q", name, qname)
			}
			name = qname
		}
	}
	if name == "" {
		return out, errors.New("sample has no metric name")
	}
	rest := line[i:]
	var valText, tsText, exText string
	var value float64
	valueOK := false
	if p.om {
		if rest == "" || rest[0] != ' ' {
			return out, fmt.Errorf("%s: a space and a value must follow the name and labels", name)
		}
		rest = rest[1:]
		valText, rest, _ = strings.Cut(rest, " ")
		if valText != "" {
			if value, valueOK = p.number(valText); !valueOK {
				return out, fmt.Errorf("%s: value %q is not a number", name, trimForError(valText))
			}
		}
		if rest != "" && !strings.HasPrefix(rest, "# ") {
			tsText, rest, _ = strings.Cut(rest, " ")
			if tsText == "" {
				return out, fmt.Errorf("%s: two spaces after the value", name)
			}
		}
		if rest != "" {
			if !strings.HasPrefix(rest, "# ") {
				return out, fmt.Errorf("%s: %q after the timestamp", name, trimForError(rest))
			}
			exText = rest[2:]
		} else if strings.HasSuffix(line, " ") {
			return out, fmt.Errorf("%s: a space at the end of the line", name)
		}
	} else {
		rest = strings.TrimLeft(rest, " \t")
		valText, rest = cutBlank(rest)
		rest = strings.TrimLeft(rest, " \t")
		tsText, rest = cutBlank(rest)
		if strings.TrimLeft(rest, " \t") != "" {
			return out, fmt.Errorf("%s: %q after the timestamp", name, trimForError(rest))
		}
	}
	if valText == "" {
		return out, fmt.Errorf("%s has no value", name)
	}
	if !valueOK {
		if value, valueOK = p.number(valText); !valueOK {
			return out, fmt.Errorf("%s: value %q is not a number", name, trimForError(valText))
		}
	}
	ts, hasTs := p.defaultTs, tsText != ""
	var tsSec float64
	if hasTs {
		var err error
		ts, tsSec, err = p.timestamp(tsText)
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
	}

	f := p.fam
	suf, owned := "", false
	if f != nil {
		suf, owned = f.owns(name, p.om)
	}
	if !owned {
		if p.om {
			if err := p.endFamily(); err != nil {
				return out, err
			}
			f = &expoFamily{name: name, typ: "unknown"}
			p.fam = f
		} else {
			f = nil
		}
	}
	typ := "untyped"
	if f != nil {
		typ = f.typ
		f.samples = true
	}
	// le and quantile: required where they mean something, and normalized.
	normalize := ""
	switch {
	case suf == "_bucket" && (typ == "histogram" || typ == "gaugehistogram"):
		normalize = "le"
	case suf == "" && typ == "summary":
		normalize = "quantile"
	}
	var bound float64
	if normalize != "" {
		v, ok := labels[normalize]
		if !ok {
			return out, fmt.Errorf("%s: %s sample without a %s label", name, typ, normalize)
		}
		b, ok := p.number(v)
		if !ok || math.IsNaN(b) {
			return out, fmt.Errorf("%s: %s=%q is not a number", name, normalize, trimForError(v))
		}
		bound = b
		labels[normalize] = strconv.FormatFloat(b, 'g', -1, 64)
	}
	if p.om {
		if err := p.check(f, name, suf, labels, value, bound, exText, hasTs, tsSec); err != nil {
			return out, err
		}
	}
	if hasTs && (ts < minSampleMs || ts > maxSampleMs) && p.rangeErr == nil {
		p.rangeErr = fmt.Errorf("line %d: %s: %w: %s", p.line, name, errTimestampRange, tsText)
	}
	if labels == nil {
		labels = map[string]string{}
	}
	return append(out, sample{name: name, labels: labels, ts: ts, value: value}), nil
}

// check applies OpenMetrics' rules to one sample of family f.
func (p *expoParser) check(f *expoFamily, name, suf string, labels map[string]string, value, bound float64, exText string, hasTs bool, tsSec float64) error {
	// Series: timestamps never go back, and a repeated series has them.
	key := seriesKey(name, labels, "")
	if p.series == nil {
		p.series = map[string]seriesTime{}
	}
	if prev, ok := p.series[key]; ok {
		switch {
		case !prev.has || !hasTs:
			return fmt.Errorf("%s: a repeated series must give a timestamp on each of its samples", name)
		case tsSec < prev.ts:
			return fmt.Errorf("%s: timestamp goes back", name)
		}
	}
	p.series[key] = seriesTime{has: hasTs, ts: tsSec}

	// Group: the samples of one label set (le and quantile aside) are
	// contiguous within the family.
	skip := ""
	switch {
	case suf == "_bucket":
		skip = "le"
	case f.typ == "summary" && suf == "":
		skip = "quantile"
	case f.typ == "stateset":
		skip = f.name
	}
	group := seriesKey("", labels, skip)
	if !f.groupSeen || group != f.group {
		if err := p.endGroup(f); err != nil {
			return err
		}
		if f.groupsDone == nil {
			f.groupsDone = map[string]bool{}
		}
		if f.groupsDone[group] {
			return fmt.Errorf("%s: the samples of one label set are not together", name)
		}
		f.groupsDone[group] = true
		f.group, f.groupSeen = group, true
	}

	exemplarOK := false
	notNegative := func(what string) error {
		if math.IsNaN(value) || value < 0 {
			return fmt.Errorf("%s: %s value %v must be a number not below 0", name, what, value)
		}
		return nil
	}
	g := &f.g
	switch f.typ {
	case "counter":
		if suf == "_total" {
			exemplarOK = true
			if err := notNegative("counter"); err != nil {
				return err
			}
		}
	case "histogram", "gaugehistogram":
		switch suf {
		case "_bucket":
			exemplarOK = true
			if g.after {
				return fmt.Errorf("%s: a bucket after the _count or _sum", name)
			}
			if err := notNegative("bucket"); err != nil {
				return err
			}
			if g.buckets > 0 && bound <= g.lastLe {
				return fmt.Errorf("%s: buckets are not in increasing order of le", name)
			}
			if g.buckets > 0 && value < g.lastCount {
				return fmt.Errorf("%s: bucket counts are not cumulative", name)
			}
			g.buckets++
			g.lastLe, g.lastCount = bound, value
			if bound < 0 {
				g.neg = true
			}
			if math.IsInf(bound, 1) {
				g.inf, g.infCount = true, value
			}
		case "_count", "_gcount":
			g.after = true
			if err := notNegative("count"); err != nil {
				return err
			}
			g.count, g.countV = true, value
		case "_sum", "_gsum":
			g.after = true
			if math.IsNaN(value) {
				return fmt.Errorf("%s: sum is NaN", name)
			}
			if f.typ == "histogram" && value < 0 && !g.neg {
				return fmt.Errorf("%s: sum %v is negative", name, value)
			}
			g.sum, g.sumV = true, value
		default:
			g.after = true
		}
	case "summary":
		switch suf {
		case "":
			if bound < 0 || bound > 1 {
				return fmt.Errorf("%s: quantile %v is not between 0 and 1", name, bound)
			}
			if value < 0 {
				return fmt.Errorf("%s: quantile value %v is negative", name, value)
			}
		case "_count", "_sum":
			if err := notNegative(strings.TrimPrefix(suf, "_")); err != nil {
				return err
			}
		}
	case "info":
		if value != 1 {
			return fmt.Errorf("%s: an info value must be 1, not %v", name, value)
		}
	case "stateset":
		if _, ok := labels[f.name]; !ok {
			return fmt.Errorf("%s: a stateset sample needs the label %q", name, f.name)
		}
		if value != 0 && value != 1 {
			return fmt.Errorf("%s: a stateset value must be 0 or 1, not %v", name, value)
		}
	}
	if exText != "" {
		if !exemplarOK {
			return fmt.Errorf("%s: exemplars belong only on counter _total and histogram buckets", name)
		}
		if err := p.exemplar(exText); err != nil {
			return fmt.Errorf("%s: exemplar: %w", name, err)
		}
	}
	return nil
}

// exemplar checks an OpenMetrics exemplar ({labels} value [timestamp]),
// which is not stored.
func (p *expoParser) exemplar(text string) error {
	if text == "" || text[0] != '{' {
		return errors.New("must start with {")
	}
	labels, _, i, err := p.labels(text, 1)
	if err != nil {
		return err
	}
	runes := 0
	for k, v := range labels {
		runes += utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
	}
	if runes > 128 {
		return fmt.Errorf("its labels are %d characters, more than 128", runes)
	}
	rest := text[i:]
	if rest == "" || rest[0] != ' ' {
		return errors.New("a space and a value must follow its labels")
	}
	val, ts, hasTs := strings.Cut(rest[1:], " ")
	if _, ok := p.number(val); !ok {
		return fmt.Errorf("value %q is not a number", trimForError(val))
	}
	if hasTs {
		if _, _, err := p.timestamp(ts); err != nil {
			return err
		}
	}
	return nil
}

// seriesKey is a label set as text, keys sorted, leaving out skip.
func seriesKey(name string, labels map[string]string, skip string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k != skip {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(name)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(labels[k])
	}
	return b.String()
}

// labels reads a label set from just after its "{" to just after its "}".
// Prometheus text also allows blanks, a trailing comma and quoted
// (UTF-8) names, one of which may be the metric's name; it is returned as
// qname.
func (p *expoParser) labels(s string, i int) (map[string]string, string, int, error) {
	m := map[string]string{}
	qname := ""
	skip := func() {
		if !p.om {
			for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
		}
	}
	first := true
	for {
		skip()
		if i < len(s) && s[i] == '}' && (first || !p.om) {
			return m, qname, i + 1, nil
		}
		if i >= len(s) {
			return nil, "", 0, errors.New("label set does not end with }")
		}
		var lname string
		if s[i] == '"' && !p.om {
			n, w, err := readQuoted(s[i:])
			if err != nil {
				return nil, "", 0, fmt.Errorf("label name: %w", err)
			}
			i += w
			skip()
			if i < len(s) && (s[i] == ',' || s[i] == '}') {
				if qname != "" || !first {
					return nil, "", 0, fmt.Errorf("quoted name %q without a value", n)
				}
				qname = n
				goto next
			}
			lname = n
		} else {
			j := i
			for j < len(s) && isLabelChar(s[j], j == i) {
				j++
			}
			if j == i {
				return nil, "", 0, fmt.Errorf("label name expected at %q", trimForError(s[i:]))
			}
			lname = s[i:j]
			i = j
		}
		skip()
		if i >= len(s) || s[i] != '=' {
			return nil, "", 0, fmt.Errorf("label %q has no =", lname)
		}
		i++
		skip()
		{
			v, w, err := readQuoted(s[i:])
			if err != nil {
				return nil, "", 0, fmt.Errorf("label %q: %w", lname, err)
			}
			i += w
			if _, dup := m[lname]; dup {
				return nil, "", 0, fmt.Errorf("label %q appears twice", lname)
			}
			m[lname] = v
		}
	next:
		first = false
		skip()
		if i >= len(s) {
			return nil, "", 0, errors.New("label set does not end with }")
		}
		switch s[i] {
		case ',':
			i++
			if p.om && (i >= len(s) || s[i] == '}') {
				return nil, "", 0, errors.New("comma before }")
			}
		case '}':
			return m, qname, i + 1, nil
		default:
			return nil, "", 0, fmt.Errorf("comma or } expected at %q", trimForError(s[i:]))
		}
	}
}

// readQuoted reads a double-quoted string at the start of s, undoing the
// escapes \\, \" and \n (any other backslash is kept, as Prometheus and the
// OpenMetrics reference parser keep it), and returns it with the bytes read.
func readQuoted(s string) (string, int, error) {
	if s == "" || s[0] != '"' {
		return "", 0, errors.New("value must be in double quotes")
	}
	j := 1
	plain := true
	for ; j < len(s) && s[j] != '"'; j++ {
		if s[j] == '\\' {
			plain = false
			j++
		}
	}
	if j >= len(s) {
		return "", 0, errors.New("no closing double quote")
	}
	if plain {
		return s[1:j], j + 1, nil
	}
	var b strings.Builder
	for k := 1; k < j; k++ {
		c := s[k]
		if c == '\\' && k+1 < j {
			switch s[k+1] {
			case '\\', '"':
				c = s[k+1]
				k++
			case 'n':
				c = '\n'
				k++
			}
		}
		b.WriteByte(c)
	}
	return b.String(), j + 1, nil
}

// number reads a sample value: Go's float syntax in Prometheus text (as
// Prometheus reads it), the OpenMetrics number grammar in OpenMetrics
// (decimal only: no hex, no underscores; +Inf, -Inf and NaN as written).
func (p *expoParser) number(s string) (float64, bool) {
	if !p.om {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, false
		}
		return f, true
	}
	switch s {
	case "NaN":
		return math.NaN(), true
	case "+Inf", "Inf":
		return math.Inf(1), true
	case "-Inf":
		return math.Inf(-1), true
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		e := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == e {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// timestamp reads a sample's timestamp: integer milliseconds in Prometheus
// text, seconds in OpenMetrics. It returns milliseconds (saturated at the
// int64 range) and, for OpenMetrics, the seconds as written.
func (p *expoParser) timestamp(s string) (int64, float64, error) {
	if !p.om {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("timestamp %q is not integer milliseconds", trimForError(s))
		}
		return ms, 0, nil
	}
	sec, ok := p.number(s)
	if !ok || math.IsNaN(sec) || math.IsInf(sec, 0) {
		return 0, 0, fmt.Errorf("timestamp %q is not a number of seconds", trimForError(s))
	}
	ms := math.Round(sec * 1000)
	switch {
	case ms >= math.MaxInt64:
		return math.MaxInt64, sec, nil
	case ms <= math.MinInt64:
		return math.MinInt64, sec, nil
	}
	return int64(ms), sec, nil
}

// cutBlank splits s at its first space or tab.
func cutBlank(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// metricNameEnd returns the length of the metric name at the start of s.
func metricNameEnd(s string) int {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			i++
			continue
		}
		break
	}
	return i
}

func validMetricName(s string) bool { return s != "" && metricNameEnd(s) == len(s) }

func isLabelChar(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

// trimForError shortens text quoted in an error.
func trimForError(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strings.ToValidUTF8(s, "")
}
