package alerts

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/logmart/logmart/store"
)

// coalesced runs each distinct query of a tick once: monitors that run
// the same template version with the same values over the same window
// (their window ends at the tick, so monitors on one interval share it)
// get one result, whenever in the tick their jitter places them. The
// query layer's own cache lasts templates.cache_ttl, shorter than a
// tick's spread; this lasts until the window's tick has passed by keep.
type coalesced struct {
	Templates
	keep time.Duration

	mu      sync.Mutex
	entries map[string]*runEntry
	swept   time.Time
}

type runEntry struct {
	done    chan struct{}
	res     *store.Result
	err     error
	expires time.Time
}

func newCoalesced(t Templates, keep time.Duration) *coalesced {
	return &coalesced{Templates: t, keep: keep, entries: map[string]*runEntry{}}
}

func (c *coalesced) Run(ctx context.Context, q Query) (*store.Result, error) {
	b, _ := json.Marshal([]any{q.Template, q.Version, q.Params, q.From.UnixMilli(), q.To.UnixMilli()})
	key := string(b)
	now := time.Now()
	c.mu.Lock()
	if now.Sub(c.swept) > time.Minute {
		for k, e := range c.entries {
			if !e.expires.IsZero() && now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		c.swept = now
	}
	e := c.entries[key]
	if e != nil && (e.expires.IsZero() || now.Before(e.expires)) {
		c.mu.Unlock()
		select {
		case <-e.done:
			return e.res, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e = &runEntry{done: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()
	e.res, e.err = c.Templates.Run(ctx, q)
	c.mu.Lock()
	if e.err != nil {
		// A failure is not shared beyond the runs waiting for it.
		delete(c.entries, key)
	}
	e.expires = q.To.Add(c.keep)
	if e.expires.Before(now.Add(time.Second)) {
		e.expires = now.Add(time.Second)
	}
	c.mu.Unlock()
	close(e.done)
	return e.res, e.err
}
