package ingest

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// accessLogRe is the Common Log Format, the Combined one (referrer and
// agent) and what NGINX and Apache configurations often append after it
// (a request time, upstream times).
var accessLogRe = regexp.MustCompile(`^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?(.*)$`)

// parseAccessLog reads an Apache or NGINX access log line, common or
// combined:
//
//	127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08"
//
// into http.client_ip, http.user, http.method, http.path, http.protocol,
// http.status, http.bytes, http.referrer, http.user_agent and, when the
// line ends with a request time, http.latency_ms (NGINX's $request_time
// in seconds with a fraction, "rt=0.123" or "request_time=0.123", or
// Apache's %D in microseconds, a whole number); other key=value pairs
// there become http.<key> attributes. The level is error for a
// 5xx status, warn for a 4xx one, info otherwise. "-" values are left out.
func parseAccessLog(s string, row *logRow) bool {
	m := accessLogRe.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	t, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[4])
	if err != nil {
		return false
	}
	row.ts = t.UnixMilli()
	add := func(k, v string) {
		if v != "" && v != "-" {
			row.attrs = append(row.attrs, attr{k, v})
		}
	}
	add("http.client_ip", m[1])
	add("http.user", m[3])
	method, rest, _ := strings.Cut(m[5], " ")
	path, proto, _ := strings.Cut(rest, " ")
	add("http.method", method)
	add("http.path", path)
	add("http.protocol", proto)
	add("http.status", m[6])
	add("http.bytes", m[7])
	add("http.referrer", m[8])
	add("http.user_agent", m[9])
	latency := false
	for _, w := range strings.Fields(m[10]) {
		k, v, kv := strings.Cut(w, "=")
		if !kv {
			v = w
		}
		v = strings.Trim(v, `"`)
		if kv && k != "rt" && k != "request_time" {
			add("http."+k, v) // uct=, urt=, …
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || latency {
			continue
		}
		if strings.Contains(v, ".") || kv {
			f *= 1000 // seconds
		} else {
			f /= 1000 // microseconds
		}
		add("http.latency_ms", strconv.FormatFloat(f, 'f', -1, 64))
		latency = true
	}
	switch {
	case strings.HasPrefix(m[6], "5"):
		row.level = "error"
	case strings.HasPrefix(m[6], "4"):
		row.level = "warn"
	default:
		row.level = "info"
	}
	return true
}

// apacheErrorRe is Apache's error log, 2.2 and 2.4 (module, pid and tid,
// client).
var apacheErrorRe = regexp.MustCompile(`^\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \d{4})\] \[(?:([^:\]]+):)?([a-z]+\d?)\](?: \[pid (\d+)(?::tid (\d+))?\])?(?: \[client ([^\]]+)\])?`)

// parseApacheError reads a line of Apache's error log:
//
//	[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties
//	[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico
//
// The level is the bracketed one (trace1-8 read as trace), the module
// fills service, and pid, tid and the client address are attributes.
func parseApacheError(s string, row *logRow) bool {
	m := apacheErrorRe.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	t, err := time.Parse("Mon Jan _2 15:04:05 2006", m[1])
	if err != nil {
		return false
	}
	row.ts = t.UnixMilli()
	row.service = m[2]
	level := m[3]
	if strings.HasPrefix(level, "trace") {
		level = "trace"
	}
	row.level = normalizeLevel(level)
	for i, k := range [...]string{4: "pid", 5: "tid", 6: "http.client_ip"} {
		if k != "" && m[i] != "" {
			row.attrs = append(row.attrs, attr{k, m[i]})
		}
	}
	return true
}
