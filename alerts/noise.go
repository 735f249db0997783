package alerts

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/logmart/logmart/store"
)

// NoiseRow is one monitor in the noise report: what operations teams
// triage every week.
type NoiseRow struct {
	Monitor string `json:"monitor"`
	// Transitions counts every change of state; Fired the ones into
	// firing, no data or error.
	Transitions int `json:"transitions"`
	Fired       int `json:"fired"`
	// Flaps are alerts resolved within the flap window of firing.
	Flaps int `json:"flaps"`
	// FiringSeconds is the time its groups spent alerting in the window
	// (an alert still firing counts up to now).
	FiringSeconds float64 `json:"firing_seconds"`
	// Unacknowledged is the share of resolved alerts nobody acknowledged.
	Resolved       int     `json:"resolved"`
	Unacknowledged float64 `json:"unacknowledged"`
}

// Noise ranks monitors by transitions since a time (then by flaps and
// time firing), with flaps counted against the flap window.
func (s *Service) Noise(ctx context.Context, since time.Time, flap time.Duration) ([]NoiseRow, error) {
	res, err := s.st.Query(ctx, store.Query{SQL: `SELECT monitor, group_key, from_state, to_state, toUnixTimestamp64Milli(at)
FROM alert_transitions FINAL WHERE at >= fromUnixTimestamp64Milli({since:Int64}) ORDER BY monitor, group_key, at, seq`,
		Params: map[string]string{"since": strconv.FormatInt(since.UnixMilli(), 10)}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the transitions: %w", err)
	}
	acks, err := s.st.Query(ctx, store.Query{SQL: `SELECT monitor, group_key, groupArray(toUnixTimestamp64Milli(acked_at)) FROM alert_acks
WHERE acked_at >= fromUnixTimestamp64Milli({since:Int64}) GROUP BY monitor, group_key`,
		Params: map[string]string{"since": strconv.FormatInt(since.UnixMilli(), 10)}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the acknowledgements: %w", err)
	}
	acked := map[string][]time.Time{}
	for _, r := range acks.Rows {
		k := store.CellString(r[0]) + "\x00" + store.CellString(r[1])
		for _, v := range cellList(r[2]) {
			acked[k] = append(acked[k], store.CellUnixMilli(v))
		}
	}
	now := s.now()
	rows := map[string]*NoiseRow{}
	open := map[string]time.Time{} // group → when its alert fired
	unacked := map[string]int{}
	for _, r := range res.Rows {
		mon, group, from, to, at := store.CellString(r[0]), store.CellString(r[1]), store.CellString(r[2]), store.CellString(r[3]), store.CellUnixMilli(r[4])
		row := rows[mon]
		if row == nil {
			row = &NoiseRow{Monitor: mon}
			rows[mon] = row
		}
		row.Transitions++
		k := mon + "\x00" + group
		switch {
		case alerting(to) && !alerting(from):
			row.Fired++
			open[k] = at
		case !alerting(to) && alerting(from):
			start, ok := open[k]
			if !ok {
				start = since
			}
			delete(open, k)
			row.FiringSeconds += at.Sub(start).Seconds()
			row.Resolved++
			if at.Sub(start) <= flap {
				row.Flaps++
			}
			wasAcked := false
			for _, a := range acked[k] {
				if !a.Before(start) && !a.After(at) {
					wasAcked = true
				}
			}
			if !wasAcked {
				unacked[mon]++
			}
		}
	}
	for k, start := range open {
		mon := k[:indexNul(k)]
		rows[mon].FiringSeconds += now.Sub(start).Seconds()
	}
	out := make([]NoiseRow, 0, len(rows))
	for mon, r := range rows {
		if r.Resolved > 0 {
			r.Unacknowledged = float64(unacked[mon]) / float64(r.Resolved)
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Transitions != b.Transitions {
			return a.Transitions > b.Transitions
		}
		if a.Flaps != b.Flaps {
			return a.Flaps > b.Flaps
		}
		if a.FiringSeconds != b.FiringSeconds {
			return a.FiringSeconds > b.FiringSeconds
		}
		return a.Monitor < b.Monitor
	})
	return out, nil
}

func indexNul(s string) int {
	for i := range len(s) {
		if s[i] == 0 {
			return i
		}
	}
	return len(s)
}
