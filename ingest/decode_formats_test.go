package ingest

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Each named format reads its lines into time, host, service, level and
// attributes; a line not in the format is stored whole and marked.
func TestNamedFormats(t *testing.T) {
	kafka := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli()
	f := func(format, in, want string) {
		t.Helper()
		var row logRow
		row.reset()
		row.kafkaMs = kafka
		if err := newDecoder(TopicConfig{Format: format}).decode([]byte(in), &row); err != nil {
			t.Fatalf("%s %q: %v", format, in, err)
		}
		got := rowString(&row)
		if got != want {
			t.Errorf("%s %q:\n got  %s\n want %s", format, in, got, want)
		}
	}
	// syslog: RFC 5424, RFC 3164 with and without PRI and host, rsyslog's
	// precise stamp.
	f("syslog", `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event`,
		`ts=1065910455003 service="evntslog" host="mymachine.example.com" level="info" body="<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] An application event" @syslog.msgid="ID47" @syslog.structured_data="[exampleSDID@32473 iut=\"3\" eventSource=\"Application\"]" @syslog.facility="20"`)
	f("syslog", `<34>1 2003-10-11T22:14:15.003Z - su 77 - - 'su root' failed`,
		`ts=1065910455003 service="su" level="fatal" body="<34>1 2003-10-11T22:14:15.003Z - su 77 - - 'su root' failed" @pid="77" @syslog.facility="4"`)
	f("syslog", `<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8`,
		`ts=1697062455000 service="su" host="mymachine" level="fatal" body="<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8" @pid="230" @syslog.facility="4"`)
	f("syslog", `Feb 14 15:16:01 combo sshd(pam_unix)[4711]: authentication failure; logname= uid=0`,
		`ts=1707923761000 service="sshd(pam_unix)" host="combo" body="Feb 14 15:16:01 combo sshd(pam_unix)[4711]: authentication failure; logname= uid=0" @pid="4711"`)
	f("syslog", `Feb  9 06:06:20 combo syslogd 1.4.1: restart.`,
		`ts=1707458780000 host="combo" body="Feb  9 06:06:20 combo syslogd 1.4.1: restart."`)
	f("syslog", `Feb  9 06:06:20 combo kernel: ERROR: disk full`,
		`ts=1707458780000 service="kernel" host="combo" level="error" body="Feb  9 06:06:20 combo kernel: ERROR: disk full"`)
	f("syslog", `2024-02-14T15:09:26.123+01:00 web1 nginx[812]: started`,
		`ts=1707919766123 service="nginx" host="web1" body="2024-02-14T15:09:26.123+01:00 web1 nginx[812]: started" @pid="812"`)
	// Structured data cut short after a backslash: before, reading it
	// panicked (a slice past the end of the line).
	f("syslog", `<34>1 - h a - - [x y="\`, `body="<34>1 - h a - - [x y=\"\\" @logmart.parse="unmatched"`)
	f("syslog", `not syslog at all`,
		`body="not syslog at all" @logmart.parse="unmatched"`)
	// Access logs.
	f("apache_common", `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`,
		`ts=971211336000 level="info" body="127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326" @http.client_ip="127.0.0.1" @http.user="frank" @http.method="GET" @http.path="/apache_pb.gif" @http.protocol="HTTP/1.0" @http.status="200" @http.bytes="2326"`)
	f("apache_combined", `203.0.113.9 - - [14/Feb/2024:10:00:01 +0000] "POST /api/v1/login?next=%2F HTTP/1.1" 503 - "https://example.com/start" "Mozilla/5.0 (X11; Linux x86_64)"`,
		`ts=1707904801000 level="error" body="203.0.113.9 - - [14/Feb/2024:10:00:01 +0000] \"POST /api/v1/login?next=%2F HTTP/1.1\" 503 - \"https://example.com/start\" \"Mozilla/5.0 (X11; Linux x86_64)\"" @http.client_ip="203.0.113.9" @http.method="POST" @http.path="/api/v1/login?next=%2F" @http.protocol="HTTP/1.1" @http.status="503" @http.referrer="https://example.com/start" @http.user_agent="Mozilla/5.0 (X11; Linux x86_64)"`)
	f("nginx_combined", `203.0.113.9 - - [14/Feb/2024:10:00:01 +0000] "GET /x HTTP/2.0" 404 153 "-" "curl/8.5.0" 0.012`,
		`ts=1707904801000 level="warn" body="203.0.113.9 - - [14/Feb/2024:10:00:01 +0000] \"GET /x HTTP/2.0\" 404 153 \"-\" \"curl/8.5.0\" 0.012" @http.client_ip="203.0.113.9" @http.method="GET" @http.path="/x" @http.protocol="HTTP/2.0" @http.status="404" @http.bytes="153" @http.user_agent="curl/8.5.0" @http.latency_ms="12"`)
	f("nginx_combined", `203.0.113.9 - - [14/Feb/2024:10:00:01 +0000] "GET /x HTTP/2.0" 200 153 "-" "curl/8.5.0" rt=1.250 uct="0.001"`,
		`ts=1707904801000 level="info" body="203.0.113.9 - - [14/Feb/2024:10:00:01 +0000] \"GET /x HTTP/2.0\" 200 153 \"-\" \"curl/8.5.0\" rt=1.250 uct=\"0.001\"" @http.client_ip="203.0.113.9" @http.method="GET" @http.path="/x" @http.protocol="HTTP/2.0" @http.status="200" @http.bytes="153" @http.user_agent="curl/8.5.0" @http.latency_ms="1250" @http.uct="0.001"`)
	f("apache_combined", `203.0.113.9 - - [14/Feb/2024:10:00:01 +0000] "GET / HTTP/1.1" 200 10 "-" "ab" 1834`,
		`ts=1707904801000 level="info" body="203.0.113.9 - - [14/Feb/2024:10:00:01 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"ab\" 1834" @http.client_ip="203.0.113.9" @http.method="GET" @http.path="/" @http.protocol="HTTP/1.1" @http.status="200" @http.bytes="10" @http.user_agent="ab" @http.latency_ms="1.834"`)
	f("apache_error", `[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties`,
		`ts=1133671664000 level="info" body="[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties"`)
	f("apache_error", `[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico`,
		`ts=1315564949902 service="core" level="error" body="[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico" @pid="35708" @tid="4328636416" @http.client_ip="72.15.99.187"`)
	f("apache_error", `[Fri Sep 09 10:42:29 2011] [proxy:trace5] x`,
		`ts=1315564949000 service="proxy" level="trace" body="[Fri Sep 09 10:42:29 2011] [proxy:trace5] x"`)
	// klog and the log4j family.
	f("klog", `I0214 15:04:05.123456   12345 controller.go:123] Syncing node "n1"`,
		`ts=1707923045123 level="info" body="I0214 15:04:05.123456   12345 controller.go:123] Syncing node \"n1\"" @pid="12345" @caller="controller.go:123"`)
	f("klog", `E1231 23:59:59.000001       7 reflector.go:138] watch failed`,
		`ts=1704067199000 level="error" body="E1231 23:59:59.000001       7 reflector.go:138] watch failed" @pid="7" @caller="reflector.go:138"`)
	f("hadoop", `2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1`,
		`ts=1445191307978 level="info" body="2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1" @thread="main" @logger="org.apache.hadoop.mapreduce.v2.app.MRAppMaster"`)
	f("hdfs", `081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_1 terminating`,
		`ts=1226262975000 level="info" body="081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_1 terminating" @pid="148" @logger="dfs.DataNode$PacketResponder"`)
	f("spark", `17/06/09 20:10:40 WARN executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]`,
		`ts=1497039040000 level="warn" body="17/06/09 20:10:40 WARN executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]" @logger="executor.CoarseGrainedExecutorBackend"`)
	f("zookeeper", `2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200`,
		`ts=1438191704747 level="info" body="2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200" @thread="QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774"`)
	f("log4j", `2015-07-29 19:04:12,394 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@679] - Interrupted while waiting`,
		`ts=1438196652394 level="warn" body="2015-07-29 19:04:12,394 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@679] - Interrupted while waiting" @thread="SendWorker:188978561024:QuorumCnxManager$SendWorker@679"`)
	f("log4j", `2024-02-14T10:00:00.123Z ERROR something broke`,
		`ts=1707904800123 level="error" body="2024-02-14T10:00:00.123Z ERROR something broke"`)
	f("log4j", `just words`,
		`body="just words" @logmart.parse="unmatched"`)
}

// A CloudTrail record: eventTime is the time, eventSource the service,
// eventName the body, errorCode makes the level error; all three stay
// attributes under their record names, which the shipped templates read.
// Plain json reads eventTime as the time too, and keeps it an attribute.
func TestCloudTrailFormat(t *testing.T) {
	rec := `{"eventVersion":"1.08","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"},"eventTime":"2024-02-14T10:00:01Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","errorCode":"Failed authentication","eventType":"AwsConsoleSignIn"}`
	f := func(format, want string) {
		t.Helper()
		got, err := decodeString(newDecoder(TopicConfig{Format: format}), rec)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s:\n got  %s\n want %s", format, got, want)
		}
	}
	f("cloudtrail",
		`ts=1707904801000 service="signin.amazonaws.com" level="error" body="ConsoleLogin" @eventVersion="1.08" @userIdentity.type="Root" @userIdentity.arn="arn:aws:iam::111122223333:root" @eventTime="2024-02-14T10:00:01Z" @eventSource="signin.amazonaws.com" @eventName="ConsoleLogin" @awsRegion="us-east-1" @errorCode="Failed authentication" @eventType="AwsConsoleSignIn"`)
	f("json",
		`ts=1707904801000 @eventVersion="1.08" @userIdentity.type="Root" @userIdentity.arn="arn:aws:iam::111122223333:root" @eventTime="2024-02-14T10:00:01Z" @eventSource="signin.amazonaws.com" @eventName="ConsoleLogin" @awsRegion="us-east-1" @errorCode="Failed authentication" @eventType="AwsConsoleSignIn"`)
}

// The record-time keys of real sources are read, epoch numbers by their
// magnitude; the source-specific ones stay attributes.
func TestRecordTimeKeys(t *testing.T) {
	d := newDecoder(TopicConfig{Format: "json"})
	f := func(in, want string) {
		t.Helper()
		got, err := decodeString(d, in)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s:\n got  %s\n want %s", in, got, want)
		}
	}
	f(`{"@timestamp":"2023-11-14T22:13:20.000Z"}`, `ts=1700000000000`)
	f(`{"time":"2023-11-14T23:13:20+01:00"}`, `ts=1700000000000`)
	f(`{"ts":1700000000}`, `ts=1700000000000`)
	f(`{"ts":1700000000.25}`, `ts=1700000000250`)
	f(`{"ts":1700000000000}`, `ts=1700000000000`)
	f(`{"ts":1700000000000000}`, `ts=1700000000000`)
	f(`{"ts":1700000000000000000}`, `ts=1700000000000`)
	f(`{"ts":"1700000000000"}`, `ts=1700000000000`)
	f(`{"eventTime":"2023-11-14T22:13:20Z"}`, `ts=1700000000000 @eventTime="2023-11-14T22:13:20Z"`)
	f(`{"date":"2023-11-14 22:13:20"}`, `ts=1700000000000 @date="2023-11-14 22:13:20"`)
	f(`{"datetime":"2023-11-14 22:13:20,123"}`, `ts=1700000000123 @datetime="2023-11-14 22:13:20,123"`)
	f(`{"date":20240102,"datetime":"1700000000"}`, `ts=1700000000000 @date="20240102" @datetime="1700000000"`)
	f(`{"Date":"Tue, 14 Nov 2023 22:13:20 GMT"}`, `ts=1700000000000 @Date="Tue, 14 Nov 2023 22:13:20 GMT"`)
	f(`{"time_local":"14/Nov/2023:22:13:20 +0000","date":"not a date"}`, `@time_local="14/Nov/2023:22:13:20 +0000" @date="not a date"`)
}

// A stream rule's format picks the format of records before they are
// decoded: by the stream they name, or by a match on source and topic.
func TestStreamFormat(t *testing.T) {
	r, err := CompileStreams(StreamsFile{Streams: []StreamRule{
		{Name: "edge", Match: `source startsWith "nginx/"`, Format: "nginx_combined"},
		{Name: "audit", Match: `topic == "audit" && source != "x"`, Format: "cloudtrail"},
		{Name: "sys", Match: `service == "sshd"`},
		{Name: "boxes", Match: `false`, Format: "syslog"},
		{Name: "default"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	f := func(topic, source, stream, want string) {
		t.Helper()
		rec := &kgo.Record{Topic: topic}
		if source != "" {
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: HeaderSource, Value: []byte(source)})
		}
		if got := r.formatOf(rec, stream, "json"); got != want {
			t.Fatalf("topic %s source %s stream %s: got %s, want %s", topic, source, stream, got, want)
		}
	}
	f("logs", "nginx/access.log", "", "nginx_combined")
	f("logs", "app.log", "", "json")
	f("audit", "", "", "cloudtrail")
	f("logs", "", "boxes", "syslog")
	f("logs", "nginx/access.log", "sys", "json") // a named stream without a format: the topic's
	f("logs", "", "unknown", "json")

	bad := func(rule StreamRule, want string) {
		t.Helper()
		_, err := CompileStreams(StreamsFile{Streams: []StreamRule{rule, {Name: "default"}}})
		if err == nil || err.Error() != want {
			t.Fatalf("%+v: got %v, want %s", rule, err, want)
		}
	}
	bad(StreamRule{Name: "a", Match: `service == "x"`, Format: "syslog"},
		`streams[0] (a): a stream with a format matches on source and topic only, which are known before decoding; match "service == \"x\"" reads service`)
	bad(StreamRule{Name: "a", Match: `source == "x"`, Format: "xml"}, `streams[0] (a): format "xml" must be `+logFormatList())
	if _, err := CompileStreams(StreamsFile{Streams: []StreamRule{{Name: "default", Format: "syslog"}}}); err == nil ||
		err.Error() != "streams[0] (default): the default stream takes no format (the topic's format is the default)" {
		t.Fatalf("default with a format: %v", err)
	}
}

// Through a partition's batch: the logmart-format header names a format,
// and a syslog time without a year takes the year nearest before the
// record's Kafka time (a December line sent in January is last year's).
func TestBatchFormatHeaderAndKafkaYear(t *testing.T) {
	routes, err := CompileStreams(DefaultStreams())
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Date(2025, 1, 1, 0, 5, 0, 0, time.UTC)
	pb := newPartBatch(TopicConfig{Topic: "logs", Table: "logs", Format: "json", Stream: "default"}, 0, 1<<20, routes)
	defer pb.release()
	add := func(format, line string) {
		pb.add(&kgo.Record{Topic: "logs", Value: []byte(line), Timestamp: sent,
			Headers: []kgo.RecordHeader{{Key: HeaderFormat, Value: []byte(format)}, {Key: HeaderBackfill, Value: []byte("true")}}}, sent)
	}
	add("syslog", "Dec 31 23:59:00 web1 cron[7]: done")
	add("xml", "<a/>")
	if len(pb.deadRecs) != 1 {
		t.Fatalf("%d dead letters, want 1", len(pb.deadRecs))
	}
	for _, h := range pb.deadRecs[0].Headers {
		if h.Key == "logmart-dead-error" && !strings.HasPrefix(string(h.Value), `header logmart-format "xml" must be json, logfmt, text, cloudtrail, syslog`) {
			t.Fatalf("dead letter: %s", h.Value)
		}
	}
	want := time.Date(2024, 12, 31, 23, 59, 0, 0, time.UTC).UnixMilli()
	if got := pb.logs.ts.Data; len(got) != 1 || got[0] != want {
		t.Fatalf("timestamps %v, want [%d]", got, want)
	}
}

// FuzzLineFormats: the named line formats never panic, never fail on
// valid UTF-8 that is not empty, and leave rows the tables can take.
func FuzzLineFormats(f *testing.F) {
	for _, s := range []string{
		`<165>1 2003-10-11T22:14:15.003Z host app 1 ID [a b="\]"][c] msg`,
		`<34>Oct 11 22:14:15 mymachine su[230]: x`,
		`127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "r" "a" rt=0.1`,
		`[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 1:tid 2] [client 1.2.3.4] x`,
		`I0102 15:04:05.123456   12345 a.go:1] x`,
		`2015-07-29 17:41:44,747 - INFO  [Q[m=1]/0:F@774] - x`,
		`081109 203615 148 INFO a.B: x`,
	} {
		f.Add(s)
	}
	formats := []string{"syslog", "apache_combined", "apache_error", "klog", "log4j"}
	f.Fuzz(func(t *testing.T, s string) {
		for _, format := range formats {
			data := []byte(s)
			var row logRow
			row.reset()
			err := newDecoder(TopicConfig{Format: format}).decode(data, &row)
			if err != nil {
				if utf8.ValidString(s) && len(trimEOL([]byte(s))) > 0 {
					t.Fatalf("%s %q: %v", format, s, err)
				}
				continue
			}
			checkRow(t, data, &row)
		}
	})
}
