package query

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ParamType is a template parameter's type.
type ParamType string

// The parameter types a template may declare.
const (
	TypeString     ParamType = "string"
	TypeInt        ParamType = "int"
	TypeFloat      ParamType = "float"
	TypeBool       ParamType = "bool"
	TypeEnum       ParamType = "enum"
	TypeDuration   ParamType = "duration"
	TypeTime       ParamType = "time"
	TypeStringList ParamType = "list(string)"
	TypeIntList    ParamType = "list(int)"
)

var paramTypes = []ParamType{TypeString, TypeInt, TypeFloat, TypeBool, TypeEnum, TypeDuration, TypeTime, TypeStringList, TypeIntList}

func (t ParamType) valid() bool {
	for _, x := range paramTypes {
		if t == x {
			return true
		}
	}
	return false
}

// defaultCHType is the ClickHouse type a {name} placeholder without a type
// gets.
func (t ParamType) defaultCHType() string {
	switch t {
	case TypeInt:
		return "Int64"
	case TypeFloat:
		return "Float64"
	case TypeBool:
		return "Bool"
	case TypeDuration:
		return "UInt64"
	case TypeTime:
		return "DateTime64(3)"
	case TypeStringList:
		return "Array(String)"
	case TypeIntList:
		return "Array(Int64)"
	}
	return "String"
}

// The implicit time range every template has.
const (
	ParamFrom = "from"
	ParamTo   = "to"
)

// Limits on values.
const (
	// DefaultMaxLen caps a string value (or list item) in bytes when the
	// parameter sets no max_len.
	DefaultMaxLen = 1024
	// DefaultMaxItems caps a list's length when the parameter sets no
	// max_items.
	DefaultMaxItems = 1000
)

// intRanges are the integer ClickHouse types a value may bind as, with
// their ranges.
var intRanges = map[string][2]float64{
	"Int8": {math.MinInt8, math.MaxInt8}, "Int16": {math.MinInt16, math.MaxInt16},
	"Int32": {math.MinInt32, math.MaxInt32}, "Int64": {math.MinInt64, math.MaxInt64},
	"UInt8": {0, math.MaxUint8}, "UInt16": {0, math.MaxUint16},
	"UInt32": {0, math.MaxUint32}, "UInt64": {0, math.MaxUint64},
}

var dateTime64Re = regexp.MustCompile(`^DateTime64\(([0-9])\)$`)

// compatibleCHType normalizes a placeholder's ClickHouse type and checks
// that values of t can bind as it. It returns the type as the engine will
// see it.
func compatibleCHType(t ParamType, ch string) (string, error) {
	ch = strings.Join(strings.Fields(ch), "")
	ok := false
	switch t {
	case TypeString, TypeEnum:
		ok = ch == "String" || ch == "LowCardinality(String)"
	case TypeInt:
		_, ok = intRanges[ch]
	case TypeFloat:
		ok = ch == "Float64" || ch == "Float32"
	case TypeBool:
		ok = ch == "Bool" || ch == "UInt8"
	case TypeDuration:
		_, isInt := intRanges[ch]
		ok = isInt || ch == "Float64" || ch == "IntervalSecond" || ch == "IntervalMillisecond"
	case TypeTime:
		ok = ch == "DateTime" || dateTime64Re.MatchString(ch)
	case TypeStringList:
		ok = ch == "Array(String)" || ch == "Array(LowCardinality(String))"
	case TypeIntList:
		if inner, found := strings.CutPrefix(ch, "Array("); found && strings.HasSuffix(inner, ")") {
			_, ok = intRanges[strings.TrimSuffix(inner, ")")]
		}
	}
	if !ok {
		return "", fmt.Errorf("ClickHouse type %s cannot hold %s values (use %s)", ch, t, compatibleList(t))
	}
	return ch, nil
}

func compatibleList(t ParamType) string {
	switch t {
	case TypeString, TypeEnum:
		return "String or LowCardinality(String)"
	case TypeInt:
		return "Int8…Int64 or UInt8…UInt64"
	case TypeFloat:
		return "Float64 or Float32"
	case TypeBool:
		return "Bool or UInt8"
	case TypeDuration:
		return "UInt64 or another integer type (whole seconds), Float64 (seconds), IntervalSecond or IntervalMillisecond"
	case TypeTime:
		return "DateTime64(3), DateTime64(N) or DateTime"
	case TypeStringList:
		return "Array(String)"
	case TypeIntList:
		return "Array(Int64) or another Array of an integer type"
	}
	return "?"
}

// checkValue converts a raw value (decoded from JSON with UseNumber, or
// from YAML) into the Go value of type t: string, int64, float64, bool,
// time.Duration, time.Time, []string or []int64. Every type is accepted in
// its text form, which is what the CLI's --param and Explore's form and
// URL send: "42", "0.5", "true", "5m", "now-1h", and lists comma-separated
// ("a, b" reads as listText does). JSON numbers, bools and arrays are
// accepted too. Errors read well after `param "name": `.
func checkValue(t ParamType, v any, now time.Time) (any, error) {
	switch t {
	case TypeString, TypeEnum:
		s, ok := v.(string)
		if !ok {
			return nil, wantGot("a string", v)
		}
		return s, checkText(s)
	case TypeInt:
		return toInt(v)
	case TypeFloat:
		var f float64
		var err error
		switch x := v.(type) {
		case json.Number:
			f, err = strconv.ParseFloat(string(x), 64)
		case string:
			f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
		case float64:
			f = x
		case int:
			f = float64(x)
		case int64:
			f = float64(x)
		default:
			return nil, wantGot("a number", v)
		}
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s is not a number", show(v))
		}
		return f, nil
	case TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			// strconv's forms: true/false in any of three cases, t/f, 1/0.
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b, nil
			}
			return nil, fmt.Errorf("%s is not a bool (want true or false)", show(v))
		}
		return nil, wantGot("a bool", v)
	case TypeDuration:
		s, ok := v.(string)
		if !ok {
			return nil, wantGot(`a duration such as "5m" or "1h30m"`, v)
		}
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf(`%s is not a duration (write it like "90s", "5m" or "1h30m")`, show(v))
		}
		if d <= 0 {
			return nil, fmt.Errorf("%s is not a positive duration", show(v))
		}
		return d, nil
	case TypeTime:
		s, ok := v.(string)
		if !ok {
			return nil, wantGot("a time (RFC 3339)", v)
		}
		return ParseTime(s, now)
	case TypeStringList, TypeIntList:
		items, ok := v.([]any)
		if s, isText := v.(string); isText {
			items, ok = listText(s), true
		}
		if !ok {
			return nil, wantGot("a list", v)
		}
		if t == TypeStringList {
			out := make([]string, len(items))
			for i, it := range items {
				s, ok := it.(string)
				if !ok {
					return nil, fmt.Errorf("item %d: %w", i, wantGot("a string", it))
				}
				if err := checkText(s); err != nil {
					return nil, fmt.Errorf("item %d: %w", i, err)
				}
				out[i] = s
			}
			return out, nil
		}
		out := make([]int64, len(items))
		for i, it := range items {
			n, err := toInt(it)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			out[i] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown type %s", t)
}

// listText reads a list written as text, the way Explore URLs and the
// CLI's --param write it: items separated by commas, each trimmed of
// spaces, empty items left out ("a, b,,c" is a, b, c; " , " is no items).
// An item that holds a comma can only be sent as a JSON array.
func listText(s string) []any {
	items := []any{}
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	return items
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s is not an int", show(v))
		}
		return n, nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s is not an int", show(v))
		}
		return n, nil
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d is out of range", x)
		}
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, fmt.Errorf("%s is not an int", show(v))
		}
		return int64(x), nil
	}
	return 0, wantGot("an int", v)
}

// checkText refuses text ClickHouse would store but no person means:
// control characters other than tab and line breaks (NUL included).
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8")
	}
	for i, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return fmt.Errorf("has control character %U at byte %d", r, i)
		}
	}
	return nil
}

// wantGot says what kind of JSON value came instead of the wanted one.
func wantGot(want string, v any) error {
	return fmt.Errorf("got %s, want %s", kindOf(v), want)
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64, int, int64, uint64:
		return "a number"
	case bool:
		return "a bool"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// show quotes a value for an error message: short, with every
// non-printable or direction-changing character escaped.
func show(v any) string {
	s, ok := v.(string)
	if !ok {
		s = fmt.Sprint(v)
		if len(s) > 64 {
			s = s[:64] + "…"
		}
		return s
	}
	if utf8.RuneCountInString(s) > 48 {
		r := []rune(s)
		return strconv.QuoteToASCII(string(r[:48])) + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return strconv.QuoteToASCII(s)
}

// bindText writes a checked value as the text the engine parses as the
// placeholder type ch. Lists become ClickHouse array literals whose strings
// are quoted with doubled quotes and no backslashes, so the engine's own
// escaping of bound values reads them back byte for byte.
func bindText(t ParamType, ch string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return intText(ch, x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		if ch == "UInt8" {
			if x {
				return "1", nil
			}
			return "0", nil
		}
		return strconv.FormatBool(x), nil
	case time.Duration:
		switch ch {
		case "Float64":
			return strconv.FormatFloat(x.Seconds(), 'g', -1, 64), nil
		case "IntervalMillisecond":
			if x%time.Millisecond != 0 {
				return "", fmt.Errorf("%s is not a whole number of milliseconds", x)
			}
			return strconv.FormatInt(x.Milliseconds(), 10), nil
		default:
			if x%time.Second != 0 {
				return "", fmt.Errorf("%s is not a whole number of seconds", x)
			}
			if ch == "IntervalSecond" {
				return strconv.FormatInt(int64(x/time.Second), 10), nil
			}
			return intText(ch, int64(x/time.Second))
		}
	case time.Time:
		return timeText(ch, x), nil
	case []string:
		var b strings.Builder
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('\'')
			b.WriteString(strings.ReplaceAll(s, "'", "''"))
			b.WriteByte('\'')
		}
		b.WriteByte(']')
		return b.String(), nil
	case []int64:
		elem := strings.TrimSuffix(strings.TrimPrefix(ch, "Array("), ")")
		var b strings.Builder
		b.WriteByte('[')
		for i, n := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			s, err := intText(elem, n)
			if err != nil {
				return "", fmt.Errorf("item %d: %w", i, err)
			}
			b.WriteString(s)
		}
		b.WriteByte(']')
		return b.String(), nil
	}
	return "", fmt.Errorf("cannot bind a %s value as %s", t, ch)
}

func intText(ch string, n int64) (string, error) {
	r, ok := intRanges[ch]
	if ok && (float64(n) < r[0] || float64(n) > r[1]) {
		return "", fmt.Errorf("%d is out of range for %s (%.0f to %.0f)", n, ch, r[0], r[1])
	}
	return strconv.FormatInt(n, 10), nil
}

// timeText writes t in UTC (every engine session runs in UTC) with the
// fraction digits of a DateTime64(N), or none for DateTime.
func timeText(ch string, t time.Time) string {
	t = t.UTC()
	if m := dateTime64Re.FindStringSubmatch(ch); m != nil && m[1] != "0" {
		return t.Format("2006-01-02 15:04:05." + strings.Repeat("0", int(m[1][0]-'0')))
	}
	return t.Format("2006-01-02 15:04:05")
}

// jsonValue is v as the API shows it: durations and times as text.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Duration:
		return shortDuration(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// shortDuration writes d without zero trailing units: "5m", not "5m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
