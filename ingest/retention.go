package ingest

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Retention at ingest. A row's TTL is its stream's retention_days counted
// from its own timestamp, so a record whose time is already further back
// would be written, counted as written, and deleted by the next merge. It
// is set aside instead, as a dead letter with reason older_than_retention,
// counted in logmart_ingest_expired_records_total by stream.
//
// A backfill is the exception: a stream with backfill: true, or a record
// with the logmart-backfill header (`logmart ingest file --backfill`), is
// kept whatever its age, and its row carries retention_from_ingest = 1 so
// the TTL counts its retention from ingest_time (schema step 0011).

// dayMs is a day in milliseconds.
const dayMs = int64(24 * time.Hour / time.Millisecond)

// keeping is how one record's rows are kept: in which stream, for how many
// days, counted from when.
type keeping struct {
	stream     string
	days       uint32
	fromIngest bool
	// warm and cold are the days after which the rows move to the warm and
	// cold tiers (0: never), counted as days is (tiers.go).
	warm, cold uint32
}

// keep says how the record is kept under rule.
func (b *partBatch) keep(r *kgo.Record, rule *StreamRule) keeping {
	if b.rehydrate != nil {
		// Rehydrated rows are kept for the rehydration's retention, from now.
		return keeping{stream: rule.Name, days: b.rehydrate.days, fromIngest: true}
	}
	k := keeping{stream: rule.Name, days: uint32(rule.RetentionDays), fromIngest: rule.Backfill,
		warm: uint32(rule.warmDays), cold: uint32(rule.coldDays)}
	if k.days == 0 {
		k.days = 30
	}
	if !k.fromIngest && len(r.Headers) > 0 {
		switch header(r, HeaderBackfill) {
		case "true", "1":
			k.fromIngest = true
		}
	}
	return k
}

// check refuses a row time past the retention, unless the retention counts
// from ingest. It counts the refusal.
func (k keeping) check(ts, nowMs int64) error {
	if k.fromIngest || ts >= nowMs-int64(k.days)*dayMs {
		return nil
	}
	expiredTotal.WithLabelValues(k.stream).Inc()
	return fmt.Errorf("record time %s is older than the %d-day retention of stream %q, so the table's TTL would delete it at once; send it as a backfill (logmart-backfill header, ingest file --backfill, or backfill: true on the stream) to keep it %d days from now",
		time.UnixMilli(ts).UTC().Format(time.RFC3339), k.days, k.stream, k.days)
}

// maxBatchDays bounds the distinct days (UTC) of row times in one batch.
// The ingest tables are partitioned by day, and ClickHouse refuses an
// insert that touches more than max_partitions_per_insert_block
// partitions (100 by default): a backfill of a year was refused, and
// retried for ever. A batch is cut at 50 days rather than 100 because the
// partition key is the day in the server's time zone, and one UTC day
// spans up to two local ones. The engine's limit stays as it is: it
// guards against a part per row, and a batch of history makes one part
// per day either way.
const maxBatchDays = 50

// noteTime takes a row time into the batch's newest time and its set of
// days. Rows of one batch nearly always fall on one or two days, so the
// set is a short list checked only when the day changes.
func (b *partBatch) noteTime(ts int64) {
	b.newest = max(b.newest, ts)
	d := ts / dayMs
	if ts < 0 {
		d-- // days of times before 1970 round down too
	}
	if len(b.days) > 0 && b.days[len(b.days)-1] == d {
		return
	}
	for i, x := range b.days {
		if x == d {
			// Most recent last, so the check above finds it next time.
			copy(b.days[i:], b.days[i+1:])
			b.days[len(b.days)-1] = d
			return
		}
	}
	b.days = append(b.days, d)
}
