package ingest

import (
	"strings"
	"time"
)

// parseLog4j reads the log4j layouts of Hadoop, HDFS, Spark and Zookeeper
// (and of most Java services), one parser for all of them:
//
//	2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster
//	081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating
//	17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]
//	2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200
//
// The time is "2006-01-02 15:04:05,000" (ISO 8601, '.' or ',' before the
// milliseconds, 'T' allowed), "060102 150405" (HDFS) or "06/01/02
// 15:04:05" (Spark), in UTC. A number before the level is the pid (HDFS),
// the bracketed thread is the attribute thread, and the logger before ": "
// (a dotted class name) the attribute logger.
func parseLog4j(s string, row *logRow) bool {
	ms, n := leadingTime(s)
	if n == 0 {
		ms, n = shortJavaTime(s)
		if n == 0 {
			return false
		}
	}
	row.ts = ms
	rest := strings.TrimLeft(s[n:], " ")
	if i := digitsLen(rest); i > 0 && i < len(rest) && rest[i] == ' ' {
		row.attrs = append(row.attrs, attr{"pid", rest[:i]})
		rest = strings.TrimLeft(rest[i:], " ")
	}
	rest = strings.TrimPrefix(rest, "- ")
	word, after, _ := strings.Cut(rest, " ")
	level := levelOf(strings.Trim(word, "[]"), true)
	if level == "" {
		if l := strings.ToLower(word); l == "severe" || l == "fine" || l == "finer" || l == "finest" || l == "config" {
			level = normalizeLevel(l)
		} else {
			return false
		}
	}
	row.level = level
	rest = strings.TrimLeft(after, " ")
	if strings.HasPrefix(rest, "[") {
		if end := bracketEnd(rest); end > 0 {
			row.attrs = append(row.attrs, attr{"thread", rest[1:end]})
			rest = strings.TrimLeft(rest[end+1:], " ")
		}
	}
	rest = strings.TrimPrefix(rest, "- ")
	if logger, _, ok := strings.Cut(rest, ": "); ok && isLoggerName(logger) {
		row.attrs = append(row.attrs, attr{"logger", logger})
	}
	return true
}

// shortJavaTime reads the two-digit-year stamps of HDFS ("081109 203615")
// and Spark ("17/06/09 20:10:40") at the start of s, as UTC.
func shortJavaTime(s string) (int64, int) {
	for _, layout := range [...]string{"060102 150405", "06/01/02 15:04:05"} {
		if len(s) < len(layout) || (len(s) > len(layout) && s[len(layout)] != ' ') {
			continue
		}
		if t, err := time.Parse(layout, s[:len(layout)]); err == nil {
			return t.UnixMilli(), len(layout)
		}
	}
	return 0, 0
}

// bracketEnd returns the index of the ']' that closes the '[' s starts
// with, counting nested brackets (Zookeeper's "[QuorumPeer[myid=1]/…]"),
// or 0.
func bracketEnd(s string) int {
	depth := 0
	for i := 0; i < len(s) && i < 512; i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return 0
}

// isLoggerName reports a Java logger name: letters, digits, '.', '_', '$'
// (inner classes), '-', without spaces.
func isLoggerName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '$' || c == '-') {
			return false
		}
	}
	return true
}

// digitsLen returns how many ASCII digits s starts with.
func digitsLen(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// parseKlog reads the glog/klog header of Kubernetes components:
//
//	I0102 15:04:05.123456   12345 controller.go:123] Syncing node "n1"
//
// The letter is the level (I, W, E, F), the number the pid (a thread id in
// glog), and file:line the attribute caller. The stamp has no year: it
// takes the year that puts it nearest before the record's Kafka time.
func parseKlog(s string, row *logRow) bool {
	if len(s) < 22 || strings.IndexByte("IWEF", s[0]) < 0 || s[5] != ' ' {
		return false
	}
	sp := strings.IndexByte(s[6:], ' ')
	if sp < 0 {
		return false
	}
	tend := 6 + sp
	// "0102 15:04:05.123456": time.Parse reads the fraction unasked.
	t, err := time.Parse("0102 15:04:05", s[1:tend])
	if err != nil {
		return false
	}
	row.ts = withYear(t, row.fm.refMs(row)).UnixMilli()
	row.level = normalizeLevel(s[:1])
	rest := strings.TrimLeft(s[tend:], " ")
	if i := digitsLen(rest); i > 0 {
		row.attrs = append(row.attrs, attr{"pid", rest[:i]})
		rest = strings.TrimLeft(rest[i:], " ")
	}
	if caller, _, ok := strings.Cut(rest, "] "); ok && strings.Contains(caller, ":") && !strings.Contains(caller, " ") {
		row.attrs = append(row.attrs, attr{"caller", caller})
	}
	return true
}
