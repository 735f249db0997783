package pipeline

import "time"

// partitionClock is the runner's event time: the newest event time of each
// input partition it consumes, and the watermark it derives, which is the
// slowest active partition's. A partition that is behind (a backlog being
// caught up, a replica restarting) holds event time back, so its events
// are not late merely because another partition is ahead, and its
// interactions are not made final (retention) before their own events
// arrive. A partition without records for the idle time stops holding it
// back, so one quiet partition does not stop every fact.
//
// It is not safe for concurrent use; the runner's loop owns it.
type partitionClock struct {
	parts map[home]*partitionTime
}

type partitionTime struct {
	newest int64     // newest event time seen, Unix ms
	last   time.Time // when a record of it was last consumed
}

func newPartitionClock() *partitionClock {
	return &partitionClock{parts: map[home]*partitionTime{}}
}

// observe records an event time of a record of h consumed at now.
func (c *partitionClock) observe(h home, eventTime int64, now time.Time) {
	pt := c.parts[h]
	if pt == nil {
		pt = &partitionTime{}
		c.parts[h] = pt
	}
	pt.newest = max(pt.newest, eventTime)
	pt.last = now
}

// retain forgets the partitions not in owned (revoked or lost).
func (c *partitionClock) retain(owned map[home]bool) {
	for h := range c.parts {
		if !owned[h] {
			delete(c.parts, h)
		}
	}
}

// watermark is the lowest newest event time among the partitions that had
// a record within idle of now; ok is false when none did.
func (c *partitionClock) watermark(now time.Time, idle time.Duration) (w int64, ok bool) {
	for _, pt := range c.parts {
		if now.Sub(pt.last) > idle {
			continue
		}
		if !ok || pt.newest < w {
			w, ok = pt.newest, true
		}
	}
	return w, ok
}
