package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Delivery states.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

var (
	notificationsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logmart_notifications_total",
		Help: "Notification deliveries by channel and result: sent, retried (an attempt that will be repeated), failed (given up, or refused for good).",
	}, []string{"channel", "result"})
	outboxPending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_notification_outbox_pending",
		Help: "Notifications written to the outbox and not yet delivered or given up, by channel.",
	}, []string{"channel"})
)

func init() { prometheus.MustRegister(notificationsTotal, outboxPending) }

// Outbox is the durable notifier: Notify writes each event for each
// channel to the notifications table before anything is sent, and one
// worker per channel delivers that channel's rows in (seq, id) order,
// retrying with exponential backoff and jitter (honouring Retry-After)
// until give_up_after, then marking the row failed. Every attempt writes
// a newer version of the row, so a restart resumes where delivery was: a
// row marked sent is never sent again. Outcomes are written in batches of
// at most 100 or 100 ms (a chDB insert costs more than a delivery to a
// local receiver), so the one gap is a crash within 100 ms after a
// receiver accepted a delivery: that delivery is sent again, with the same
// id (X-Logmart-Delivery, and PagerDuty's dedup_key).
type Outbox struct {
	st       store.Store
	channels map[string]Channel
	cfg      OutboxConfig
	log      *slog.Logger
	// active reports whether this replica delivers (holds the lease).
	active func() bool

	wake map[string]chan struct{}
}

// NewOutbox returns the outbox over st delivering to channels.
func NewOutbox(st store.Store, channels map[string]Channel, cfg OutboxConfig, active func() bool, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if active == nil {
		active = func() bool { return true }
	}
	o := &Outbox{st: st, channels: channels, cfg: cfg, log: log, active: active, wake: map[string]chan struct{}{}}
	for name := range channels {
		o.wake[name] = make(chan struct{}, 1)
	}
	return o
}

// Has reports whether a channel of that name is configured.
func (o *Outbox) Has(name string) bool { _, ok := o.channels[name]; return ok }

// delivery is one row of the outbox.
type delivery struct {
	ID, Channel, TransitionID string
	Source, Key, Action       string
	Seq                       uint64
	CreatedAt                 time.Time
	State                     string
	Attempts                  uint32
	Status                    int
	Answer, Error             string
	NextAttempt               time.Time
	Event                     Event
	eventJSON                 string
	version                   uint64
}

// seqOf orders an event among its channel's deliveries: by its time, then
// its place among the transitions of one evaluation.
func seqOf(e Event, ord int) uint64 { return uint64(e.At.UnixMilli())*1000 + uint64(ord%1000) }

// Notify implements Notifier: one pending row per event and channel, in
// one insert. Unknown channels are BadInput and nothing is written.
func (o *Outbox) Notify(ctx context.Context, channels []string, events ...Event) error {
	for _, c := range channels {
		if !o.Has(c) {
			return fault.New(fault.BadInput, "no channel %q in alerts.channels", c)
		}
	}
	now := time.Now().UTC()
	var ds []*delivery
	for i, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("cannot encode event %s: %w", e.ID, err)
		}
		for _, c := range channels {
			ds = append(ds, &delivery{ID: e.ID + ":" + c, Channel: c, TransitionID: e.ID, Source: e.Source, Key: e.Key, Action: e.Action,
				Seq: seqOf(e, i), CreatedAt: now, State: DeliveryPending, NextAttempt: now, Event: e, eventJSON: string(b), version: 1})
		}
	}
	if len(ds) == 0 {
		return nil
	}
	if err := o.write(ctx, ds...); err != nil {
		return err
	}
	for _, c := range channels {
		o.poke(c)
	}
	return nil
}

func (o *Outbox) poke(channel string) {
	select {
	case o.wake[channel] <- struct{}{}:
	default:
	}
}

var notificationsTable = table{name: "notifications", structure: "id String, channel String, transition_id String, source String, key String, action String, " +
	"seq UInt64, created_at_ms Int64, state String, attempts UInt32, status UInt16, answer String, error String, next_attempt_ms Int64, updated_at_ms Int64, event String, version UInt64"}

// write inserts rows as they are now.
func (o *Outbox) write(ctx context.Context, ds ...*delivery) error {
	now := time.Now().UTC()
	rows := make([]map[string]any, len(ds))
	for i, d := range ds {
		rows[i] = map[string]any{"id": d.ID, "channel": d.Channel, "transition_id": d.TransitionID, "source": d.Source, "key": d.Key,
			"action": d.Action, "seq": d.Seq, "created_at_ms": ms(d.CreatedAt), "state": d.State, "attempts": d.Attempts,
			"status": d.Status, "answer": clip2(d.Answer, maxAnswer), "error": clip2(d.Error, maxAnswer),
			"next_attempt_ms": ms(d.NextAttempt), "updated_at_ms": ms(now), "event": d.eventJSON, "version": d.version}
	}
	return notificationsTable.insert(ctx, o.st, rows)
}

func clip2(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

const deliveryColumns = `id, channel, transition_id, source, key, action, seq, toUnixTimestamp64Milli(created_at), state, attempts, status, answer, error,
  toUnixTimestamp64Milli(next_attempt), event, version`

func readDelivery(r []any) (*delivery, error) {
	d := &delivery{ID: store.CellString(r[0]), Channel: store.CellString(r[1]), TransitionID: store.CellString(r[2]), Source: store.CellString(r[3]),
		Key: store.CellString(r[4]), Action: store.CellString(r[5]), Seq: store.CellUint64(r[6]), CreatedAt: store.CellUnixMilli(r[7]),
		State: store.CellString(r[8]), Attempts: uint32(store.CellUint64(r[9])), Status: int(store.CellUint64(r[10])),
		Answer: store.CellString(r[11]), Error: store.CellString(r[12]), NextAttempt: store.CellUnixMilli(r[13]),
		eventJSON: store.CellString(r[14]), version: store.CellUint64(r[15])}
	if err := json.Unmarshal([]byte(d.eventJSON), &d.Event); err != nil {
		return nil, fmt.Errorf("notification %s holds no event: %w", d.ID, err)
	}
	return d, nil
}

// pending reads a channel's next deliveries, oldest first.
func (o *Outbox) pending(ctx context.Context, channel string, limit int) ([]*delivery, error) {
	res, err := o.st.Query(ctx, store.Query{SQL: "SELECT " + deliveryColumns + `
FROM notifications FINAL WHERE channel = {c:String} AND state = 'pending' ORDER BY seq, id LIMIT {n:UInt32}`,
		Params: map[string]string{"c": channel, "n": strconv.Itoa(limit)}})
	if err != nil {
		return nil, fmt.Errorf("cannot read the notification outbox: %w", err)
	}
	out := make([]*delivery, 0, len(res.Rows))
	for _, r := range res.Rows {
		d, err := readDelivery(r)
		if err != nil {
			o.log.Warn("a notification cannot be read; it is skipped", "err", err)
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// Run delivers until ctx ends: one worker per channel, and the pending
// gauge.
func (o *Outbox) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for name, ch := range o.channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.deliverLoop(ctx, name, ch)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		o.gaugeLoop(ctx)
	}()
	wg.Wait()
}

func (o *Outbox) sleep(ctx context.Context, channel string, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-o.wake[channel]:
	}
}

func (o *Outbox) deliverLoop(ctx context.Context, name string, ch Channel) {
	for ctx.Err() == nil {
		if !o.active() {
			o.sleep(ctx, name, time.Second)
			continue
		}
		ds, err := o.pending(ctx, name, 500)
		if err != nil {
			o.log.Warn("outbox", "channel", name, "err", err)
			o.sleep(ctx, name, 2*time.Second)
			continue
		}
		if len(ds) == 0 {
			o.sleep(ctx, name, 2*time.Second)
			continue
		}
		// Outcomes are written in small batches (markBatch, markDelay):
		// a crash loses at most those marks, and their deliveries are sent
		// again with the same ids.
		var marks []*delivery
		var first time.Time
		flush := func() bool {
			if len(marks) == 0 {
				return true
			}
			if err := o.write(context.WithoutCancel(ctx), marks...); err != nil {
				o.log.Warn("outbox: cannot record deliveries", "channel", name, "n", len(marks), "err", err)
				return false
			}
			marks = marks[:0]
			return true
		}
		for _, d := range ds {
			wait, done, err := o.attempt(ctx, ch, d)
			if done {
				if len(marks) == 0 {
					first = time.Now()
				}
				marks = append(marks, d)
			}
			if (len(marks) >= markBatch || time.Since(first) >= markDelay) && !flush() {
				break
			}
			if err != nil {
				o.log.Warn("outbox: cannot record a delivery", "channel", name, "id", d.ID, "err", err)
				o.sleep(ctx, name, time.Second)
				break
			}
			if wait > 0 {
				// The head of the channel waits: later deliveries never
				// overtake it.
				if !flush() {
					break
				}
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
				case <-t.C:
				}
				t.Stop()
				break
			}
			if !o.active() || ctx.Err() != nil {
				break
			}
		}
		for !flush() && ctx.Err() == nil {
			time.Sleep(time.Second)
		}
	}
}

// How many delivery outcomes are written at once, and how long one waits
// to be written at most.
const (
	markBatch = 100
	markDelay = 100 * time.Millisecond
)

// attempt delivers d once when it is due and returns how long the
// channel must wait before its head is tried again (0: go on with the
// next delivery), and whether d is done (sent or failed) and waits to be
// recorded. A retry is recorded at once.
func (o *Outbox) attempt(ctx context.Context, ch Channel, d *delivery) (time.Duration, bool, error) {
	now := time.Now()
	if wait := d.NextAttempt.Sub(now); wait > 0 {
		return wait, false, nil
	}
	done := func(state, msg string) (time.Duration, bool, error) {
		d.State, d.Error = state, msg
		d.version = max(d.version+1, uint64(time.Now().UnixNano()))
		notificationsTotal.WithLabelValues(d.Channel, state).Inc()
		return 0, true, nil
	}
	if now.Sub(d.CreatedAt) > o.cfg.GiveUpAfter {
		return done(DeliveryFailed, fmt.Sprintf("given up after %s of retries (alerts.outbox.give_up_after); last error: %s", o.cfg.GiveUpAfter, d.Error))
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	d.Event.ID = d.ID
	s := ch.Send(sctx, d.Event)
	d.Event.ID = d.TransitionID
	cancel()
	if ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	d.Attempts++
	d.Status, d.Answer = s.Status, s.Body
	switch {
	case s.Err == nil:
		return done(DeliverySent, "")
	case s.Final:
		return done(DeliveryFailed, s.Err.Error())
	}
	d.Error = s.Err.Error()
	wait := o.backoff(d.Attempts, s.RetryAfter)
	d.NextAttempt = time.Now().Add(wait)
	notificationsTotal.WithLabelValues(d.Channel, "retried").Inc()
	return wait, false, o.record(ctx, d)
}

// backoff is the wait after the n-th failed attempt: MinBackoff doubled
// per attempt up to MaxBackoff, with up to 20% jitter, and never less
// than the receiver's Retry-After.
func (o *Outbox) backoff(n uint32, retryAfter time.Duration) time.Duration {
	d := o.cfg.MinBackoff
	for i := uint32(1); i < n && d < o.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.cfg.MaxBackoff)
	d += time.Duration(rand.Int64N(int64(d)/5 + 1))
	return max(d, retryAfter)
}

func (o *Outbox) record(ctx context.Context, d *delivery) error {
	d.version = max(d.version+1, uint64(time.Now().UnixNano()))
	return o.write(context.WithoutCancel(ctx), d)
}

func (o *Outbox) gaugeLoop(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		res, err := o.st.Query(ctx, store.Query{SQL: `SELECT channel, countIf(state = 'pending') FROM notifications FINAL GROUP BY channel`})
		if err == nil {
			for name := range o.channels {
				outboxPending.WithLabelValues(name).Set(0)
			}
			for _, r := range res.Rows {
				outboxPending.WithLabelValues(store.CellString(r[0])).Set(float64(store.CellUint64(r[1])))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
