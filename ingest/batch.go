package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/store"
)

// A fetched record's path through its partition's batch: add decodes it,
// routes it to a stream and appends it to the batch's columns, or sets it
// aside as a dead letter; the batch is cut (cut.go), its range recorded
// (ledger.go), and write stores it with tokens built from that range.

// Record headers a producer can set to steer one record; `logmart ingest
// file` sets them.
const (
	HeaderStream = "logmart-stream"
	HeaderFormat = "logmart-format"
	HeaderSource = "logmart-source"
	// HeaderBackfill "true" (or "1") asks for the record to be kept whatever
	// its age, its retention counted from ingest (see StreamRule.Backfill).
	HeaderBackfill = "logmart-backfill"
)

// Dead-letter reasons, also the reason label of
// logmart_ingest_invalid_records_total.
const (
	ReasonMalformed   = "malformed"
	ReasonInvalidUTF8 = "invalid_utf8"
	ReasonTooLarge    = "too_large"
	ReasonWrongType   = "wrong_type"
	// ReasonOlderThanRetention: the record's own time is further back than
	// its stream's retention, so the table's TTL would delete it at once.
	ReasonOlderThanRetention = "older_than_retention"
	// ReasonInsertRefused: ClickHouse refused the batch the record was in,
	// for a reason retrying cannot change; the error is the engine's.
	ReasonInsertRefused = "insert_refused"
)

// intent is a batch's offset range as recorded before the batch is written:
// in the partition's Kafka commit metadata (ledger.go). Builds before those
// recorded it as a row of ingest_batches, which is now only read, as a
// fallback (loadIntents).
type intent struct{ first, last int64 }

// partBatch is one partition's records on their way to ClickHouse. Its
// offset range [first, last] names it: the deduplication token of each
// insert is built from it.
type partBatch struct {
	t         TopicConfig
	topic     string
	partition int32
	maxBytes  int
	started   time.Time
	first     int64
	last      int64
	epoch     int32
	n, bytes  int
	newest    int64
	days      []int64 // the distinct days of row times, newest last (noteTime)
	// quiet is how long the consumer has waited for more of the
	// partition's records since the last one, and caughtUp whether that one
	// was the partition's newest as of its fetch: a batch is written early
	// when both say the partition has gone quiet. Time spent decoding or
	// waiting for a writer does not count as quiet.
	quiet    time.Duration
	caughtUp bool
	// forced is the range recorded for this batch by an earlier consumer that
	// may have written it: the batch must end exactly there.
	forced *intent
	// insertTime is how long the last successful write took.
	insertTime time.Duration
	// refused is set when ClickHouse refused the batch's rows and its
	// records became dead letters (setAside): only those are written.
	refused bool
	// arch gathers the batch's records for the archive (nil: the archive is
	// off, or the batch is a part of another that archives them, split).
	// recStream and recTime are where the record being added is archived:
	// its stream and own time once decoding knows them, else its topic's
	// stream and its Kafka time.
	arch *archive.Batch
	// budgets decides each record's fate (nil: no budgets); noArchive is
	// set for a record they drop, which is not archived either.
	budgets   Budgets
	noArchive bool
	recStream string
	recTime   int64
	// rehydrate is set on a batch of archived records being stored again
	// (rehydrate.go): their rows carry the job and its retention, and
	// records that do not decode are counted rather than stored again as
	// dead letters.
	rehydrate *rehydrating

	routes   *Router
	decs     map[string]decoder // by format
	dec      decoder            // decs[t.Format], once made
	row      logRow
	env      RouteEnv
	samples  []sample
	logs     *logColumns
	events   *eventColumns
	metrics  *metricColumns
	dead     *deadColumns
	deadRecs []*kgo.Record // for the dead-letter topic
}

// newPartBatch starts a partition's batch for its topic's table, with
// column sets already grown to the last batch's size (logs).
func newPartBatch(t TopicConfig, partition int32, maxBytes int, routes *Router) *partBatch {
	b := &partBatch{t: t, topic: t.Topic, partition: partition, maxBytes: maxBytes, first: -1,
		dead: newDeadColumns(), routes: routes, decs: map[string]decoder{}}
	switch t.Table {
	case "logs":
		b.logs = getLogColumns()
	case "events":
		b.events = newEventColumns()
	case "metrics":
		b.metrics = newMetricColumns()
	}
	return b
}

// add takes one fetched record into the batch: as rows of the batch's
// table, or as a dead letter saying why not. Everything kept is copied out
// of the record, whose memory the consumer reuses.
func (b *partBatch) add(r *kgo.Record, now time.Time) {
	if b.first < 0 {
		b.first, b.started = r.Offset, now
	}
	b.last, b.epoch = r.Offset, r.LeaderEpoch
	b.quiet = 0
	b.n++
	b.bytes += len(r.Value)
	nowMs := now.UnixMilli()
	b.recStream, b.recTime = b.t.Stream, r.Timestamp.UnixMilli()
	reason, err := b.decode(r, nowMs)
	if err != nil && b.rehydrate != nil {
		b.rehydrate.dead++
	} else if err != nil {
		invalidTotal.WithLabelValues(r.Topic, reason).Inc()
		b.dead.add(reason, err.Error(), r.Value, nowMs, r.Topic, r.Partition, r.Offset)
		b.deadRecs = append(b.deadRecs, deadLetter(r, reason, err))
	}
	if b.arch != nil && !b.noArchive {
		b.arch.Add(b.recStream, b.recTime, r, nowMs)
	}
	b.noArchive = false
}

// decode turns one record into rows of the batch's table, or says why not.
// A record that is not valid UTF-8 is refused for that, whatever else is
// wrong with it.
func (b *partBatch) decode(r *kgo.Record, nowMs int64) (string, error) {
	if len(r.Value) > b.maxBytes {
		return ReasonTooLarge, fmt.Errorf("record is %d bytes, more than ingest.max_record_bytes %d", len(r.Value), b.maxBytes)
	}
	reason, err := b.decodeRows(r, nowMs)
	if err != nil && !utf8.Valid(r.Value) {
		reason, err = ReasonInvalidUTF8, errBadRecordUTF8
	}
	return reason, err
}

var errBadRecordUTF8 = errors.New("record is not valid UTF-8")

// decodeRows does decode's work past the size check. When it fails, decode
// checks the UTF-8; what it accepts must be valid: formats other than JSON
// are checked up front, the JSON decoder checks each string, and JSON
// allows non-ASCII bytes nowhere else. It adds nothing to the batch when it
// fails.
func (b *partBatch) decodeRows(r *kgo.Record, nowMs int64) (string, error) {
	kafkaMs := r.Timestamp.UnixMilli()
	if b.t.Table == "metrics" {
		if !utf8.Valid(r.Value) {
			return ReasonInvalidUTF8, errBadRecordUTF8
		}
		format := b.t.Format
		if f := header(r, HeaderFormat); f != "" {
			if f != "prometheus" && f != "openmetrics" {
				return ReasonMalformed, fmt.Errorf("header %s %q must be prometheus or openmetrics on a metrics topic", HeaderFormat, f)
			}
			format = f
		}
		var err error
		b.samples, err = decodePrometheus(r.Value, format, kafkaMs, b.samples[:0])
		if err != nil {
			return ReasonMalformed, err
		}
		k := b.keep(r, b.routes.Named(b.t.Stream))
		b.recStream = k.stream
		if len(b.samples) > 0 {
			b.recTime = b.samples[0].ts
		}
		for _, s := range b.samples {
			if err := k.check(s.ts, nowMs); err != nil {
				return ReasonOlderThanRetention, err
			}
		}
		if !b.budgetKeeps(BudgetMeta{Stream: k.stream, Topic: r.Topic, Source: r.Topic}, len(r.Value), nowMs) {
			return "", nil
		}
		for _, s := range b.samples {
			b.metrics.add(s, k, nowMs, r.Topic, r.Partition, r.Offset)
			b.noteTime(s.ts)
		}
		return "", nil
	}
	format, stream, named := b.t.Format, "", false
	if len(r.Headers) > 0 {
		if f := header(r, HeaderFormat); f != "" {
			if !IsLogFormat(f) {
				return ReasonMalformed, fmt.Errorf("header %s %q must be %s", HeaderFormat, f, logFormatList())
			}
			format, named = f, true
		}
		stream = header(r, HeaderStream)
		if stream != "" && !streamNameRe.MatchString(stream) {
			return ReasonMalformed, fmt.Errorf("header %s %q is not a stream name", HeaderStream, stream)
		}
		if stream != "" {
			b.recStream = stream
		}
	}
	if !named && b.routes.formats {
		format = b.routes.formatOf(r, stream, format)
	}
	if format != "json" && !utf8.Valid(r.Value) {
		return ReasonInvalidUTF8, errBadRecordUTF8
	}
	b.row.reset()
	b.row.kafkaMs = kafkaMs
	if err := b.decoder(format).decode(r.Value, &b.row); err != nil {
		reason := ReasonMalformed
		if errors.Is(err, errBadUTF8) {
			reason = ReasonInvalidUTF8
		} else if errors.Is(err, errWrongType) {
			reason = ReasonWrongType
		}
		return reason, fmt.Errorf("cannot decode %s: %w", format, err)
	}
	if b.row.ts == 0 {
		b.row.ts = kafkaMs
		b.row.attrs = append(b.row.attrs, attr{"logmart.timestamp_source", "kafka"})
	}
	source := r.Topic
	if len(r.Headers) > 0 {
		if s := header(r, HeaderSource); s != "" {
			source = s
		}
	}
	for _, a := range b.row.attrs {
		if a.k == "source" {
			source = a.v
			break
		}
	}
	var rule *StreamRule
	if stream == "" {
		rule = b.route(r.Topic, source)
		if b.t.Table == "events" && rule.Name == "default" && b.t.Stream != "" {
			rule = b.routes.Named(b.t.Stream)
			if rule.Name != b.t.Stream {
				rule = rule.renamed(b.t.Stream)
			}
		}
	} else if rule = b.routes.Named(stream); rule.Name != stream {
		// A stream streams.yaml does not list takes the default's retention
		// and tiers.
		rule = rule.renamed(stream)
	}
	k := b.keep(r, rule)
	b.recStream, b.recTime = k.stream, b.row.ts
	if err := k.check(b.row.ts, nowMs); err != nil {
		return ReasonOlderThanRetention, err
	}
	if b.rehydrate != nil && !b.rehydrate.keeps(b, r.Topic, source) {
		return "", nil
	}
	if !b.budgetKeeps(BudgetMeta{Stream: k.stream, Topic: r.Topic, Source: source, Service: b.row.service, Host: b.row.host,
		Tenant: b.row.tenant, Level: b.row.level}, len(r.Value), nowMs) {
		return "", nil
	}
	b.noteTime(b.row.ts)
	switch b.t.Table {
	case "logs":
		b.logs.add(&b.row, k, source, nowMs, r.Topic, r.Partition, r.Offset)
	case "events":
		b.events.add(&b.row, r.Value, k, source, nowMs, r.Topic, r.Partition, r.Offset)
	}
	return "", nil
}

// decoder returns the batch's decoder for a format, made on first use.
func (b *partBatch) decoder(format string) decoder {
	// Nearly every record is in the topic's format: no map lookup for it.
	if format == b.t.Format && b.dec != nil {
		return b.dec
	}
	d := b.decs[format]
	if d == nil {
		t := b.t
		t.Format = format
		d = newDecoder(t)
		if j, ok := d.(*jsonDecoder); ok {
			// decodeRows copies the row into the batch's columns before
			// it returns, and the record's bytes do not change meanwhile.
			j.alias = true
		}
		b.decs[format] = d
	}
	if format == b.t.Format {
		b.dec = d
	}
	return d
}

// header returns the value of the record's header key, or "".
func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// route picks the stream rule for the row just decoded.
func (b *partBatch) route(topic, source string) *StreamRule {
	if b.routes.trivial {
		return &b.routes.rules[0].StreamRule
	}
	e := &b.env
	*e = RouteEnv{Source: source, Topic: topic, Service: b.row.service, Host: b.row.host, Level: b.row.level,
		Type: b.row.eventType, Tenant: b.row.tenant, Body: b.row.body}
	if b.routes.needAttrs {
		e.Attrs = make(map[string]string, len(b.row.attrs))
		for _, a := range b.row.attrs {
			e.Attrs[a.k] = a.v
		}
	}
	return b.routes.Route(e)
}

// deadLetter is the record sent to the dead-letter topic: the original
// bytes, with where they came from and why they were set aside as headers.
func deadLetter(r *kgo.Record, reason string, err error) *kgo.Record {
	// Copies throughout: the fetched record's memory is reused once its
	// poll is decoded, and this one waits for the batch's write.
	value := r.Value
	var extra []kgo.RecordHeader
	if len(value) > maxDeadRaw {
		// The original may exceed what a producer may send; the table keeps
		// the same truncated copy.
		value = value[:maxDeadRaw]
		extra = append(extra, kgo.RecordHeader{Key: "logmart-dead-truncated", Value: []byte(fmt.Sprint(len(r.Value)))})
	}
	headers := make([]kgo.RecordHeader, 0, len(r.Headers)+len(extra)+3)
	for _, h := range r.Headers {
		headers = append(headers, kgo.RecordHeader{Key: h.Key, Value: bytes.Clone(h.Value)})
	}
	headers = append(append(headers, extra...),
		kgo.RecordHeader{Key: "logmart-dead-reason", Value: []byte(reason)},
		kgo.RecordHeader{Key: "logmart-dead-error", Value: []byte(err.Error())},
		kgo.RecordHeader{Key: "logmart-dead-origin", Value: []byte(fmt.Sprintf("%s/%d/%d", r.Topic, r.Partition, r.Offset))},
	)
	return &kgo.Record{
		Key:       bytes.Clone(r.Key),
		Value:     bytes.Clone(value),
		Headers:   headers,
		Timestamp: r.Timestamp,
	}
}

// rangeOf returns the range the batch is recorded under.
func (b *partBatch) rangeOf() intent {
	if b.forced != nil {
		return *b.forced
	}
	return intent{b.first, b.last}
}

// token identifies the batch by partition and offset range; ClickHouse drops
// a second insert with the same token. store.DedupToken keeps it within the
// token alphabet (topic names may hold other characters) and states the
// contract it must keep.
func (b *partBatch) token(table string) string {
	rg := b.rangeOf()
	return store.DedupToken(fmt.Sprintf("%s.%d.%d-%d.%s", b.topic, b.partition, rg.first, rg.last, table))
}

// write inserts the batch's rows and its dead letters, each table with the
// batch's token for it, and records how long that took.
func (b *partBatch) write(ctx context.Context, ins Inserter) error {
	type part struct {
		table string
		block *store.Block
	}
	var parts []part
	switch {
	case b.refused:
	case b.logs != nil:
		parts = append(parts, part{"logs", b.logs.block()})
	case b.events != nil:
		parts = append(parts, part{"events", b.events.block()})
	case b.metrics != nil:
		parts = append(parts, part{"metrics", b.metrics.block()})
	}
	if b.rehydrate == nil {
		parts = append(parts, part{"dead_letters", b.dead.block()})
	}
	began := time.Now()
	defer func() { b.insertTime = time.Since(began) }()
	for _, p := range parts {
		n := p.block.Rows()
		if n == 0 {
			continue
		}
		block, token := p.block, b.token(p.table)
		if b.rehydrate != nil {
			block, token = b.rehydrate.marked(block), store.DedupToken(b.rehydrate.token+"."+p.table)
		}
		start := time.Now()
		if err := ins.Insert(ctx, p.table, block, token); err != nil {
			insertErrors.WithLabelValues(p.table).Inc()
			return err
		}
		if err := b.landOnce(ctx, ins, p.table, block, token); err != nil {
			insertErrors.WithLabelValues(p.table).Inc()
			return err
		}
		insertSeconds.WithLabelValues(p.table).Observe(time.Since(start).Seconds())
		rowsWritten.WithLabelValues(p.table).Add(float64(n))
	}
	batchRows.Observe(float64(b.n))
	return nil
}

// querier reads back what a write stored.
type querier interface {
	Query(ctx context.Context, q store.Query) (*store.Result, error)
}

// landOnce checks, for a batch an earlier consumer recorded (a takeover
// after a crash), that its rows are in table after the insert. A crash
// can come after the engine logged the insert's deduplication token and
// before the part it guards was kept: the retry, carrying the same token,
// is then dropped as a repeat of rows that never landed. When none of the
// range's rows is there, the block goes in again under a token of its own.
func (b *partBatch) landOnce(ctx context.Context, ins Inserter, table string, block *store.Block, token string) error {
	q, ok := ins.(querier)
	if b.forced == nil || b.rehydrate != nil || !ok {
		return nil
	}
	rg := b.rangeOf()
	res, err := q.Query(ctx, store.Query{SQL: "SELECT count() FROM " + table +
		" WHERE kafka_topic = {t:String} AND kafka_partition = {p:Int32} AND kafka_offset BETWEEN {f:Int64} AND {l:Int64}",
		Params: map[string]string{"t": b.topic, "p": fmt.Sprint(b.partition), "f": fmt.Sprint(rg.first), "l": fmt.Sprint(rg.last)}})
	if err != nil {
		return fmt.Errorf("cannot check the recorded batch %s landed: %w", token, err)
	}
	if len(res.Rows) > 0 && store.CellUint64(res.Rows[0][0]) > 0 {
		return nil
	}
	insertsAgain.WithLabelValues(table).Inc()
	return ins.Insert(ctx, table, block, store.DedupToken(token+".again"))
}

// release hands the batch's column buffers back for reuse. The batch is
// unusable afterwards.
func (b *partBatch) release() {
	putLogColumns(b.logs)
	b.logs = nil
	// The other tables' columns are not kept, but their string data goes
	// back to the store's free blocks.
	if b.events != nil {
		b.events.block().Reset()
	}
	if b.metrics != nil {
		b.metrics.block().Reset()
	}
	if b.dead != nil {
		b.dead.block().Reset()
	}
	b.events, b.metrics = nil, nil
}
