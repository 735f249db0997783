package remote

import (
	"encoding/json"
	"math"
	"math/big"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/chcol"
	"github.com/google/uuid"
	"github.com/paulmach/orb"
	"github.com/shopspring/decimal"
)

// enum stands for a named string type a driver may scan into.
type enum string

func TestJSONValue(t *testing.T) {
	f := func(v any, chType string, want any) {
		t.Helper()
		got := jsonValue(v, chType)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("jsonValue(%#v, %q) = %#v, want %#v", v, chType, got, want)
		}
	}
	n := func(s string) json.Number { return json.Number(s) }
	s := "text"
	var nilString *string
	var nilBig *big.Int
	at := time.Date(2026, 11, 21, 10, 0, 0, 999_123_456, time.UTC)

	f(nil, "Nullable(Nothing)", nil)
	f("text", "String", "text")
	f(&s, "Nullable(String)", "text")
	f(nilString, "Nullable(String)", nil)
	f(true, "Bool", true)
	f(int8(-8), "Int8", n("-8"))
	f(int16(-16), "Int16", n("-16"))
	f(int32(-32), "Int32", n("-32"))
	f(int64(math.MinInt64), "Int64", n("-9223372036854775808"))
	f(uint8(255), "UInt8", n("255"))
	f(uint16(65535), "UInt16", n("65535"))
	f(uint32(4294967295), "UInt32", n("4294967295"))
	f(uint64(math.MaxUint64), "UInt64", n("18446744073709551615"))
	f(float64(0.1), "Float64", n("0.1"))
	f(float32(0.1), "Float32", n("0.1"))
	f(float64(1e21), "Float64", n("1e+21"))
	f(float64(-2.5), "Float64", n("-2.5"))
	f(math.NaN(), "Float64", "nan")
	f(math.Inf(1), "Float64", "inf")
	f(float32(math.Inf(-1)), "Float32", "-inf")
	huge, _ := new(big.Int).SetString("-170141183460469231731687303715884105728", 10)
	f(huge, "Int128", n("-170141183460469231731687303715884105728"))
	f(nilBig, "Nullable(Int128)", nil)
	f(decimal.New(150, -2), "Decimal(9, 2)", n("1.5"))
	f(decimal.New(-5, -3), "Decimal(18, 3)", n("-0.005"))
	f(decimal.New(42, 0), "Decimal(9, 0)", n("42"))

	f(at, "DateTime64(3)", "2026-11-21 10:00:00.999")
	f(at, "DateTime64(3, 'UTC')", "2026-11-21 10:00:00.999")
	f(at, "Nullable(DateTime64(6, 'Europe/Berlin'))", "2026-11-21 10:00:00.999123")
	f(at, "DateTime64(9)", "2026-11-21 10:00:00.999123456")
	f(at, "DateTime64(0)", "2026-11-21 10:00:00")
	f(at, "DateTime", "2026-11-21 10:00:00")
	f(at, "DateTime('UTC')", "2026-11-21 10:00:00")
	f(at, "Date", "2026-11-21")
	f(at, "Date32", "2026-11-21")
	f(at, "LowCardinality(Nullable(Date))", "2026-11-21")
	f(at, "", "2026-11-21 10:00:00.999")
	f(&at, "Nullable(DateTime)", "2026-11-21 10:00:00")
	// A time prints in its own zone, as the server prints a column with a
	// time zone.
	berlin := time.FixedZone("CET", 3600)
	f(at.In(berlin), "DateTime('Europe/Berlin')", "2026-11-21 11:00:00")

	f(90*time.Minute+5*time.Second, "Time", "01:30:05")
	f(-(90*time.Minute + 5*time.Second + 250*time.Millisecond), "Time64(3)", "-01:30:05.250")
	f(100*time.Hour, "Time", "100:00:00")

	f(uuid.MustParse("61f0c404-5cb3-11e7-907b-a6006ad3dba0"), "UUID", "61f0c404-5cb3-11e7-907b-a6006ad3dba0")
	f(net.ParseIP("10.1.2.3").To4(), "IPv4", "10.1.2.3")
	f(net.ParseIP("2001:db8::1"), "IPv6", "2001:db8::1")
	f(enum("warn"), "Enum8('info' = 1, 'warn' = 2)", "warn")
	f([]byte("raw"), "String", "raw")
	f([]byte("ab\x00"), "FixedString(3)", "ab\x00")

	f([]int64{1, -2}, "Array(Int64)", []any{n("1"), n("-2")})
	f([]string{}, "Array(String)", []any{})
	f([]string(nil), "Array(String)", []any{})
	f([][]uint8{{1}, {}}, "Array(Array(UInt8))", []any{[]any{n("1")}, []any{}})
	f([]time.Time{at}, "Array(DateTime)", []any{"2026-11-21 10:00:00"})
	f([]*string{&s, nil}, "Array(Nullable(String))", []any{"text", nil})
	f(map[string]string{"k": "v"}, "Map(String, String)", map[string]any{"k": "v"})
	f(map[string]uint64{"a": 1}, "Map(LowCardinality(String), UInt64)", map[string]any{"a": n("1")})
	f(map[uint64]string{7: "x"}, "Map(UInt64, String)", map[string]any{"7": "x"})
	f(map[string]time.Time{"t": at}, "Map(String, DateTime64(3))", map[string]any{"t": "2026-11-21 10:00:00.999"})
	f(map[time.Time]string{at: "x"}, "Map(Date, String)", map[string]any{"2026-11-21": "x"})
	f(map[string][]float64{"a": {0.5}}, "Map(String, Array(Float64))", map[string]any{"a": []any{n("0.5")}})
	f([]any{"a", uint8(1), nil}, "Tuple(String, UInt8, Nullable(String))", []any{"a", n("1"), nil})
	f(map[string]any{"x": int32(1), "y": "b"}, "Tuple(x Int32, y String)", map[string]any{"x": n("1"), "y": "b"})
	f(orb.Point{1.5, -2}, "Point", []any{n("1.5"), n("-2")})
	f(orb.Ring{{0, 0}, {1, 1}}, "Ring", []any{[]any{n("0"), n("0")}, []any{n("1"), n("1")}})

	f(chcol.NewVariantWithType(int64(5), "Int64"), "Variant(Int64, String)", n("5"))
	f(chcol.NewVariant(nil), "Variant(Int64, String)", nil)
	f(chcol.NewDynamicWithType(at, "DateTime"), "Dynamic", "2026-11-21 10:00:00")
	j := chcol.NewJSON()
	j.SetValueAtPath("a.b", int64(1))
	j.SetValueAtPath("c", "d")
	f(j, "JSON", map[string]any{"a": map[string]any{"b": n("1")}, "c": "d"})
	f(*j, "JSON", map[string]any{"a": map[string]any{"b": n("1")}, "c": "d"})
}

func TestJSONValueMarshalsLikeTheEmbeddedEngine(t *testing.T) {
	// One row of mixed values encodes to what JSONCompact would have given.
	at := time.Date(2026, 11, 21, 10, 0, 0, 5_000_000, time.UTC)
	row := []any{
		jsonValue(uint64(math.MaxUint64), "UInt64"),
		jsonValue(0.25, "Float64"),
		jsonValue(math.NaN(), "Float64"),
		jsonValue(at, "DateTime64(3)"),
		jsonValue(map[string]string{"k": "v"}, "Map(String, String)"),
		jsonValue([]uint32{1, 2}, "Array(UInt32)"),
		jsonValue((*string)(nil), "Nullable(String)"),
		jsonValue(decimal.New(1234, -2), "Decimal(10, 2)"),
	}
	b, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	want := `[18446744073709551615,0.25,"nan","2026-11-21 10:00:00.005",{"k":"v"},[1,2],null,12.34]`
	if string(b) != want {
		t.Fatalf("row encodes as\n%s\nwant\n%s", b, want)
	}
}

func TestTimeLayout(t *testing.T) {
	f := func(chType, want string) {
		t.Helper()
		if got := timeLayout(chType); got != want {
			t.Errorf("timeLayout(%q) = %q, want %q", chType, got, want)
		}
	}
	f("DateTime64(3)", "2006-01-02 15:04:05.000")
	f("DateTime64( 6 , 'UTC')", "2006-01-02 15:04:05.000000")
	f("DateTime64(0)", "2006-01-02 15:04:05")
	f("DateTime", "2006-01-02 15:04:05")
	f("Nullable(DateTime('Asia/Tokyo'))", "2006-01-02 15:04:05")
	f("Date", "2006-01-02")
	f("Array(Date32)", "2006-01-02")
	f("String", "2006-01-02 15:04:05.000")
}

func TestTypeSplitting(t *testing.T) {
	f := func(chType, key, val string) {
		t.Helper()
		k, v := mapTypes(chType)
		if k != key || v != val {
			t.Errorf("mapTypes(%q) = %q, %q; want %q, %q", chType, k, v, key, val)
		}
	}
	f("Map(String, String)", "String", "String")
	f("Map(LowCardinality(String), Map(String, DateTime64(3, 'UTC')))", "LowCardinality(String)", "Map(String, DateTime64(3, 'UTC'))")
	f("Nullable(Map(String, Enum8('a,b' = 1, 'c)' = 2)))", "String", "Enum8('a,b' = 1, 'c)' = 2)")
	f("Array(String)", "Array(String)", "Array(String)")

	if got := elementType("Array(Nullable(DateTime64(3)))"); got != "Nullable(DateTime64(3))" {
		t.Errorf("elementType = %q", got)
	}
	if got := elementType("Tuple(a DateTime)"); got != "Tuple(a DateTime)" {
		t.Errorf("elementType = %q", got)
	}
}
