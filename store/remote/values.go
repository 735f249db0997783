package remote

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/chcol"
	"github.com/shopspring/decimal"
)

// jsonValue converts a value scanned by clickhouse-go into the JSON-ready
// shape store.Result promises, matching what the embedded engine's
// JSONCompact output decodes to, so callers cannot tell the engines apart:
// integers, floats and decimals as json.Number; NaN and infinities as the
// strings "nan", "inf", "-inf"; dates and times as strings in ClickHouse's
// text format at the precision chType declares; UUIDs, IPs and enums as
// strings; arrays and tuples as []any; maps and named tuples as
// map[string]any; NULL as nil.
//
// chType is the column's ClickHouse type; it only decides how times are
// printed.
func jsonValue(v any, chType string) any {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return v
	case bool:
		return v
	case json.Number:
		return v
	case int:
		return json.Number(strconv.FormatInt(int64(v), 10))
	case int8:
		return json.Number(strconv.FormatInt(int64(v), 10))
	case int16:
		return json.Number(strconv.FormatInt(int64(v), 10))
	case int32:
		return json.Number(strconv.FormatInt(int64(v), 10))
	case int64:
		return json.Number(strconv.FormatInt(v, 10))
	case uint:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case uint8:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case uint16:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case uint32:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case uint64:
		return json.Number(strconv.FormatUint(v, 10))
	case float32:
		return floatValue(float64(v), 32)
	case float64:
		return floatValue(v, 64)
	case *big.Int:
		if v == nil {
			return nil
		}
		return json.Number(v.String())
	case decimal.Decimal:
		// Without trailing zeros, as ClickHouse prints decimals by default
		// (output_format_decimal_trailing_zeros = 0): 1.50 is 1.5.
		return json.Number(v.String())
	case time.Time:
		return v.Format(timeLayout(chType))
	case time.Duration:
		return formatDuration(v, chType)
	case net.IP:
		if v == nil {
			return nil
		}
		return v.String()
	case []byte:
		// Array(UInt8) scans as []byte too; only a String column is text.
		if t := unwrap(chType); strings.HasPrefix(t, "String") || strings.HasPrefix(t, "FixedString") {
			return string(v)
		}
	case chcol.Variant:
		if v.Nil() {
			return nil
		}
		t := chType
		if v.HasType() {
			t = v.Type()
		}
		return jsonValue(v.Any(), t)
	case *chcol.Variant:
		if v == nil {
			return nil
		}
		return jsonValue(*v, chType)
	case chcol.JSON:
		return jsonValue(v.NestedMap(), chType)
	case *chcol.JSON:
		if v == nil {
			return nil
		}
		return jsonValue(v.NestedMap(), chType)
	case fmt.Stringer:
		// uuid.UUID and other text-like values. Pointers are left to
		// reflectValue, which dereferences them (NULL is a nil pointer), and
		// named numbers, slices and arrays print as what they hold.
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Struct || isByteArray(rv) {
			return v.String()
		}
	}
	return reflectValue(reflect.ValueOf(v), chType)
}

// reflectValue handles what the type switch does not name: pointers
// (Nullable), slices and arrays (Array, Tuple, geo types), maps, and named
// types over basic kinds (enums).
func reflectValue(rv reflect.Value, chType string) any {
	switch rv.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return jsonValue(rv.Elem().Interface(), chType)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return []any{}
		}
		elem := elementType(chType)
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = jsonValue(rv.Index(i).Interface(), elem)
		}
		return out
	case reflect.Map:
		key, val := mapTypes(chType)
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			out[mapKey(it.Key().Interface(), key)] = jsonValue(it.Value().Interface(), val)
		}
		return out
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(rv.Uint(), 10))
	case reflect.Float32:
		return floatValue(rv.Float(), 32)
	case reflect.Float64:
		return floatValue(rv.Float(), 64)
	}
	return fmt.Sprint(rv.Interface())
}

func isByteArray(rv reflect.Value) bool {
	return rv.Kind() == reflect.Array && rv.Type().Elem().Kind() == reflect.Uint8
}

// mapKey renders a map key as JSON object keys are: text. ClickHouse prints
// Map(UInt64, String) as {"1": "a"}.
func mapKey(k any, chType string) string {
	switch v := jsonValue(k, chType).(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	case nil:
		return "null"
	default:
		return fmt.Sprint(v)
	}
}

// floatValue prints a float the shortest way that reads back to the same
// value at its width; NaN and infinities, which JSON has no number for,
// become the strings ClickHouse prints for them.
func floatValue(f float64, bits int) any {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, bits))
}

var (
	dateTime64Re = regexp.MustCompile(`DateTime64\(\s*(\d)`)
	time64Re     = regexp.MustCompile(`Time64\(\s*(\d)`)
	dateTimeRe   = regexp.MustCompile(`DateTime\b`)
	dateRe       = regexp.MustCompile(`Date(32)?\b`)
)

// defaultTimeLayout prints times whose column type is not known, at
// millisecond precision like the DateTime64(3) columns logmart writes.
const defaultTimeLayout = "2006-01-02 15:04:05.000"

// timeLayout is the Go layout of ClickHouse's text format for the first
// date or time type in chType: Date "2006-01-02", DateTime
// "2006-01-02 15:04:05", DateTime64(P) with P fractional digits.
func timeLayout(chType string) string {
	if m := dateTime64Re.FindStringSubmatch(chType); m != nil {
		p, _ := strconv.Atoi(m[1])
		if p == 0 {
			return time.DateTime
		}
		return time.DateTime + "." + strings.Repeat("0", p)
	}
	if dateTimeRe.MatchString(chType) {
		return time.DateTime
	}
	if dateRe.MatchString(chType) {
		return time.DateOnly
	}
	return defaultTimeLayout
}

// formatDuration prints a Time or Time64(P) value as ClickHouse does:
// [-]H:MM:SS[.fff].
func formatDuration(d time.Duration, chType string) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h := int64(d / time.Hour)
	m := int64(d/time.Minute) % 60
	s := int64(d/time.Second) % 60
	out := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, s)
	if mm := time64Re.FindStringSubmatch(chType); mm != nil {
		if p, _ := strconv.Atoi(mm[1]); p > 0 {
			frac := fmt.Sprintf("%09d", int64(d%time.Second))
			out += "." + frac[:p]
		}
	}
	return out
}

// unwrap removes Nullable(…) and LowCardinality(…) around a type.
func unwrap(t string) string {
	for {
		t = strings.TrimSpace(t)
		switch {
		case strings.HasPrefix(t, "Nullable(") && strings.HasSuffix(t, ")"):
			t = t[len("Nullable(") : len(t)-1]
		case strings.HasPrefix(t, "LowCardinality(") && strings.HasSuffix(t, ")"):
			t = t[len("LowCardinality(") : len(t)-1]
		default:
			return t
		}
	}
}

// elementType is the element type of Array(T); for other types (tuples)
// the type itself, which still names the first time type inside.
func elementType(t string) string {
	t = unwrap(t)
	if strings.HasPrefix(t, "Array(") && strings.HasSuffix(t, ")") {
		return t[len("Array(") : len(t)-1]
	}
	return t
}

// mapTypes splits Map(K, V) into K and V.
func mapTypes(t string) (key, val string) {
	t = unwrap(t)
	if !strings.HasPrefix(t, "Map(") || !strings.HasSuffix(t, ")") {
		return t, t
	}
	args := splitTopLevel(t[len("Map(") : len(t)-1])
	if len(args) != 2 {
		return t, t
	}
	return args[0], args[1]
}

// splitTopLevel splits a type's argument list at commas outside
// parentheses and quotes.
func splitTopLevel(s string) []string {
	var (
		out   []string
		depth int
		quote bool
		start int
	)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote && c == '\\':
			i++
		case c == '\'':
			quote = !quote
		case quote:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}
