package ingest

import (
	"fmt"
	"strings"
)

// rowString renders the filled parts of a row in a fixed order, for tests:
// columns as name=value, attributes as @key=value, values quoted.
func rowString(r *logRow) string {
	var b strings.Builder
	add := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%q", name, v)
		}
	}
	if r.ts != 0 {
		fmt.Fprintf(&b, " ts=%d", r.ts)
	}
	add("service", r.service)
	add("host", r.host)
	add("level", r.level)
	add("body", r.body)
	add("trace", r.traceID)
	add("type", r.eventType)
	add("tenant", r.tenant)
	for _, a := range r.attrs {
		fmt.Fprintf(&b, " @%s=%q", a.k, a.v)
	}
	return strings.TrimSpace(b.String())
}

// decodeString decodes in with d into a fresh row.
func decodeString(d decoder, in string) (string, error) {
	var row logRow
	row.reset()
	if err := d.decode([]byte(in), &row); err != nil {
		return "", err
	}
	return rowString(&row), nil
}
