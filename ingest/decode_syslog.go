package ingest

import (
	"strconv"
	"strings"
	"time"
)

// parseSyslog reads a syslog line, RFC 5424 or RFC 3164 (BSD), with or
// without its <PRI>:
//
//	<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event
//	<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8
//	Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0
//	2024-03-14T15:09:26.123+01:00 web1 nginx[812]: started (rsyslog's high-precision stamp)
//
// The host fills host, the program (APP-NAME) service, and the PRI's
// severity the level (its facility is the attribute syslog.facility);
// without a PRI, a level word at the start of the message. The pid
// (PROCID) and RFC 5424's MSGID and structured data are attributes. A
// BSD time has no year: it takes the year that puts it nearest before the
// record's Kafka time.
func parseSyslog(s string, row *logRow) bool {
	rest := s
	pri := -1
	if strings.HasPrefix(rest, "<") {
		end := strings.IndexByte(rest, '>')
		if end < 2 || end > 4 {
			return false
		}
		n, err := strconv.Atoi(rest[1:end])
		if err != nil || n > 191 {
			return false
		}
		pri, rest = n, rest[end+1:]
		if len(rest) > 2 && rest[0] >= '1' && rest[0] <= '9' && (rest[1] == ' ' || rest[2] == ' ' && rest[1] >= '0' && rest[1] <= '9') {
			if !parseSyslog5424(rest[strings.IndexByte(rest, ' ')+1:], row) {
				return false
			}
			setSyslogPri(row, pri)
			return true
		}
	}
	// RFC 3164: TIMESTAMP HOSTNAME TAG[pid]: MSG.
	switch {
	case len(rest) >= 16 && rest[3] == ' ' && rest[6] == ' ' && rest[9] == ':' && rest[12] == ':' && rest[15] == ' ':
		t, err := time.Parse("Jan _2 15:04:05", rest[:15])
		if err != nil {
			return false
		}
		row.ts = withYear(t, row.fm.refMs(row)).UnixMilli()
		rest = rest[16:]
	default:
		ms, n := leadingTime(rest)
		if n == 0 || n >= len(rest) || rest[n] != ' ' {
			return false
		}
		row.ts, rest = ms, rest[n+1:]
	}
	host, after, ok := strings.Cut(rest, " ")
	if !ok || host == "" {
		return false
	}
	if strings.HasSuffix(host, ":") || strings.Contains(host, "[") {
		after = rest // no host: the tag comes first
	} else {
		row.host = host
	}
	msg := after
	if tag, m, ok := strings.Cut(after, ": "); ok && tag != "" && !strings.ContainsAny(tag, " \t") {
		prog, pid := tag, ""
		if i := strings.IndexByte(tag, '['); i > 0 && strings.HasSuffix(tag, "]") {
			prog, pid = tag[:i], tag[i+1:len(tag)-1]
		}
		row.service = prog
		if pid != "" {
			row.attrs = append(row.attrs, attr{"pid", pid})
		}
		msg = m
	} else if tag, ok := strings.CutSuffix(after, ":"); ok && !strings.ContainsAny(tag, " \t") {
		row.service, msg = tag, ""
	}
	if pri >= 0 {
		setSyslogPri(row, pri)
	} else {
		row.level = levelWord(msg)
	}
	return true
}

// setSyslogPri files a PRI: its severity as the level, its facility as an
// attribute.
func setSyslogPri(row *logRow, pri int) {
	row.level = normalizeLevel(strconv.Itoa(pri % 8))
	row.attrs = append(row.attrs, attr{"syslog.facility", strconv.Itoa(pri / 8)})
}

// parseSyslog5424 reads what follows "<PRI>VERSION ": TIMESTAMP HOSTNAME
// APP-NAME PROCID MSGID STRUCTURED-DATA [MSG], "-" for a nil value.
func parseSyslog5424(rest string, row *logRow) bool {
	var f [5]string
	for i := range f {
		v, r, ok := strings.Cut(rest, " ")
		if !ok && i < 4 {
			return false
		}
		f[i], rest = v, r
	}
	if f[0] != "-" {
		ms, n := leadingTime(f[0])
		if n != len(f[0]) {
			return false
		}
		row.ts = ms
	}
	nilv := func(v string) string {
		if v == "-" {
			return ""
		}
		return v
	}
	row.host, row.service = nilv(f[1]), nilv(f[2])
	if pid := nilv(f[3]); pid != "" {
		row.attrs = append(row.attrs, attr{"pid", pid})
	}
	if id := nilv(f[4]); id != "" {
		row.attrs = append(row.attrs, attr{"syslog.msgid", id})
	}
	if strings.HasPrefix(rest, "[") {
		n := structuredDataLen(rest)
		if n == 0 {
			return false
		}
		row.attrs = append(row.attrs, attr{"syslog.structured_data", rest[:n]})
	}
	return true
}

// structuredDataLen returns the length of the SD-ELEMENTs rest starts
// with ("[id k=\"v\"][id2 …]"), or 0 when they are not well formed.
func structuredDataLen(rest string) int {
	i := 0
	for i < len(rest) && rest[i] == '[' {
		i++
		quoted := false
		for ; i < len(rest); i++ {
			c := rest[i]
			if quoted {
				switch c {
				case '\\':
					i++
				case '"':
					quoted = false
				}
				continue
			}
			if c == '"' {
				quoted = true
			} else if c == ']' {
				break
			}
		}
		if i >= len(rest) {
			return 0
		}
		i++
	}
	return i
}
