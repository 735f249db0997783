package budgets

import (
	"strings"
	"testing"
)

const goodBudget = `id: edge
owner: sre
scope: stream == "edge" && level != "debug"
capacity: 50GiB
period: daily
reset: "06:00"
timezone: Europe/Paris
action: archive-only
thresholds: [0.85, 1]
lower_bound: 5GiB
`

// TestBudgetBadInputNamesTheField: a scope that does not compile, a
// capacity in bananas, an unknown time zone and reset 25:00 are each
// named.
func TestBudgetBadInputNamesTheField(t *testing.T) {
	b, _, err := Decode([]byte(goodBudget), "edge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := ParseAmount(b.Capacity); a.Value != 50<<30 || a.Events {
		t.Fatalf("capacity %+v", a)
	}
	for _, c := range []struct{ from, to, want string }{
		{`scope: stream == "edge" && level != "debug"`, `scope: stream ==`, "edge.yaml:3: scope: unexpected token"},
		{`scope: stream == "edge" && level != "debug"`, `scope: bytes > 5`, "edge.yaml:3: scope: unknown name bytes"},
		{"capacity: 50GiB", "capacity: 5 bananas", `edge.yaml:4: capacity: "5 bananas": unknown unit "bananas"`},
		{"capacity: 50GiB", "capacity: -5GB", `capacity: "-5GB" is not an amount`},
		{"timezone: Europe/Paris", "timezone: Mars/Olympus", `edge.yaml:7: timezone: "Mars/Olympus" is not an IANA time zone`},
		{`reset: "06:00"`, `reset: "25:00"`, `edge.yaml:6: reset: "25:00" is not a time of day`},
		{"period: daily", "period: weekly", `period: "weekly" is not minute, hourly or daily`},
		{"action: archive-only", "action: drop", `action: "drop" is not keep, stop or archive-only`},
		{"lower_bound: 5GiB", "lower_bound: 60GiB", "lower_bound: \"60GiB\" is not below the capacity"},
		{"lower_bound: 5GiB", "lower_bound: 100 events", "lower_bound: \"100 events\" counts other units"},
		{"thresholds: [0.85, 1]", "thresholds: [0.85, 2]", "thresholds[1]: 2: a threshold is a share"},
		{"owner: sre", "owner: sre\ncolour: red", `unknown key "colour"`},
	} {
		_, _, err := Decode([]byte(strings.Replace(goodBudget, c.from, c.to, 1)), "edge.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.to, err, c.want)
		}
	}
	if a, err := ParseAmount("2000000 events"); err != nil || !a.Events || a.Value != 2e6 {
		t.Errorf("events: %+v %v", a, err)
	}
}
