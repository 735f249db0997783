package ingest

import (
	"fmt"
	"regexp"
	"strconv"
)

// Tiers. A stream in streams.yaml may place its rows on storage tiers by
// age:
//
//	hot: 1d           # rows stay on the hot disks for a day...
//	cold_after: 7d    # ...then warm until 7 days, then cold...
//	delete_after: 30d # ...and are deleted at 30 days (retention_days: 30)
//
// hot is how long rows stay hot, which is when they move to warm;
// warm_after says the same thing (give one, or both equal); cold_after
// moves them to cold; delete_after is retention_days written as a time. A
// tier left out is skipped: without hot or warm_after rows go from hot
// straight to cold, without either they stay hot until deleted. Ages
// count from the row's own time, or from its ingest for a backfill, as the
// retention does.
//
// Each row carries its stream's days (warm_after_days, cold_after_days,
// as it carries retention_days), and one fixed TTL (schema step 0017)
// moves it TO VOLUME 'warm' and 'cold' of the logmart_tiers storage
// policy. A change of a stream's times therefore needs no DDL: rows
// ingested from then on carry the new days; rows already stored keep
// theirs, as they keep their retention.

// tierRe is a tier time: whole days ("7d") or hours making whole days
// ("48h").
var tierRe = regexp.MustCompile(`^([0-9]{1,5})([dh])$`)

// tierDays parses a tier time into days; "" is 0 (not set).
func tierDays(key, v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	m := tierRe.FindStringSubmatch(v)
	if m == nil {
		return 0, fmt.Errorf("%s %q must be whole days such as 7d (or hours making whole days, 48h)", key, v)
	}
	n, _ := strconv.Atoi(m[1])
	if m[2] == "h" {
		if n%24 != 0 {
			return 0, fmt.Errorf("%s %q must be whole days such as 7d (or hours making whole days, 48h)", key, v)
		}
		n /= 24
	}
	if n < 1 || n > 3650 {
		return 0, fmt.Errorf("%s %q must be between 1d and 3650d", key, v)
	}
	return n, nil
}

// compileTiers checks the rule's tier times and sets warmDays, coldDays
// and, from delete_after, RetentionDays.
func (s *StreamRule) compileTiers() error {
	hot, err := tierDays("hot", s.Hot)
	if err != nil {
		return err
	}
	warm, err := tierDays("warm_after", s.WarmAfter)
	if err != nil {
		return err
	}
	cold, err := tierDays("cold_after", s.ColdAfter)
	if err != nil {
		return err
	}
	del, err := tierDays("delete_after", s.DeleteAfter)
	if err != nil {
		return err
	}
	if hot > 0 && warm > 0 && hot != warm {
		return fmt.Errorf("hot %s and warm_after %s disagree: both say when rows leave the hot tier; give one", s.Hot, s.WarmAfter)
	}
	warm = max(warm, hot)
	if del > 0 {
		if s.RetentionDays != 0 && s.RetentionDays != del {
			return fmt.Errorf("delete_after %s and retention_days %d disagree; give one", s.DeleteAfter, s.RetentionDays)
		}
		s.RetentionDays = del
	}
	keep := s.RetentionDays
	if keep == 0 {
		keep = 30
	}
	if cold > 0 && warm >= cold {
		return fmt.Errorf("cold_after %s must be later than the hot tier's end (%dd)", s.ColdAfter, warm)
	}
	for _, t := range []struct {
		key  string
		days int
	}{{"hot", warm}, {"cold_after", cold}} {
		if t.days >= keep {
			return fmt.Errorf("%s %dd must be earlier than the deletion at %dd (delete_after or retention_days)", t.key, t.days, keep)
		}
	}
	s.warmDays, s.coldDays = warm, cold
	return nil
}

// TierDays are a stream's tier times in days (0: the tier is skipped),
// for callers that show or test them.
func (s *StreamRule) TierDays() (warm, cold int) { return s.warmDays, s.coldDays }
