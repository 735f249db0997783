package ingest

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// TextConfig configures the text format: one plain line per record, the
// whole line (without its trailing line end) as the body.
type TextConfig struct {
	// Pattern is a Go regular expression (RE2 syntax) run on each line. Its
	// named groups fill the row: timestamp, level, service, host, message
	// and trace_id (and the other built-in names, or the names in fields)
	// fill the columns, any other named group becomes an attribute. A line
	// it does not match is still stored, whole, with the attribute
	// logmart.parse=unmatched. The pattern is compiled once; a simple one
	// costs about 1µs per 100-byte line, detection about 0.2µs.
	// Default: none; a leading timestamp ("2006-01-02T15:04:05Z",
	// "2006/01/02 15:04:05,000", optionally in brackets) and a level word
	// after it (INFO, [error], level=warn) are detected without a regexp.
	Pattern string `yaml:"pattern"`
	// TimestampLayout is the Go time layout of the timestamp group, or,
	// without a pattern, of the timestamp the line starts with (for
	// example "Jan _2 15:04:05" for syslog, "2006-01-02 15:04:05,000" for
	// log4j, "060102 150405" for HDFS; a line's stamp in brackets reads
	// with the layout of what is inside them). Any Go layout that reads its
	// own reference time back is accepted. A layout without a zone reads
	// UTC; one without a year takes the year that puts the time nearest
	// before the record's Kafka timestamp (up to a day after it, for clock
	// skew). Values it does not parse are tried as for json. Default: RFC
	// 3339 and the common layouts, epoch seconds to nanoseconds.
	TimestampLayout string `yaml:"timestamp_layout"`
}

// validate checks the pattern and layout; where is the config path
// ("ingest.topics[0].text").
func (c TextConfig) validate(where string) error {
	if c.Pattern != "" {
		if _, err := compileTextPattern(c.Pattern); err != nil {
			return fmt.Errorf("%s.pattern: %w", where, err)
		}
	}
	if c.TimestampLayout != "" {
		if err := checkLayout(c.TimestampLayout); err != nil {
			return fmt.Errorf("%s.timestamp_layout %q %w", where, c.TimestampLayout, err)
		}
	}
	return nil
}

// checkLayout accepts a Go time layout that reads its own reference time
// back. A layout with no time elements writes the same text for any time:
// two times that differ in every element tell it apart. The error reads
// after the layout's name.
func checkLayout(layout string) error {
	ref := time.Date(2006, 1, 2, 15, 4, 5, 0, time.FixedZone("MST", -7*3600))
	other := time.Date(2017, 11, 28, 21, 53, 47, 123456789, time.UTC)
	if ref.Format(layout) == other.Format(layout) {
		return errors.New(`has no time elements (a Go layout like "2006-01-02 15:04:05")`)
	}
	if _, err := time.Parse(layout, ref.Format(layout)); err != nil {
		return fmt.Errorf("cannot read the times it writes: %w", err)
	}
	return nil
}

// textPatterns caches compiled patterns by source: newDecoder runs for
// every batch, and a topic's pattern should compile once per process. It
// holds only the patterns of the configuration, so it stays small.
var textPatterns sync.Map // string → *regexp.Regexp

func compileTextPattern(p string) (*regexp.Regexp, error) {
	if re, ok := textPatterns.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	textPatterns.Store(p, re)
	return re, nil
}

// textDecoder reads one plain line per record; see TextConfig.
type textDecoder struct {
	re     *regexp.Regexp // nil: detect the leading timestamp and level
	groups []string       // re's group names
	err    error          // the pattern's compile error, returned for every record
	layout string         // TextConfig.TimestampLayout
	nf     int            // whitespace-separated fields in layout
	fm     *fieldMap      // fields and layout; nil for none
}

var errEmptyLine = errors.New("line is empty")

func newTextDecoder(c TextConfig, fields FieldMap) *textDecoder {
	d := &textDecoder{layout: c.TimestampLayout, nf: len(strings.Fields(c.TimestampLayout)),
		fm: newFieldMap(fields, c.TimestampLayout)}
	if c.Pattern != "" {
		// Validate has compiled it already; a decoder built without
		// Validate sets every record aside rather than guess.
		d.re, d.err = compileTextPattern(c.Pattern)
		if d.err != nil {
			d.err = fmt.Errorf("bad text.pattern: %w", d.err)
		} else {
			d.groups = d.re.SubexpNames()
		}
	}
	return d
}

func (d *textDecoder) decode(data []byte, row *logRow) error {
	if d.err != nil {
		return d.err
	}
	d.fm.attach(row)
	line := trimEOL(data)
	if len(line) == 0 {
		return errEmptyLine
	}
	if !utf8.Valid(line) {
		return fmt.Errorf("invalid UTF-8 at byte %d: %w", invalidUTF8At(line), errBadUTF8)
	}
	s := string(line) // one copy; the groups are substrings of it
	if d.re == nil {
		d.detect(s, row)
		row.body = s
		return nil
	}
	loc := d.re.FindStringSubmatchIndex(s)
	if loc == nil {
		row.body = s
		row.attrs = append(row.attrs, attr{"logmart.parse", "unmatched"})
		return nil
	}
	for g := 1; g < len(d.groups); g++ {
		if d.groups[g] == "" || loc[2*g] < 0 {
			continue // unnamed, or did not take part in the match
		}
		row.setField(d.groups[g], s[loc[2*g]:loc[2*g+1]], kindString, true)
	}
	if row.body == "" {
		row.body = s
	}
	return nil
}

// detectWindow bounds how far into a line detect looks for a level word.
const detectWindow = 256

// detect reads the timestamp the line starts with and the level word after
// it, if any. It never fails: what it does not recognize stays in the body
// only.
func (d *textDecoder) detect(s string, row *logRow) {
	rest := s
	if d.layout != "" {
		// A bracketed stamp ("[Sun Dec 04 04:47:44 2005]") reads with the
		// layout of what is inside the brackets too.
		t := s
		bracket := strings.HasPrefix(t, "[") && !strings.HasPrefix(d.layout, "[")
		if bracket {
			t = t[1:]
		}
		if p := fieldsPrefix(t, d.nf); p != "" {
			v := p
			if bracket {
				v = strings.TrimSuffix(v, "]")
			}
			if ms, ok := parseLayout(d.layout, v, d.fm.refMs(row)); ok {
				row.ts = ms
				rest = t[len(p):]
			}
		}
	} else {
		t := rest
		bracket := strings.HasPrefix(t, "[")
		if bracket {
			t = t[1:]
		}
		if ms, n := leadingTime(t); n > 0 {
			row.ts = ms
			t = t[n:]
			if bracket && strings.HasPrefix(t, "]") {
				t = t[1:]
			}
			rest = t
		}
	}
	if len(rest) > detectWindow {
		rest = rest[:detectWindow]
	}
	row.level = levelWord(rest)
}

// levelWord finds the level among the first words of rest: "INFO",
// "ERROR:", "[error]", "[core:warn]", "level=info", or a capital V, D, I,
// W, E or F after a skipped word (Android's pid and tid). It skips words that
// are bracketed ("[main]") or only digits and punctuation (a pid, a time
// "10:00:00.123", "---"), and stops at the first other one.
func levelWord(rest string) string {
	for w := 0; w < 6; w++ {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return ""
		}
		if rest[0] == '[' {
			end := strings.IndexByte(rest, ']')
			if end < 0 || end > 64 {
				return ""
			}
			inner := strings.TrimSpace(rest[1:end])
			if i := strings.LastIndexByte(inner, ':'); i >= 0 {
				inner = inner[i+1:] // Apache's [module:level]
			}
			if l := levelOf(inner, true); l != "" {
				return l
			}
			rest = rest[end+1:]
			continue
		}
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		word := rest[:end]
		rest = rest[end:]
		for _, p := range [...]string{"level=", "lvl=", "severity="} {
			if len(word) > len(p) && strings.EqualFold(word[:len(p)], p) {
				v := strings.Trim(word[len(p):], `"'`)
				if v == "" {
					return ""
				}
				return normalizeLevel(v)
			}
		}
		if i := strings.IndexAny(word, ":,;|"); i > 0 {
			word = word[:i] // "ERROR:root:…", "INFO|…"
		}
		if l := levelOf(word, false); l != "" {
			return l
		}
		if len(word) == 1 && w > 0 && strings.IndexByte("VDIWEF", word[0]) >= 0 {
			return normalizeLevel(word) // Android's "1702  2395 D Tag: …", after the pid and tid
		}
		if strings.Trim(word, "0123456789:.,-_/+#|") != "" {
			return ""
		}
	}
	return ""
}

// levelOf returns the level w names, in any case, normalized like
// normalizeLevel does, or "". Words that often start a message ("alert",
// "err") count only in brackets. It does not allocate.
func levelOf(w string, bracketed bool) string {
	if len(w) < 3 || len(w) > 11 {
		return ""
	}
	var buf [11]byte
	lw := buf[:len(w)]
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lw[i] = c
	}
	switch string(lw) {
	case "trace":
		return "trace"
	case "debug":
		return "debug"
	case "info", "notice":
		return "info"
	case "warn", "warning":
		return "warn"
	case "error":
		return "error"
	case "fatal", "critical", "panic":
		return "fatal"
	}
	if !bracketed {
		return ""
	}
	switch string(lw) {
	case "dbg":
		return "debug"
	case "information":
		return "info"
	case "err":
		return "error"
	case "crit", "emerg", "emergency", "alert":
		return "fatal"
	}
	return ""
}

// fieldsPrefix returns s up to the end of its n-th whitespace-separated
// field, or "" when s has fewer.
func fieldsPrefix(s string, n int) string {
	i := 0
	for f := 0; f < n; f++ {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			return ""
		}
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			i++
		}
	}
	return s[:i]
}

// leadingTime reads the timestamp s starts with, "2006-01-02T15:04:05"
// with '-' or '/' in the date, 'T' or ' ' before the time, an optional
// fraction after '.' or ',' and an optional zone (Z, ±07:00, ±0700, ±07;
// UTC without one). It returns the time and its length, or 0, 0.
func leadingTime(s string) (int64, int) {
	if len(s) < 19 {
		return 0, 0
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	sep := s[4]
	if (sep != '-' && sep != '/') || s[7] != sep || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return 0, 0
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 60 {
		return 0, 0
	}
	i := 19
	nsec := 0
	if i+1 < len(s) && (s[i] == '.' || s[i] == ',') && s[i+1] >= '0' && s[i+1] <= '9' {
		i++
		scale := 100_000_000
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			nsec += int(s[i]-'0') * scale
			scale /= 10
		}
	}
	offset := 0
	switch {
	case i < len(s) && (s[i] == 'Z' || s[i] == 'z'):
		i++
	case i+3 <= len(s) && (s[i] == '+' || s[i] == '-') && num(i+1, 2) >= 0:
		h, m := num(i+1, 2), 0
		n := 3
		switch {
		case i+6 <= len(s) && s[i+3] == ':' && num(i+4, 2) >= 0:
			m, n = num(i+4, 2), 6
		case i+5 <= len(s) && num(i+3, 2) >= 0:
			m, n = num(i+3, 2), 5
		}
		if h > 23 || m > 59 {
			return 0, 0
		}
		offset = (h*60 + m) * 60
		if s[i] == '-' {
			offset = -offset
		}
		i += n
	}
	if i < len(s) {
		if c := s[i]; c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			return 0, 0 // not where the timestamp ends
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.UnixMilli() - int64(offset)*1000, i
}
