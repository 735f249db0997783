package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/store"
)

// Rehydration stores archived records in ClickHouse again, for a stream
// and a range of the records' own time: the objects of those hours are
// read back, each record is decoded as ingest decodes it (its topic's
// format, its headers, the stream it was archived in) and its rows are
// stored with the job's id in rehydrate_job and the retention
// ingest.archive.rehydrated_ttl counted from now.
//
// Idempotent: before an object's records are stored, the rows its
// records' offsets already have in the table (live rows still within
// their retention, or rows an earlier rehydration stored) are looked up,
// and those records are skipped; the rest go in one insert whose
// deduplication token names the object and the exact set of offsets, so
// two runs at once store them once too. Run twice, the second run stores
// nothing. The job id is a hash of the request, so the same request is the
// same job.

// Rehydrator reads the archive back into the tables.
type Rehydrator struct {
	cfg    Config
	st     Store
	arch   archive.Target
	routes *Routes
	topics map[string]TopicConfig
	log    *slog.Logger
}

// NewRehydrator opens the archive cfg names. routes may be nil (the
// default stream only).
func NewRehydrator(cfg Config, st Store, routes *Routes, log *slog.Logger) (*Rehydrator, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !cfg.Archive.Enabled {
		return nil, fault.New(fault.Unavailable, "the archive is off (ingest.archive.enabled): nothing to rehydrate")
	}
	tg, err := archive.Open(context.Background(), cfg.Archive)
	if err != nil {
		return nil, err
	}
	if routes == nil {
		if routes, err = NewRoutes(""); err != nil {
			return nil, err
		}
	}
	r := &Rehydrator{cfg: cfg, st: st, arch: tg, routes: routes, topics: map[string]TopicConfig{}, log: log}
	for _, t := range cfg.Topics {
		if t.Stream == "" {
			t.Stream = "default"
		}
		r.topics[t.Topic] = t
	}
	return r, nil
}

// RehydrateRequest is what to rehydrate.
type RehydrateRequest struct {
	// Stream is the stream whose archive is read.
	Stream string `json:"stream"`
	// From and To select records by their own time, [From, To).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Filter is an expression over a record's fields, as a stream's match
	// in streams.yaml (service == "api" && level == "error"); empty: all.
	// It applies to logs and events records.
	Filter string `json:"filter,omitempty"`
	// MaxRecords stops the job after that many records of the range
	// (those already stored included); 0: no limit.
	MaxRecords int `json:"max_records,omitempty"`
}

// RehydrateProgress is a job's figures so far, and at its end.
type RehydrateProgress struct {
	Job string `json:"job"`
	// Objects is how many archive objects the range has; Done how many
	// are read.
	Objects int `json:"objects"`
	Done    int `json:"objects_done"`
	// Records are the archived records in the range that the filter
	// keeps: the records rehydrated.
	Records int `json:"records"`
	// Stored is how many rows were newly stored; AlreadyStored how many
	// records had rows in the table already, and were skipped.
	Stored        int `json:"rows_stored"`
	AlreadyStored int `json:"already_stored"`
	// Filtered are the records the filter left out; Undecodable those that
	// do not decode (archived dead letters).
	Filtered    int `json:"filtered"`
	Undecodable int `json:"undecodable"`
	// Truncated is true when MaxRecords stopped the job.
	Truncated bool `json:"truncated"`
}

// JobID names the job of a request: the same request is the same job.
func JobID(req RehydrateRequest) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d\x00%s\x00%d", req.Stream, req.From.UnixMilli(), req.To.UnixMilli(), req.Filter, req.MaxRecords))
	return "rh-" + hex.EncodeToString(h[:6])
}

// maxRehydrateHours bounds one job's range, so a typo in a year does not
// start a scan of a century.
const maxRehydrateHours = 3 * 366 * 24

// Check refuses a request a user must fix, naming the field.
func (r *Rehydrator) Check(req RehydrateRequest) error {
	if req.Stream == "" {
		return fault.New(fault.BadInput, "stream is required")
	}
	if !streamNameRe.MatchString(req.Stream) {
		return fault.New(fault.BadInput, "stream %q is not a stream name", req.Stream)
	}
	if req.From.IsZero() || req.To.IsZero() {
		return fault.New(fault.BadInput, "from and to are required")
	}
	if !req.From.Before(req.To) {
		return fault.New(fault.BadInput, "from (%s) must be before to (%s)", req.From.Format(time.RFC3339), req.To.Format(time.RFC3339))
	}
	if req.To.Sub(req.From) > maxRehydrateHours*time.Hour {
		return fault.New(fault.BadInput, "the range from %s to %s is longer than %d days; rehydrate it in parts",
			req.From.Format(time.RFC3339), req.To.Format(time.RFC3339), maxRehydrateHours/24)
	}
	if req.MaxRecords < 0 {
		return fault.New(fault.BadInput, "max_records must be 0 (no limit) or positive, got %d", req.MaxRecords)
	}
	if _, err := compileFilter(req.Filter); err != nil {
		return err
	}
	return nil
}

func compileFilter(s string) (*vm.Program, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	prog, err := expr.Compile(s, expr.Env(RouteEnv{}), expr.AsBool(), expr.MaxNodes(500))
	if err != nil {
		return nil, fault.New(fault.BadInput, "filter %q: %v", s, err)
	}
	return prog, nil
}

// Objects lists the archive objects of the request's stream whose hour
// overlaps its range, oldest hour first.
func (r *Rehydrator) Objects(ctx context.Context, req RehydrateRequest) ([]archive.ObjectInfo, error) {
	first := req.From.UTC().Truncate(time.Hour)
	last := req.To.UTC().Add(-time.Millisecond).Truncate(time.Hour)
	var out []archive.ObjectInfo
	for day := first.Truncate(24 * time.Hour); !day.After(last); day = day.Add(24 * time.Hour) {
		list, err := r.arch.List(ctx, "stream="+req.Stream+"/dt="+day.Format(time.DateOnly)+"/")
		if err != nil {
			return nil, err
		}
		for _, o := range list {
			h, ok := hourOfKey(o.Key)
			if !ok {
				continue
			}
			at := day.Add(time.Duration(h) * time.Hour)
			if !at.Before(first) && !at.After(last) {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// hourOfKey reads the hour=HH part of an object's key.
func hourOfKey(key string) (int, bool) {
	_, rest, ok := strings.Cut(key, "/hour=")
	if !ok || len(rest) < 3 || rest[2] != '/' {
		return 0, false
	}
	h, err := strconv.Atoi(rest[:2])
	return h, err == nil && h >= 0 && h < 24
}

// Run rehydrates req, calling progress after each object, and returns the
// final figures. Cancelling ctx stops it after the object being stored;
// what is stored stays, and running the request again completes it.
func (r *Rehydrator) Run(ctx context.Context, req RehydrateRequest, progress func(RehydrateProgress)) (RehydrateProgress, error) {
	p := RehydrateProgress{Job: JobID(req)}
	if err := r.Check(req); err != nil {
		return p, err
	}
	filter, _ := compileFilter(req.Filter)
	objs, err := r.Objects(ctx, req)
	if err != nil {
		return p, err
	}
	p.Objects = len(objs)
	if len(objs) == 0 && r.routes.Current().Named(req.Stream).Name != req.Stream {
		return p, fault.New(fault.BadInput, "stream %q is not in streams.yaml and has nothing archived from %s to %s",
			req.Stream, req.From.Format(time.RFC3339), req.To.Format(time.RFC3339))
	}
	if progress != nil {
		progress(p)
	}
	days := uint32(r.cfg.Archive.RehydratedTTL / (24 * time.Hour))
	if workers := min(runtime.GOMAXPROCS(0), maxRehydrateWorkers, len(objs)); req.MaxRecords == 0 && workers > 1 {
		// Objects are independent (each checks and stores its own
		// offsets): one reads and parses while another is stored.
		if err := r.objectsAtOnce(ctx, req, objs, workers, days, filter, &p, progress); err != nil {
			return p, err
		}
		objs = nil
	}
	for _, o := range objs {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		if err := r.object(ctx, req, o.Key, &rehydrating{job: p.Job, days: days, filter: filter}, &p); err != nil {
			return p, err
		}
		p.Done++
		if progress != nil {
			progress(p)
		}
		if p.Truncated {
			break
		}
	}
	r.log.Info("rehydrated", "job", p.Job, "stream", req.Stream, "objects", p.Done, "records", p.Records,
		"rows_stored", p.Stored, "already_stored", p.AlreadyStored)
	return p, nil
}

// maxRehydrateWorkers bounds the objects a rehydration reads and stores
// at once.
const maxRehydrateWorkers = 4

// objectsAtOnce rehydrates objs with workers at a time, adding each
// object's figures to p and calling progress after each. The first error
// stops the rest; what is stored stays.
func (r *Rehydrator) objectsAtOnce(ctx context.Context, req RehydrateRequest, objs []archive.ObjectInfo, workers int, days uint32, filter *vm.Program,
	p *RehydrateProgress, progress func(RehydrateProgress)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	keys := make(chan string)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range keys {
				var d RehydrateProgress
				err := r.object(ctx, req, key, &rehydrating{job: p.Job, days: days, filter: filter}, &d)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					cancel()
				} else {
					p.Records += d.Records
					p.Stored += d.Stored
					p.AlreadyStored += d.AlreadyStored
					p.Filtered += d.Filtered
					p.Undecodable += d.Undecodable
					p.Done++
					if progress != nil {
						progress(*p)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, o := range objs {
		select {
		case keys <- o.Key:
			continue
		case <-ctx.Done():
		}
		break
	}
	close(keys)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// errEnough stops reading an object once MaxRecords are taken.
var errEnough = errors.New("max records reached")

// objectRange reads the topic, partition and offsets an object's name
// carries (archive.Key): <topic>-<partition>-<first>-<last>.ndjson.zst
// after the last slash; topic names may hold '-' themselves.
func objectRange(key string) (topic string, partition int32, first, last int64, ok bool) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	name, ok = strings.CutSuffix(name, ".ndjson.zst")
	parts := strings.Split(name, "-")
	if !ok || len(parts) < 4 {
		return "", 0, 0, 0, false
	}
	n := len(parts)
	p, err1 := strconv.ParseInt(parts[n-3], 10, 32)
	f, err2 := strconv.ParseInt(parts[n-2], 10, 64)
	l, err3 := strconv.ParseInt(parts[n-1], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || f > l {
		return "", 0, 0, 0, false
	}
	return strings.Join(parts[:n-3], "-"), int32(p), f, l, true
}

// object rehydrates the records of one archive object in the range,
// reading it once: the offsets its name carries say which rows to look
// up before its lines are read.
func (r *Rehydrator) object(ctx context.Context, req RehydrateRequest, key string, h *rehydrating, p *RehydrateProgress) error {
	topic, partition, first, last, ok := objectRange(key)
	if !ok {
		return fmt.Errorf("archive object %q is not named <topic>-<partition>-<first offset>-<last offset>.ndjson.zst", key)
	}
	t, ok := r.topics[topic]
	if !ok {
		return fault.New(fault.BadInput, "archive object %s holds records of topic %q, which ingest.topics no longer lists: its table and format are unknown", key, topic)
	}
	stored, err := r.storedOffsets(ctx, t.Table, topic, partition, first, last)
	if err != nil {
		return err
	}
	b := newPartBatch(t, partition, r.cfg.MaxRecordBytes, r.routes.Current())
	defer b.release()
	b.rehydrate = h
	now := time.Now()
	from, to := req.From.UnixMilli(), req.To.UnixMilli()
	var taken []int64
	var headers []kgo.RecordHeader
	err = archive.Scan(ctx, r.arch, key, func(l archive.Line) error {
		if ms := l.Time.UnixMilli(); ms < from || ms >= to || l.Stream != req.Stream {
			return nil
		}
		if req.MaxRecords > 0 && p.Records+p.AlreadyStored >= req.MaxRecords {
			p.Truncated = true
			return errEnough
		}
		if _, found := slices.BinarySearch(stored, l.Offset); found {
			p.AlreadyStored++
			return nil
		}
		v, err := l.Value()
		if err != nil {
			return err
		}
		headers = headers[:0]
		for k, v := range l.Headers {
			if k != HeaderStream {
				headers = append(headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
			}
		}
		headers = append(headers, kgo.RecordHeader{Key: HeaderStream, Value: []byte(l.Stream)})
		filtered, dead := h.filtered, h.dead
		b.add(&kgo.Record{Topic: l.Topic, Partition: partition, Offset: l.Offset, Timestamp: l.KafkaTime, Value: v, Headers: headers}, now)
		if h.filtered == filtered && h.dead == dead {
			p.Records++
			taken = append(taken, l.Offset)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return err
	}
	p.Filtered += h.filtered
	p.Undecodable += h.dead
	if len(taken) == 0 {
		return nil
	}
	sum := fnv.New64a()
	for _, o := range taken {
		_, _ = sum.Write(strconv.AppendInt(nil, o, 10))
		_, _ = sum.Write([]byte{','})
	}
	h.token = fmt.Sprintf("rehydrate.%s.%d.%d-%d.%x", topic, partition, taken[0], taken[len(taken)-1], sum.Sum64())
	rows := 0
	switch {
	case b.logs != nil:
		rows = b.logs.block().Rows()
	case b.events != nil:
		rows = b.events.block().Rows()
	case b.metrics != nil:
		rows = b.metrics.block().Rows()
	}
	if err := b.write(ctx, r.st); err != nil {
		return fmt.Errorf("cannot store the records of archive object %s: %w", key, err)
	}
	p.Stored += rows
	return nil
}

// storedOffsets lists the offsets of a partition's records in [first,
// last] that have rows in table, sorted.
func (r *Rehydrator) storedOffsets(ctx context.Context, table, topic string, partition int32, first, last int64) ([]int64, error) {
	res, err := r.st.Query(ctx, store.Query{
		SQL: "SELECT DISTINCT kafka_offset FROM " + table + ` WHERE kafka_topic = {topic:String}
			AND kafka_partition = {p:Int32} AND kafka_offset BETWEEN {first:Int64} AND {last:Int64} ORDER BY kafka_offset`,
		Params: map[string]string{"topic": topic, "p": strconv.Itoa(int(partition)),
			"first": strconv.FormatInt(first, 10), "last": strconv.FormatInt(last, 10)},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read what %s already holds of %s/%d: %w", table, topic, partition, err)
	}
	out := make([]int64, 0, len(res.Rows))
	for _, row := range res.Rows {
		out = append(out, store.CellInt64(row[0]))
	}
	return out, nil
}

// rehydrating is a rehydration's part in a batch (partBatch.rehydrate).
type rehydrating struct {
	job    string
	days   uint32
	filter *vm.Program // nil: every record
	token  string      // the insert's deduplication token, less the table
	env    RouteEnv
	// filtered and dead count the records the filter left out and those
	// that did not decode.
	filtered, dead int
}

// keeps says whether the filter keeps the row just decoded, and counts it
// when not.
func (h *rehydrating) keeps(b *partBatch, topic, source string) bool {
	if h.filter == nil {
		return true
	}
	e := &h.env
	*e = RouteEnv{Source: source, Topic: topic, Service: b.row.service, Host: b.row.host, Level: b.row.level,
		Type: b.row.eventType, Tenant: b.row.tenant, Body: b.row.body, Attrs: make(map[string]string, len(b.row.attrs))}
	for _, a := range b.row.attrs {
		e.Attrs[a.k] = a.v
	}
	out, err := expr.Run(h.filter, e)
	if err == nil && out == true {
		return true
	}
	h.filtered++
	return false
}

// marked is block with the job in a rehydrate_job column.
func (h *rehydrating) marked(block *store.Block) *store.Block {
	job := store.Strings("rehydrate_job")
	for range block.Rows() {
		job.Append(h.job)
	}
	return &store.Block{Cols: append(slices.Clone(block.Cols), job)}
}
