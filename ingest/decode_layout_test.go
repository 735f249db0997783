package ingest

import (
	"testing"
	"time"
)

// The timestamp layouts of real log formats are accepted by Validate and
// read their lines' stamps to the millisecond, as the line's leading
// stamp and as a pattern's timestamp group. Before, Validate refused every
// layout that formats the reference time as itself, "2006-01-02 15:04:05"
// (the one its own error suggested) among them, and the server did not
// start.
func TestTimestampLayoutsOfRealFormats(t *testing.T) {
	// Kafka's time for the year-less layouts: their year is the one that
	// puts them nearest before it.
	kafka := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	utc := func(y int, mo time.Month, d, h, mi, s, ms int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ms*1e6, time.UTC)
	}
	cases := []struct {
		source, layout, line string
		want                 time.Time
	}{
		{"plain", "2006-01-02 15:04:05", "2024-02-14 15:09:26 INFO started", utc(2024, 2, 14, 15, 9, 26, 0)},
		{"log4j (Hadoop, Zookeeper)", "2006-01-02 15:04:05,000", "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster", utc(2015, 10, 18, 18, 1, 47, 978)},
		{"Python logging", "2006-01-02 15:04:05,999", "2023-11-14 22:13:20,5 - root - WARNING - low disk", utc(2023, 11, 14, 22, 13, 20, 500)},
		{"HDFS", "060102 150405", "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating", utc(2008, 11, 9, 20, 36, 15, 0)},
		{"Spark", "06/01/02 15:04:05", "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers", utc(2017, 6, 9, 20, 10, 40, 0)},
		{"BSD syslog", "Jan _2 15:04:05", "Jun 14 15:16:01 combo sshd(pam_unix)[4711]: authentication failure", utc(2023, 6, 14, 15, 16, 1, 0)},
		{"BSD syslog, one-digit day", "Jan _2 15:04:05", "Feb  9 06:06:20 combo syslogd 1.4.1: restart.", utc(2024, 2, 9, 6, 6, 20, 0)},
		{"Apache error", "Mon Jan _2 15:04:05 2006", "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok", utc(2005, 12, 4, 4, 47, 44, 0)},
		{"Apache error 2.4", "Mon Jan 02 15:04:05.000000 2006", "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708] File does not exist", utc(2011, 9, 9, 10, 42, 29, 902)},
		{"access log", "[02/Jan/2006:15:04:05 -0700]", `[10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`, utc(2000, 10, 10, 20, 55, 36, 0)},
		{"Android", "01-02 15:04:05.000", "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs", utc(2023, 3, 17, 16, 13, 38, 811)},
		{"Proxifier", "[01.02 15:04:05]", "[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy", utc(2023, 10, 30, 16, 49, 6, 0)},
		{"Tomcat", "02-Jan-2006 15:04:05.000", "12-Oct-2015 10:27:56.123 INFO [main] org.apache.catalina.startup.Catalina.start Server startup", utc(2015, 10, 12, 10, 27, 56, 123)},
		{"Java default", "Jan 2, 2006 3:04:05 PM", "Oct 12, 2015 10:27:56 PM org.apache.catalina.startup.Catalina start", utc(2015, 10, 12, 22, 27, 56, 0)},
		{"Windows CBS", "2006-01-02 15:04:05,", "2016-09-28 04:30:30, Info CBS Loaded Servicing Stack v6.1.7601.23505", utc(2016, 9, 28, 4, 30, 30, 0)},
		{"Go log", "2006/01/02 15:04:05.000000", "2024/01/10 12:00:00.123456 server.go:42: listening", utc(2024, 1, 10, 12, 0, 0, 123)},
		{"ANSIC", "Mon Jan _2 15:04:05 2006", "Wed Jan 10 12:00:00 2024 kernel: up", utc(2024, 1, 10, 12, 0, 0, 0)},
		{"RFC 1123", "Mon, 02 Jan 2006 15:04:05 MST", "Wed, 10 Jan 2024 12:00:00 UTC started", utc(2024, 1, 10, 12, 0, 0, 0)},
		{"ISO with offset", "2006-01-02T15:04:05.000-0700", "2024-01-10T13:00:00.250+0100 level=info", utc(2024, 1, 10, 12, 0, 0, 250)},
		{"US date, 12-hour", "1/2/2006 3:04:05 PM", "1/10/2024 2:05:09 PM Service started", utc(2024, 1, 10, 14, 5, 9, 0)},
		{"compact", "20060102150405", "20240110120000 batch done", utc(2024, 1, 10, 12, 0, 0, 0)},
		{"dotted", "2006.01.02 15:04:05", "2024.01.10 12:00:00 ok", utc(2024, 1, 10, 12, 0, 0, 0)},
		{"Kitchen with date", "Jan 2 2006 15:04", "Jan 10 2024 12:00 done", utc(2024, 1, 10, 12, 0, 0, 0)},
	}
	for _, c := range cases {
		cfg := Default()
		cfg.Topics = []TopicConfig{{Topic: "app", Table: "logs", Format: "text", Stream: "default", Text: TextConfig{TimestampLayout: c.layout}}}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: layout %q refused: %v", c.source, c.layout, err)
			continue
		}
		d := newDecoder(TopicConfig{Format: "text", Text: TextConfig{TimestampLayout: c.layout}})
		var row logRow
		row.reset()
		row.kafkaMs = kafka.UnixMilli()
		if err := d.decode([]byte(c.line), &row); err != nil {
			t.Errorf("%s: %v", c.source, err)
			continue
		}
		if got := time.UnixMilli(row.ts).UTC(); !got.Equal(c.want) {
			t.Errorf("%s: layout %q read %q as %s, want %s", c.source, c.layout, c.line, got, c.want)
		}
	}
}

// Layouts that cannot read a time are refused with the reason.
func TestTimestampLayoutRefused(t *testing.T) {
	f := func(layout, want string) {
		t.Helper()
		err := TextConfig{TimestampLayout: layout}.validate("text")
		if err == nil || err.Error() != want {
			t.Fatalf("%q: got %v, want %s", layout, err, want)
		}
	}
	f("yyyy-MM-dd HH:mm:ss", `text.timestamp_layout "yyyy-MM-dd HH:mm:ss" has no time elements (a Go layout like "2006-01-02 15:04:05")`)
	f("%Y-%m-%d", `text.timestamp_layout "%Y-%m-%d" has no time elements (a Go layout like "2006-01-02 15:04:05")`)
}

// A time without a year takes the year that puts it nearest before the
// record's Kafka time (a day of clock skew allowed), not the current year
// of the machine that reads it.
func TestYearlessTimeTakesKafkasYear(t *testing.T) {
	f := func(kafka time.Time, in string, want time.Time) {
		t.Helper()
		ms, ok := parseLayout("Jan _2 15:04:05", in, kafka.UnixMilli())
		if !ok || ms != want.UnixMilli() {
			t.Fatalf("%q at %s: got %s, want %s", in, kafka, time.UnixMilli(ms).UTC(), want)
		}
	}
	d := func(y int, mo time.Month, day, h int) time.Time { return time.Date(y, mo, day, h, 0, 0, 0, time.UTC) }
	f(d(2024, 1, 1, 0), "Dec 31 23:00:00", d(2023, 12, 31, 23))                   // sent in January: last year
	f(d(2023, 12, 31, 23), "Jan  1 01:00:00", d(2024, 1, 1, 1))                   // a clock two hours ahead
	f(d(2021, 6, 1, 0), "Jun  1 00:00:00", d(2021, 6, 1, 0))                      // replayed years later: its own year
	f(d(2021, 6, 1, 0), "Jul  1 00:00:00", d(2020, 7, 1, 0))                      // a month after Kafka's: last year
	f(d(2024, 3, 1, 0), "Feb 29 10:00:00", d(2024, 2, 29, 10))                    // leap day
	f(d(2024, 3, 5, 0), "Mar  5 23:30:00", d(2024, 3, 5, 23).Add(30*time.Minute)) // later the same day (skew)
	f(d(2024, 3, 5, 0), "Mar  7 00:00:00", d(2023, 3, 7, 0))                      // two days ahead is last year's
}
