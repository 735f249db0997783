package archive

import (
	"encoding/base64"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Line is one archived record as read back: the fields of its NDJSON line.
type Line struct {
	// Time is the record's own time (the row's timestamp; the Kafka time
	// for a record that did not decode). The object's dt and hour are it.
	Time       time.Time         `json:"time"`
	Stream     string            `json:"stream"`
	Topic      string            `json:"topic"`
	Partition  int32             `json:"partition"`
	Offset     int64             `json:"offset"`
	KafkaTime  time.Time         `json:"kafka_time"`
	IngestTime time.Time         `json:"ingest_time"`
	Headers    map[string]string `json:"headers,omitempty"`
	// Raw is the record's value as a string when it is valid UTF-8, else
	// its base64 (RawBase64).
	Raw       string `json:"raw"`
	RawBase64 bool   `json:"raw_base64,omitempty"`
}

// Value returns the record's original bytes.
func (l *Line) Value() ([]byte, error) {
	if !l.RawBase64 {
		return []byte(l.Raw), nil
	}
	v, err := base64.StdEncoding.DecodeString(l.Raw)
	if err != nil {
		return nil, fmt.Errorf("archived record %s/%d/%d: raw is not base64: %w", l.Topic, l.Partition, l.Offset, err)
	}
	return v, nil
}

// timeLayout is the times' format: RFC 3339 in UTC with milliseconds,
// which ClickHouse's best-effort parsing and every JSON tool read.
const timeLayout = "2006-01-02T15:04:05.000Z"

// appendLine appends r's line, ending in a newline. ingest is the ingest
// time already formatted (the same for every record of a poll).
func appendLine(dst []byte, stream string, ts int64, r *kgo.Record, ingest []byte) []byte {
	dst = append(dst, `{"time":"`...)
	dst = appendTime(dst, ts)
	dst = append(dst, `","stream":`...)
	dst = appendString(dst, stream)
	dst = append(dst, `,"topic":`...)
	dst = appendString(dst, r.Topic)
	dst = append(dst, `,"partition":`...)
	dst = appendInt(dst, int64(r.Partition))
	dst = append(dst, `,"offset":`...)
	dst = appendInt(dst, r.Offset)
	dst = append(dst, `,"kafka_time":"`...)
	dst = appendTime(dst, r.Timestamp.UnixMilli())
	dst = append(dst, `","ingest_time":"`...)
	dst = append(dst, ingest...)
	dst = append(dst, '"')
	if len(r.Headers) > 0 {
		n := 0
		for _, h := range r.Headers {
			if !utf8.ValidString(h.Key) || !utf8.Valid(h.Value) {
				continue
			}
			if n == 0 {
				dst = append(dst, `,"headers":{`...)
			} else {
				dst = append(dst, ',')
			}
			n++
			dst = appendString(dst, h.Key)
			dst = append(dst, ':')
			dst = appendString(dst, h.Value)
		}
		if n > 0 {
			dst = append(dst, '}')
		}
	}
	dst = append(dst, `,"raw":`...)
	if utf8.Valid(r.Value) {
		dst = appendString(dst, r.Value)
		return append(dst, "}\n"...)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, r.Value)
	return append(dst, `","raw_base64":true}`+"\n"...)
}

// appendTime appends ms as timeLayout does, for years 0 to 9999, in
// arithmetic rather than AppendFormat, which took 6% of ingest's CPU for
// the two times of every line.
func appendTime(dst []byte, ms int64) []byte {
	day := ms / dayMs
	if ms < 0 && ms%dayMs != 0 {
		day--
	}
	y, mo, d := time.UnixMilli(day * dayMs).UTC().Date()
	dst = append(dst, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T')
	in := ms - day*dayMs
	h, m, sec, milli := in/3_600_000, in/60_000%60, in/1000%60, in%1000
	return append(dst, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.', byte('0'+milli/100), byte('0'+milli/10%10), byte('0'+milli%10), 'Z')
}

// dayMs is a day in milliseconds.
const dayMs = 24 * hourMs

func appendInt(dst []byte, v int64) []byte {
	var buf [20]byte
	i := len(buf)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	for {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return append(dst, buf[i:]...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s, valid UTF-8, as a JSON string: quotes,
// backslashes and control characters escaped, everything else as is.
func appendString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
