package server

import (
	"context"
	"fmt"
	"time"

	"github.com/logmart/logmart/fault"
)

// ScanCounter tells how many bytes a scan budget's holders have read
// (query.ScanLedger). Implementations are safe for concurrent use.
type ScanCounter interface {
	// BytesRead returns the bytes read by queries run since since: by user
	// when it is set, else by every caller with role.
	BytesRead(ctx context.Context, user, role string, since time.Time) (uint64, error)
}

// checkScanBudget refuses a run for p once its scan budget for the UTC
// day is spent, with a 429 that names the budget and when it renews. The
// run that crosses the budget is not stopped: the count is of what ran.
func (s *Server) checkScanBudget(ctx context.Context, p Principal) error {
	b := p.Budget
	if b.Bytes == 0 || s.deps.ScanBudgets == nil {
		return nil
	}
	now := time.Now().UTC()
	day := now.Truncate(24 * time.Hour)
	read, err := s.deps.ScanBudgets.BytesRead(ctx, b.User, b.Role, day)
	if err != nil {
		return fault.Wrap(fault.Unavailable, err)
	}
	if read < b.Bytes {
		return nil
	}
	renew := day.Add(24 * time.Hour)
	return fault.NewRateLimited(renew.Sub(now),
		"scan budget of %s is spent: %s read today of %s a day (UTC day); it renews at %s, in %s",
		b.Name, sizeText(read), sizeText(b.Bytes), renew.Format(time.RFC3339), renew.Sub(now).Round(time.Minute))
}

// sizeText writes n bytes in binary units, with the exact count when it
// is not whole.
func sizeText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for v := n / unit; v >= unit && exp < 4; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
