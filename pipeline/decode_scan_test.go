package pipeline

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestScanMatchesEncodingJSON: every record the hand-written reader
// accepts decodes to what encoding/json (strict) gives, and the records it
// refuses are those where the two could differ or the record is wrong.
func TestScanMatchesEncodingJSON(t *testing.T) {
	f := func(raw string, wantScanned bool) {
		t.Helper()
		var got interactionRecord
		var party, target jsonParty
		scanned := scanInteraction([]byte(raw), &got, &party, &target)
		if scanned != wantScanned {
			t.Errorf("%s: scanned %v, want %v", raw, scanned, wantScanned)
			return
		}
		if !scanned {
			return
		}
		var want interactionRecord
		if err := unmarshalStrict([]byte(raw), &want); err != nil {
			t.Errorf("%s: scanned, but encoding/json refuses it: %v", raw, err)
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n scanned %+v\nencoding/json %+v", raw, got, want)
		}
	}
	f(`{"version":1,"event":"created","time":"2026-03-02T10:00:00Z","tenant":"t","call_id":"c1","from":"+15550101","to":"8000"}`, true)
	f(` { "version" : 1 , "event":"held", "consult": true, "party":{"type":"agent","id":"bob","dn":"5002"},"target":{"type":"queue","id":"q"} } `+"\n", true)
	f(`{"version":1,"reason":"Zoë"}`, false) // reason is not a field of calls
	f(`{"version":1,"from":"Zoë"}`, true)
	f(`{}`, true)
	// Given up on: encoding/json decides, or refuses.
	f(`{"Version":1}`, false)             // case-insensitive key match
	f(`{"version":1,"version":2}`, false) // repeated key
	f(`{"version":1.0}`, false)
	f(`{"version":"1"}`, false)
	f(`{"version":01}`, false)
	f(`{"version":-1}`, false)
	f(`{"version":1234567890}`, false)
	f(`{"to":"a\"b"}`, false)
	f(`{"to":null}`, false)
	f(`{"party":null}`, false)
	f(`{"to":"`+"\xff"+`"}`, false)
	f(`{"to":"a`+"\n"+`"}`, false)
	f(`{"to":"a"} {}`, false)
	f(`{"to":"a"`, false)
	f(`{"to":"a",}`, false)
	f(`{"color":"red"}`, false)
	f(`{"consult":1}`, false)
	f(`{"party":{"type":"agent","color":"red"}}`, false)
	f(`[1]`, false)
	f(``, false)
}

func TestScanAgentMatchesEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		`{"version":1,"event":"not_ready","time":"2026-03-02T10:00:00.250Z","tenant":"t","agent":"bob","dn":"5002","reason":"Lunch","call_id":"c1"}`,
		`{"version":1,"event":"ready","time":"2026-03-02T10:00:00Z","tenant":"t","agent":"bob","media":"chat","interaction_id":"i1"}`,
	} {
		var got, want agentRecord
		if !scanAgent([]byte(raw), &got) {
			t.Errorf("%s: not scanned", raw)
			continue
		}
		if err := unmarshalStrict([]byte(raw), &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n scanned %+v\nencoding/json %+v (%v)", raw, got, want, err)
		}
	}
	var r agentRecord
	if scanAgent([]byte(`{"version":1,"agent":"bob","call_id":"c1","party":{}}`), &r) {
		t.Error("an agent record with a party was scanned")
	}
}

// TestParseUTCMillisMatchesTimeParse: the fast time reader gives
// time.Parse's milliseconds for what it accepts, and leaves the rest to it.
func TestParseUTCMillisMatchesTimeParse(t *testing.T) {
	for _, v := range []string{
		"2026-03-02T10:00:00Z", "2026-03-02T10:00:00.1Z", "2026-03-02T10:00:00.25Z", "2026-03-02T10:00:00.999999999Z",
		"2024-02-29T23:59:59.999Z", "2000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2199-12-31T23:59:59.5Z", "2019-05-25T18:55:27.017Z",
		"2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-03-02T24:00:00Z", "2026-03-02T10:60:00Z",
		"2026-03-02T10:00:60Z", "2026-03-02T10:00:00.Z", "2026-03-02T10:00:00.1234567890Z", "2026-03-02T10:00:00z",
		"2026-03-02T10:00:00+01:00", "2026-03-02 10:00:00Z", "2026-03-02T10:00:00", "yesterday", "2026-3-02T10:00:00Z",
	} {
		got, ok := parseUTCMillis(v)
		tm, err := time.Parse(time.RFC3339Nano, v)
		switch {
		case ok && err != nil:
			t.Errorf("%s: fast %d, time.Parse refuses it: %v", v, got, err)
		case ok && got != tm.UnixMilli():
			t.Errorf("%s: fast %d, time.Parse %d", v, got, tm.UnixMilli())
		case !ok && err == nil && strings.HasSuffix(v, "Z") && !strings.Contains(v, ".Z"):
			t.Logf("%s: left to time.Parse", v)
		}
	}
}

// FuzzScanMatchesEncodingJSON: whatever the record, the hand-written
// reader either gives up or decodes exactly what encoding/json (strict)
// decodes; it never accepts a record encoding/json refuses.
func FuzzScanMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"event":"created","time":"2026-03-02T10:00:00Z","tenant":"t","call_id":"c1","from":"+15550101","to":"8000"}`,
		`{"version":1,"event":"held","consult":true,"party":{"type":"agent","id":"bob","dn":"5002"},"target":{"type":"queue","id":"q"}}`,
		`{"version":1,"event":"not_ready","time":"2026-03-02T10:00:00.250Z","tenant":"t","agent":"bob","dn":"5002","reason":"Zoë"}`,
		` {"version" : 12 , "to":"a"} `, `{"to":"\u00e9"}`, `{}`, `[]`, `{"version":1e0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var got, want interactionRecord
		var party, target jsonParty
		if scanInteraction(raw, &got, &party, &target) {
			if err := unmarshalStrict(raw, &want); err != nil {
				t.Fatalf("%q: scanned, but encoding/json refuses it: %v", raw, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q:\n scanned %+v\nencoding/json %+v", raw, got, want)
			}
		}
		var gotA, wantA agentRecord
		if scanAgent(raw, &gotA) {
			if err := unmarshalStrict(raw, &wantA); err != nil {
				t.Fatalf("%q: scanned as an agent record, but encoding/json refuses it: %v", raw, err)
			}
			if !reflect.DeepEqual(gotA, wantA) {
				t.Fatalf("%q:\n scanned %+v\nencoding/json %+v", raw, gotA, wantA)
			}
		}
		if ms, ok := parseUTCMillis(string(raw)); ok {
			tm, err := time.Parse(time.RFC3339Nano, string(raw))
			if err != nil || tm.UnixMilli() != ms {
				t.Fatalf("%q: fast time %d, time.Parse %v %v", raw, ms, tm, err)
			}
		}
	})
}
