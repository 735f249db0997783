package ingest

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Named formats: the well-known layouts of real sources, each read into
// the row's time, host, service (the program), level and attributes (pid,
// the HTTP fields of an access log). A topic's format, a stream's, the
// logmart-format header or `logmart ingest file --format` can name one.
//
// A line format keeps the whole line as the body, as text does, so a search
// on the body finds what it found before; what it reads out goes to the
// columns and to attributes. A line its format does not recognize is still
// stored, whole, with the leading-timestamp and level detection of text and
// the attribute logmart.parse=unmatched.

// LogFormats lists the formats of the logs and events tables: json, logfmt,
// text and the named formats. Prometheus and OpenMetrics, for the metrics
// table, are not among them.
var LogFormats = []string{
	"json", "logfmt", "text", "cloudtrail",
	"syslog", "apache_common", "apache_combined", "nginx_combined", "apache_error", "klog",
	"log4j", "hadoop", "hdfs", "spark", "zookeeper",
}

// IsLogFormat reports whether f names a format of the logs and events
// tables (LogFormats).
func IsLogFormat(f string) bool { return slices.Contains(LogFormats, f) }

// logFormatList is LogFormats for an error message: "a, b or c".
func logFormatList() string {
	n := len(LogFormats)
	return strings.Join(LogFormats[:n-1], ", ") + " or " + LogFormats[n-1]
}

// lineParser reads one line of a named format into row (which holds the
// line as its body already) and reports whether the line was in that
// format. It may leave row half filled when it says no: the caller resets
// it.
type lineParser func(s string, row *logRow) bool

// newLineDecoder returns the decoder of a named line format, or nil.
func newLineDecoder(format string) decoder {
	var p lineParser
	switch format {
	case "syslog":
		p = parseSyslog
	case "apache_common", "apache_combined", "nginx_combined":
		p = parseAccessLog
	case "apache_error":
		p = parseApacheError
	case "klog":
		p = parseKlog
	case "log4j", "hadoop", "hdfs", "spark", "zookeeper":
		p = parseLog4j
	default:
		return nil
	}
	return &lineDecoder{parse: p}
}

// lineDecoder reads one line per record with a lineParser.
type lineDecoder struct {
	parse  lineParser
	detect textDecoder // for lines not in the format
}

func (d *lineDecoder) decode(data []byte, row *logRow) error {
	row.fm = nil
	line := trimEOL(data)
	if len(line) == 0 {
		return errEmptyLine
	}
	if !utf8.Valid(line) {
		return fmt.Errorf("invalid UTF-8 at byte %d: %w", invalidUTF8At(line), errBadUTF8)
	}
	s := string(line)
	row.body = s
	if d.parse(s, row) {
		return nil
	}
	*row = logRow{attrs: row.attrs[:0], kafkaMs: row.kafkaMs, body: s}
	d.detect.detect(s, row)
	row.attrs = append(row.attrs, attr{"logmart.parse", "unmatched"})
	return nil
}

// cloudtrailFields maps a CloudTrail record's keys to the columns. Mapped
// keys stay attributes too (FieldMap), so the shipped CloudTrail templates
// read them under their record names.
var cloudtrailFields = FieldMap{Timestamp: "eventTime", Service: "eventSource", Message: "eventName"}

// cloudtrailDecoder reads one CloudTrail record (an element of a delivered
// file's Records, see ingest/fileload): eventTime is the time, eventSource
// the service, eventName the body, and the level is error for a call that
// failed (errorCode), info otherwise. Every key is an attribute, nested
// ones dotted (userIdentity.type).
type cloudtrailDecoder struct {
	jsonDecoder
}

func (d *cloudtrailDecoder) decode(data []byte, row *logRow) error {
	if err := d.jsonDecoder.decode(data, row); err != nil {
		return err
	}
	if row.level == "" {
		row.level = "info"
		for _, a := range row.attrs {
			if a.k == "errorCode" && a.v != "" {
				row.level = "error"
				break
			}
		}
	}
	return nil
}

// formatOf returns the format of a record that names none in its
// logmart-format header, by the stream rules' formats (StreamRule.Format):
// the stream it names in its logmart-stream header, else the first rule
// with a format whose match holds on its source and topic; def when none
// says.
func (r *Router) formatOf(rec *kgo.Record, stream, def string) string {
	if stream != "" {
		if rule := r.Named(stream); rule.Name == stream && rule.Format != "" {
			return rule.Format
		}
		return def
	}
	env := RouteEnv{Source: rec.Topic, Topic: rec.Topic}
	if s := header(rec, HeaderSource); s != "" {
		env.Source = s
	}
	for i := range r.rules {
		c := &r.rules[i]
		if c.Format == "" || c.prog == nil {
			continue
		}
		if out, err := expr.Run(c.prog, &env); err == nil && out == true {
			return c.Format
		}
	}
	return def
}

// identOtherThan returns the first name node reads other than those
// allowed, or "".
func identOtherThan(node ast.Node, allowed ...string) string {
	found := ""
	ast.Find(node, func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok && !slices.Contains(allowed, id.Value) {
			found = id.Value
			return true
		}
		return false
	})
	return found
}
