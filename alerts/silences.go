package alerts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Silence keeps matching transitions from being sent while it lasts; they
// are still recorded.
type Silence struct {
	ID string `json:"id"`
	// Monitor is the monitor silenced; empty matches every monitor.
	Monitor string `json:"monitor"`
	// Matchers must each equal the alert's label of that name.
	Matchers  map[string]string `json:"matchers"`
	StartsAt  time.Time         `json:"starts_at"`
	EndsAt    time.Time         `json:"ends_at"`
	Comment   string            `json:"comment"`
	CreatedBy string            `json:"created_by"`
	CreatedAt time.Time         `json:"created_at"`
}

// Matches reports whether s silences an alert of monitor with labels at t.
func (s Silence) Matches(monitor string, labels map[string]string, t time.Time) bool {
	if t.Before(s.StartsAt) || !t.Before(s.EndsAt) {
		return false
	}
	if s.Monitor != "" && s.Monitor != monitor {
		return false
	}
	for k, v := range s.Matchers {
		if labels[k] != v {
			return false
		}
	}
	return true
}

var silencesTable = table{name: "silences", structure: "id String, monitor String, matchers Map(String, String), starts_at_ms Int64, ends_at_ms Int64, " +
	"comment String, created_by String, created_at_ms Int64, deleted UInt8, version UInt64"}

// silences caches the silences in force for the evaluator.
type silences struct {
	mu  sync.Mutex
	all []Silence
}

func (c *silences) refresh(ctx context.Context, st store.Store, now time.Time) error {
	list, err := readSilences(ctx, st, now, false)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.all = list
	c.mu.Unlock()
	return nil
}

// silencedBy says what keeps a transition of m at t from being sent: a
// silence, a mute window, or nothing ("").
func (s *Service) silencedBy(m *Monitor, labels map[string]string, t time.Time) string {
	s.sil.mu.Lock()
	defer s.sil.mu.Unlock()
	for _, x := range s.sil.all {
		if x.Matches(m.ID, labels, t) {
			return "silence " + x.ID
		}
	}
	if i := muted(m.Mute, t); i >= 0 {
		return fmt.Sprintf("mute[%d]", i)
	}
	return ""
}

// muted returns the index of the mute window t falls in, or -1.
func muted(ws []MuteWindow, t time.Time) int {
	for i, w := range ws {
		loc, err := time.LoadLocation(w.Timezone)
		if err != nil {
			continue
		}
		lt := t.In(loc)
		mins := lt.Hour()*60 + lt.Minute()
		from, to := hhmm(w.From), hhmm(w.To)
		day := lt.Weekday()
		in := false
		if from < to {
			in = mins >= from && mins < to
		} else if mins >= from {
			in = true
		} else if mins < to {
			// Past midnight: the window began the day before.
			in, day = true, (day+6)%7
		}
		if in && dayListed(w.Days, day) {
			return i
		}
	}
	return -1
}

func hhmm(s string) int {
	var h, m int
	_, _ = fmt.Sscanf(s, "%d:%d", &h, &m)
	return h*60 + m
}

func dayListed(days []string, d time.Weekday) bool {
	if len(days) == 0 {
		return true
	}
	for _, x := range days {
		if weekday[x] == d {
			return true
		}
	}
	return false
}

// SilenceRequest creates a silence.
type SilenceRequest struct {
	Monitor  string            `json:"monitor"`
	Matchers map[string]string `json:"matchers"`
	// StartsAt defaults to now; EndsAt, or StartsAt + Duration, ends it.
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Duration string    `json:"duration"`
	Comment  string    `json:"comment"`
}

// MaxSilence bounds a silence's length.
const MaxSilence = 90 * 24 * time.Hour

// CreateSilence checks and stores a silence.
func (s *Service) CreateSilence(ctx context.Context, req SilenceRequest, who string) (*Silence, error) {
	now := s.now().UTC()
	x := Silence{Monitor: req.Monitor, Matchers: req.Matchers, StartsAt: req.StartsAt, EndsAt: req.EndsAt,
		Comment: strings.TrimSpace(req.Comment), CreatedBy: who, CreatedAt: now}
	if x.StartsAt.IsZero() {
		x.StartsAt = now
	}
	if req.Duration != "" {
		d, err := ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			return nil, fault.New(fault.BadInput, "duration: %q is not a positive duration (30m, 2h, 1d)", clip(req.Duration))
		}
		if !req.EndsAt.IsZero() {
			return nil, fault.New(fault.BadInput, "duration and ends_at: set one of them")
		}
		x.EndsAt = x.StartsAt.Add(d.D())
	}
	switch {
	case x.Monitor == "" && len(x.Matchers) == 0:
		return nil, fault.New(fault.BadInput, "monitor or matchers: a silence must name a monitor or at least one label; it would silence everything")
	case x.Monitor != "" && !idRe.MatchString(x.Monitor):
		return nil, fault.New(fault.BadInput, "monitor: %q is not a monitor id", clip(x.Monitor))
	case x.EndsAt.IsZero():
		return nil, fault.New(fault.BadInput, "ends_at or duration is required")
	case !x.EndsAt.After(x.StartsAt):
		return nil, fault.New(fault.BadInput, "ends_at (%s) must be after starts_at (%s)", x.EndsAt.Format(time.RFC3339), x.StartsAt.Format(time.RFC3339))
	case x.EndsAt.Sub(x.StartsAt) > MaxSilence:
		return nil, fault.New(fault.BadInput, "ends_at: a silence lasts at most %s", Duration(MaxSilence))
	case len(x.Comment) > 1000:
		return nil, fault.New(fault.BadInput, "comment: at most 1000 bytes")
	}
	for k, v := range x.Matchers {
		if !labelRe.MatchString(k) || len(v) > 256 {
			return nil, fault.New(fault.BadInput, "matchers.%s: a label name (letters, digits, _) with a value of at most 256 bytes", clip(k))
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	x.ID = hex.EncodeToString(b[:])
	if err := s.writeSilence(ctx, x, false); err != nil {
		return nil, err
	}
	s.sil.mu.Lock()
	s.sil.all = append(s.sil.all, x)
	s.sil.mu.Unlock()
	return &x, nil
}

func (s *Service) writeSilence(ctx context.Context, x Silence, deleted bool) error {
	del := 0
	if deleted {
		del = 1
	}
	return silencesTable.insert(ctx, s.st, []map[string]any{{"id": x.ID, "monitor": x.Monitor, "matchers": nonNil(x.Matchers),
		"starts_at_ms": ms(x.StartsAt), "ends_at_ms": ms(x.EndsAt), "comment": x.Comment, "created_by": x.CreatedBy,
		"created_at_ms": ms(x.CreatedAt), "deleted": del, "version": s.now().UnixNano()}})
}

// ExpireSilence ends a silence now.
func (s *Service) ExpireSilence(ctx context.Context, id string) error {
	list, err := readSilences(ctx, s.st, s.now(), true)
	if err != nil {
		return err
	}
	for _, x := range list {
		if x.ID == id {
			if err := s.writeSilence(ctx, x, true); err != nil {
				return err
			}
			return s.sil.refresh(ctx, s.st, s.now())
		}
	}
	return fault.New(fault.NotFound, "no silence %q", clip(id))
}

// Silences lists the silences in force or to come (all: ended ones of the
// last week too).
func (s *Service) Silences(ctx context.Context, all bool) ([]Silence, error) {
	return readSilences(ctx, s.st, s.now(), all)
}

func readSilences(ctx context.Context, st store.Store, now time.Time, all bool) ([]Silence, error) {
	cond := "deleted = 0 AND ends_at > fromUnixTimestamp64Milli({now:Int64})"
	if all {
		cond = "ends_at > fromUnixTimestamp64Milli({now:Int64}) - INTERVAL 7 DAY"
	}
	res, err := st.Query(ctx, store.Query{SQL: `SELECT id, monitor, matchers, toUnixTimestamp64Milli(starts_at), toUnixTimestamp64Milli(ends_at),
  comment, created_by, toUnixTimestamp64Milli(created_at) FROM silences FINAL WHERE ` + cond + ` ORDER BY starts_at`,
		Params: map[string]string{"now": fmt.Sprint(now.UnixMilli())}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the silences: %w", err)
	}
	out := make([]Silence, 0, len(res.Rows))
	for _, r := range res.Rows {
		out = append(out, Silence{ID: store.CellString(r[0]), Monitor: store.CellString(r[1]), Matchers: cellMap(r[2]),
			StartsAt: store.CellUnixMilli(r[3]), EndsAt: store.CellUnixMilli(r[4]), Comment: store.CellString(r[5]),
			CreatedBy: store.CellString(r[6]), CreatedAt: store.CellUnixMilli(r[7])})
	}
	return out, nil
}
