package ingest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRealSamples measures the named formats on public real-world logs,
// which the repository does not hold (their licences do not allow it):
// set LOGMART_SAMPLES to a folder of Loghub's 2k samples, each as
// <System>.log beside its <System>.csv (Loghub's _structured.csv, for the
// level each line really has). It reports per format the share of lines
// with their own timestamp and with the right level, and fails below 95%
// own timestamps.
func TestRealSamples(t *testing.T) {
	dir := os.Getenv("LOGMART_SAMPLES")
	if dir == "" {
		t.Skip("LOGMART_SAMPLES names no folder of Loghub samples: nothing to measure")
	}
	kafka := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, c := range []struct{ system, format, layout string }{
		{"Apache", "apache_error", ""}, {"HDFS", "hdfs", ""}, {"Hadoop", "hadoop", ""}, {"Spark", "spark", ""},
		{"Zookeeper", "zookeeper", ""}, {"Linux", "syslog", ""}, {"Mac", "syslog", ""}, {"OpenSSH", "syslog", ""},
		{"Android", "text", "01-02 15:04:05.000"},
	} {
		lines := readLines(t, filepath.Join(dir, c.system+".log"))
		if lines == nil {
			continue
		}
		var levels []string
		if c.format != "syslog" { // BSD syslog files hold no severity (Loghub's Level column there is the host)
			levels = csvLevels(t, filepath.Join(dir, c.system+".csv"))
		}
		d := newDecoder(TopicConfig{Format: c.format, Text: TextConfig{TimestampLayout: c.layout}})
		var row logRow
		own, rightLevel, withLevel, failed := 0, 0, 0, 0
		for i, l := range lines {
			row.reset()
			row.kafkaMs = kafka
			if err := d.decode([]byte(l), &row); err != nil {
				failed++
				continue
			}
			unmatched := false
			for _, a := range row.attrs {
				unmatched = unmatched || a.k == "logmart.parse"
			}
			if row.ts != 0 && !unmatched {
				own++
			}
			if levels != nil && i < len(levels) {
				withLevel++
				if row.level == normalizeLevel(levels[i]) {
					rightLevel++
				}
			}
		}
		pct := func(a, b int) float64 { return 100 * float64(a) / float64(max(b, 1)) }
		level := "no level in the source"
		if withLevel > 0 {
			level = formatPct(pct(rightLevel, withLevel)) + " right level"
		}
		t.Logf("%-10s %-13s %d lines, %d dead letters, %s own timestamp, %s", c.system, c.format, len(lines), failed, formatPct(pct(own, len(lines))), level)
		if pct(own, len(lines)) < 95 {
			t.Errorf("%s (%s): %.1f%% own timestamps, below 95%%", c.system, c.format, pct(own, len(lines)))
		}
	}
}

func formatPct(p float64) string { return fmt.Sprintf("%.1f%%", p) }

func readLines(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Logf("cannot read %s: %v", path, err)
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if sc.Text() != "" {
			out = append(out, sc.Text())
		}
	}
	return out
}

// csvLevels reads the Level column of a Loghub structured CSV, or nil.
func csvLevels(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil
	}
	col := -1
	for i, h := range rows[0] {
		if h == "Level" {
			col = i
		}
	}
	if col < 0 {
		return nil
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[col])
	}
	return out
}
