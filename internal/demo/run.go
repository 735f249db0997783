package demo

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Stats counts what a Run delivered: records Kafka acknowledged, by topic.
type Stats struct {
	Logs, Events, Metrics int64
	// Bytes is the sum of acknowledged record values.
	Bytes int64
	// Elapsed is the wall-clock time from the first record to the last
	// acknowledgement.
	Elapsed time.Duration
}

// Records is the number of acknowledged records across all topics.
func (s Stats) Records() int64 { return s.Logs + s.Events + s.Metrics }

const (
	// maxInFlight bounds the records produced but not yet acknowledged, so a
	// slow broker slows the demo down instead of growing its memory.
	maxInFlight = 8192
	// flushTimeout bounds the wait for the last acknowledgements after the
	// run stops, including when its context was cancelled.
	flushTimeout = 30 * time.Second
)

// Run produces demo traffic through cl until cfg.Events records were
// produced, cfg.Duration passed, or ctx is cancelled, then waits for every
// produced record to be acknowledged (up to 30s). A cancelled ctx is a
// normal stop: Run returns a nil error with what was delivered.
//
// Records are produced asynchronously with at most 8192 in flight, at
// cfg.Rate per second on an absolute schedule, so a stall is caught up
// afterwards rather than lost. Each record carries a content-type header.
// The first record Kafka rejects stops the run with an error naming its
// topic. cl is only produced to; its options (acks, compression, auto topic
// creation) are the caller's. log may be nil.
func Run(ctx context.Context, cl *kgo.Client, cfg Config, log *slog.Logger) (Stats, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	cfg = cfg.withDefaults()
	g := NewGenerator(cfg)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.Duration > 0 {
		limit := cfg.Duration
		if cfg.Rate > 0 {
			// The schedule ends the run after the records due within
			// Duration; the deadline only bounds a broker that fell behind.
			limit += time.Second
		}
		runCtx, cancel = context.WithTimeout(runCtx, limit)
		defer cancel()
	}
	// Records already handed to the client are delivered even when ctx is
	// cancelled; a rejected record cancels the rest.
	prodCtx, failProd := context.WithCancel(context.WithoutCancel(ctx))
	defer failProd()

	var (
		logs, events, metrics, bytes atomic.Int64
		errMu                        sync.Mutex
		prodErr                      error
		sem                          = make(chan struct{}, maxInFlight)
		headers                      = map[string][]kgo.RecordHeader{}
	)
	for _, ct := range []string{ContentTypeJSON, ContentTypePrometheus} {
		headers[ct] = []kgo.RecordHeader{{Key: "content-type", Value: []byte(ct)}}
	}
	promise := func(r *kgo.Record, err error) {
		<-sem
		if err != nil {
			errMu.Lock()
			if prodErr == nil {
				prodErr = fmt.Errorf("cannot produce to %q: %w", r.Topic, err)
				failProd()
			}
			errMu.Unlock()
			return
		}
		switch r.Topic {
		case cfg.LogsTopic:
			logs.Add(1)
		case cfg.EventsTopic:
			events.Add(1)
		default:
			metrics.Add(1)
		}
		bytes.Add(int64(len(r.Value)))
	}

	firstErr := func() error {
		errMu.Lock()
		defer errMu.Unlock()
		return prodErr
	}

	log.Info("demo traffic started", "rate", cfg.Rate, "events", cfg.Events, "duration", cfg.Duration, "seed", cfg.Seed,
		"topics", []string{cfg.LogsTopic, cfg.EventsTopic, cfg.MetricsTopic})
	begin := time.Now()
	var timer *time.Timer
	incidents := 0
	var n int64
loop:
	for ; cfg.Events == 0 || n < int64(cfg.Events); n++ {
		if cfg.Rate > 0 {
			// Absolute schedule: record n is due n/Rate after begin.
			due := begin.Add(time.Duration(n) * time.Second / time.Duration(cfg.Rate))
			if cfg.Duration > 0 && due.Sub(begin) >= cfg.Duration {
				break // exactly Rate×Duration records, however late the timer fires
			}
			if d := time.Until(due); d > time.Millisecond {
				if timer == nil {
					timer = time.NewTimer(d)
				} else {
					timer.Reset(d)
				}
				select {
				case <-timer.C:
				case <-runCtx.Done():
					break loop
				case <-prodCtx.Done():
					break loop
				}
			}
		}
		select {
		case sem <- struct{}{}:
		case <-runCtx.Done():
			break loop
		case <-prodCtx.Done():
			break loop
		}
		if runCtx.Err() != nil || prodCtx.Err() != nil {
			<-sem
			break
		}
		rec := g.Next()
		if g.incidents != incidents {
			incidents = g.incidents
			log.Info("demo incident started", "service", services[g.incSvc].name, "region", regions[g.incRegion].name,
				"until", g.incUntil.UTC().Format(time.RFC3339))
		}
		cl.Produce(prodCtx, &kgo.Record{
			Topic:     rec.Topic,
			Key:       []byte(rec.Key),
			Value:     rec.Value,
			Timestamp: rec.Timestamp,
			Headers:   headers[rec.ContentType],
		}, promise)
	}

	// Wait for every record handed to the client: flush, then take every
	// in-flight slot back, which only succeeds once every promise ran.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer fcancel()
	flushErr := cl.Flush(fctx)
	for i := 0; i < cap(sem) && flushErr == nil; i++ {
		select {
		case sem <- struct{}{}:
		case <-fctx.Done():
			flushErr = fctx.Err()
		}
	}
	st := Stats{Logs: logs.Load(), Events: events.Load(), Metrics: metrics.Load(), Bytes: bytes.Load(), Elapsed: time.Since(begin)}
	log.Info("demo traffic stopped", "produced", n, "acknowledged", st.Records(), "bytes", st.Bytes, "elapsed", st.Elapsed)

	if err := firstErr(); err != nil {
		return st, err
	}
	if flushErr != nil {
		return st, fmt.Errorf("cannot deliver the last demo records within %s: %w", flushTimeout, flushErr)
	}
	return st, nil
}
