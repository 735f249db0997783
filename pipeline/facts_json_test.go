package pipeline

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestFactJSONMatchesEncodingJSON: the hand-written fact encoders write
// what encoding/json writes for the struct tags, byte for byte for text
// without <, > or &, and text that reads back the same for any string
// (quotes, control characters, invalid UTF-8, U+2028).
func TestFactJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	plain := []string{"", "a", "call-17", "Ada Park", "unknown:agent-3", "café ☎", "tab\there", `quo"te`, `back\slash`, "nl\nx", "\x01\x1f"}
	odd := []string{"<b>&</b>", "bad \xff utf8", "line\u2028sep", "\u2029"}
	str := func(withOdd bool) string {
		if withOdd && r.IntN(4) == 0 {
			return odd[r.IntN(len(odd))]
		}
		return plain[r.IntN(len(plain))]
	}
	ms := func() Millis {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return Millis(r.Int64N(4102444800000)) // 1970 .. 2100
		case 2:
			return Millis(time.Date(2024, 2, 29, 23, 59, 59, 999e6, time.UTC).UnixMilli())
		}
		return Millis(time.Date(2026, 12, 31, 0, 0, 0, 1e6, time.UTC).UnixMilli())
	}
	n := func() int64 { return r.Int64N(1<<40) - 1<<20 }
	for i := range 2000 {
		odd := i%2 == 1
		rows := []any{
			InteractionFact{ID: str(odd), Tenant: str(odd), Media: str(odd), Direction: str(odd), Start: ms(), End: ms(), From: str(odd), To: str(odd),
				FirstQueue: str(odd), Result: str(odd), Reason: str(odd), Campaign: str(odd), Disposition: str(odd), Resources: int(n()), Transfers: int(n()),
				Holds: int(n()), RingMs: n(), QueueMs: n(), TalkMs: n(), HoldMs: n(), ACWMs: n(), Version: r.Uint64(), Deleted: uint8(r.IntN(2))},
			ResourceFact{ID: str(odd), InteractionID: str(odd), Tenant: str(odd), Media: str(odd), ResourceType: str(odd), ResourceID: str(odd),
				ResourceKey: str(odd), ResourceName: str(odd), DN: str(odd), Queue: str(odd), Role: str(odd), Start: ms(), End: ms(),
				RingMs: n(), QueueMs: n(), TalkMs: n(), HoldMs: n(), ACWMs: n(), Result: str(odd), Reason: str(odd), Version: r.Uint64(), Deleted: uint8(r.IntN(2))},
			AgentStateFact{ID: str(odd), Tenant: str(odd), AgentID: str(odd), AgentKey: str(odd), AgentName: str(odd), Media: str(odd), State: str(odd),
				Reason: str(odd), Start: ms(), End: ms(), DurationMs: n(), Closed: str(odd), Version: r.Uint64(), Deleted: uint8(r.IntN(2))},
			SessionFact{ID: str(odd), Tenant: str(odd), AgentID: str(odd), AgentKey: str(odd), AgentName: str(odd), Media: str(odd),
				Start: ms(), End: ms(), DurationMs: n(), DNs: int(n()), Closed: str(odd), Version: r.Uint64(), Deleted: uint8(r.IntN(2))},
		}
		for _, row := range rows {
			got, err := Fact{Row: row}.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) {
				t.Fatalf("invalid JSON for %#v:\n%s", row, got)
			}
			back := reflect.New(reflect.TypeOf(row))
			if err := json.Unmarshal(got, back.Interface()); err != nil {
				t.Fatalf("%s: %v", got, err)
			}
			if want := row; !odd && !reflect.DeepEqual(back.Elem().Interface(), want) {
				t.Fatalf("read back\n%#v\nwant\n%#v", back.Elem().Interface(), want)
			}
			if odd {
				continue
			}
			// encoding/json, as the rows were written before.
			want, err := json.Marshal(plainRow(row))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
		}
	}
	// Invalid UTF-8 reads back as U+FFFD, as encoding/json writes it.
	b, _ := Fact{Row: AgentStateFact{Reason: "bad \xff"}}.MarshalJSON()
	if !strings.Contains(string(b), `"reason":"bad \ufffd"`) {
		t.Fatalf("%s", b)
	}
}

// plainRow copies a fact row into a struct type with the same fields and
// tags but no MarshalJSON method, so encoding/json encodes it by reflection.
func plainRow(row any) any {
	v := reflect.ValueOf(row)
	fields := make([]reflect.StructField, v.NumField())
	for i := range fields {
		fields[i] = v.Type().Field(i)
	}
	out := reflect.New(reflect.StructOf(fields)).Elem()
	for i := range fields {
		out.Field(i).Set(v.Field(i))
	}
	return out.Interface()
}
