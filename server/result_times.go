package server

import (
	"regexp"
	"strings"
	"time"

	"github.com/logmart/logmart/store"
)

// The API writes every time with its zone. ClickHouse's JSON writes a
// DateTime or DateTime64 cell as zone-less text ("2026-11-21 10:00:00.123")
// in the column's zone: the zone the type names, else the session's, which
// logmart runs in UTC. zonedTimes rewrites those cells as RFC 3339 with the
// offset ("2026-11-21T10:00:00.123Z"), so no client has to guess the zone.
// Dates (no time of day) stay as they are.

var (
	timeColumnRe = regexp.MustCompile(`^(?:Nullable\()?(?:LowCardinality\()?DateTime(?:64)?(?:\((?:\d+\s*,\s*)?'([^']+)'\)|\(\d+\))?\)*$`)
	zonelessRe   = regexp.MustCompile(`^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)?$`)
)

// cellZone is the zone a time column's cells are written in, or nil for a
// column that is not a DateTime.
func cellZone(typ string) *time.Location {
	m := timeColumnRe.FindStringSubmatch(strings.TrimSpace(typ))
	if m == nil {
		return nil
	}
	if m[1] == "" || m[1] == "UTC" || m[1] == "Etc/UTC" {
		return time.UTC
	}
	loc, err := time.LoadLocation(m[1])
	if err != nil {
		return time.UTC
	}
	return loc
}

// zonedTimes returns rows with every zone-less time cell written as RFC
// 3339 with its offset. rows itself is never changed (results are shared
// through the cache); without a time column it is returned as it is.
func zonedTimes(cols []store.Column, rows [][]any) [][]any {
	zones := make([]*time.Location, len(cols))
	hasTime := false
	for i, c := range cols {
		zones[i] = cellZone(c.Type)
		hasTime = hasTime || zones[i] != nil
	}
	if !hasTime {
		return rows
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		nr := make([]any, len(r))
		copy(nr, r)
		for j := range nr {
			if j < len(zones) && zones[j] != nil {
				if s, ok := nr[j].(string); ok {
					nr[j] = zonedTime(s, zones[j])
				}
			}
		}
		out[i] = nr
	}
	return out
}

// zonedTime writes one cell; text that is not a zone-less time stays.
func zonedTime(s string, loc *time.Location) string {
	m := zonelessRe.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", m[1]+" "+m[2], loc)
	if err != nil {
		return s
	}
	zone := t.Format("Z07:00")
	return m[1] + "T" + m[2] + m[3] + zone
}
