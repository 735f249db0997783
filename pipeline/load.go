package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/store"
)

// Loader writes facts into their ClickHouse tables (store/schema/0015), one
// Native insert per table. Rows go in as they are: the tables keep the
// highest version of each fact id, so loading a fact twice, or an older
// version after a newer one, changes nothing a reader sees.
type Loader struct {
	st store.Store
}

// NewLoader returns a Loader writing through st.
func NewLoader(st store.Store) *Loader { return &Loader{st: st} }

// Write inserts facts. token, when not empty, makes a retried call with the
// same facts a no-op in ClickHouse (see store.DedupToken); it is suffixed
// with the table name, since each table is its own insert.
func (l *Loader) Write(ctx context.Context, facts []Fact, token string) error {
	byTable := map[string][]any{}
	for _, f := range facts {
		byTable[f.Table] = append(byTable[f.Table], f.Row)
	}
	tables := make([]string, 0, len(byTable))
	for t := range byTable {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	// The tables are written at once: each insert waits on the engine
	// more than on the CPU.
	errs := make([]error, len(tables))
	var wg sync.WaitGroup
	for i, t := range tables {
		b, err := factBlock(byTable[t])
		if err != nil {
			return err
		}
		tok := ""
		if token != "" {
			tok = store.DedupToken(token + ":" + t)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.st.Insert(ctx, t, b, tok); err != nil {
				errs[i] = fmt.Errorf("cannot load %d rows into %s: %w", b.Rows(), t, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

var millisType = reflect.TypeFor[Millis]()

// factLayouts caches, per row type, how its fields become columns.
var factLayouts sync.Map // reflect.Type → []factField

type factField struct {
	index int
	name  string
	kind  string // string, time, int64, uint64, uint32
}

func layoutOf(t reflect.Type) ([]factField, error) {
	if l, ok := factLayouts.Load(t); ok {
		return l.([]factField), nil
	}
	var out []factField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		ff := factField{index: i, name: name}
		switch {
		case f.Type == millisType:
			ff.kind = "time"
		case f.Type.Kind() == reflect.String:
			ff.kind = "string"
		case f.Type.Kind() == reflect.Int64:
			ff.kind = "int64"
		case f.Type.Kind() == reflect.Uint64:
			ff.kind = "uint64"
		case f.Type.Kind() == reflect.Int, f.Type.Kind() == reflect.Uint8:
			ff.kind = "uint32"
		default:
			return nil, fmt.Errorf("cannot load %s.%s: no column type for %s", t.Name(), f.Name, f.Type)
		}
		out = append(out, ff)
	}
	factLayouts.Store(t, out)
	return out, nil
}

// factBlock turns rows of one type into a columnar block.
func factBlock(rows []any) (*store.Block, error) {
	t := reflect.TypeOf(rows[0])
	layout, err := layoutOf(t)
	if err != nil {
		return nil, err
	}
	cols := make([]store.BlockColumn, len(layout))
	for i, f := range layout {
		switch f.kind {
		case "string":
			cols[i] = store.Strings(f.name)
		case "time":
			cols[i] = &store.Int64Column{Name: f.name, Type: "DateTime64(3, 'UTC')"}
		case "int64":
			cols[i] = &store.Int64Column{Name: f.name}
		case "uint64":
			cols[i] = &store.UInt64Column{Name: f.name}
		case "uint32":
			cols[i] = &store.UInt32Column{Name: f.name}
		}
	}
	for _, r := range rows {
		v := reflect.ValueOf(r)
		if v.Type() != t {
			return nil, fmt.Errorf("cannot load a %s among %s rows", v.Type().Name(), t.Name())
		}
		for i, f := range layout {
			fv := v.Field(f.index)
			switch c := cols[i].(type) {
			case *store.StringColumn:
				c.Append(fv.String())
			case *store.Int64Column:
				c.Append(fv.Int())
			case *store.UInt64Column:
				c.Append(fv.Uint())
			case *store.UInt32Column:
				if fv.Kind() == reflect.Uint8 {
					c.Append(uint32(fv.Uint()))
				} else {
					c.Append(uint32(fv.Int()))
				}
			}
		}
	}
	return &store.Block{Cols: cols}, nil
}

// Consume loads the fact topics and the dead-letter topic into ClickHouse
// until ctx ends, in consumer group cfg.Group + "-load", reading only
// committed transactions. Each poll is one insert per fact table (the
// tables written at once) and one into dead_letters, each with a token
// naming the offset ranges of every partition in it; offsets are committed
// after the inserts. A crash between the two loads the ranges again: with
// the same cut the token drops them, and otherwise the tables keep one row
// per fact id and version anyway. One insert per poll rather than per
// partition is what keeps the event-to-fact latency low: the engine's
// insert, not the rows in it, is the cost.
func (l *Loader) Consume(ctx context.Context, cfg Config, opts []kgo.Opt, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts...),
		kgo.ConsumerGroup(cfg.Group+"-load"),
		kgo.ConsumeTopics(cfg.InteractionTopic, cfg.AgentTopic, cfg.DeadLetterTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.DisableAutoCommit(),
		kgo.AllowAutoTopicCreation(),
	)...)
	if err != nil {
		return fmt.Errorf("cannot create the fact loader's Kafka client: %w", err)
	}
	defer cl.Close()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		if fs.IsClientClosed() || ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(t string, p int32, err error) {
			log.Warn("pipeline loader cannot fetch", "topic", t, "partition", p, "err", err)
		})
		var facts, dead []*kgo.Record
		var factRanges, deadRanges []string
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			if len(fp.Records) == 0 {
				return
			}
			r := fmt.Sprintf("%s:%d:%d-%d", fp.Topic, fp.Partition, fp.Records[0].Offset, fp.Records[len(fp.Records)-1].Offset)
			if fp.Topic == cfg.DeadLetterTopic {
				dead, deadRanges = append(dead, fp.Records...), append(deadRanges, r)
			} else {
				facts, factRanges = append(facts, fp.Records...), append(factRanges, r)
			}
		})
		write := func() error {
			if len(facts) > 0 {
				if err := l.writeFacts(ctx, facts, rangesToken(factRanges), log); err != nil {
					return err
				}
			}
			if len(dead) > 0 {
				return l.writeDead(ctx, dead, rangesToken(deadRanges))
			}
			return nil
		}
		err := write()
		for err != nil && ctx.Err() == nil {
			log.Warn("pipeline loader cannot write; retrying", "records", len(facts)+len(dead), "err", err)
			sleep(ctx, time.Second)
			err = write()
		}
		if err != nil {
			return nil
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil && ctx.Err() == nil {
			log.Warn("pipeline loader cannot commit offsets", "err", err)
		}
	}
	return nil
}

// rangesToken names a poll's partition ranges (topic:partition:first-last)
// in one deduplication token, in a fixed order so the same cut gives the
// same token. Long lists are hashed: a token stays a short function of
// the ranges alone.
func rangesToken(ranges []string) string {
	sort.Strings(ranges)
	s := strings.Join(ranges, ",")
	if len(s) <= 256 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (l *Loader) writeFacts(ctx context.Context, recs []*kgo.Record, token string, log *slog.Logger) error {
	facts := make([]Fact, 0, len(recs))
	for _, r := range recs {
		table := header(r, "table")
		row, err := decodeRow(table, r.Value)
		if err != nil {
			log.Warn("pipeline loader skips a record that is not a fact", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
			continue
		}
		facts = append(facts, Fact{Table: table, Row: row})
	}
	return l.Write(ctx, facts, token)
}

func (l *Loader) writeDead(ctx context.Context, recs []*kgo.Record, token string) error {
	now := time.Now().UnixMilli()
	b := &store.Block{Cols: []store.BlockColumn{
		&store.Int64Column{Name: "ingest_time", Type: "DateTime64(3)"},
		store.Strings("reason"), store.Strings("error"), store.Strings("raw"),
		&store.UInt32Column{Name: "raw_size"}, &store.UInt32Column{Name: "truncated"},
		store.Strings("kafka_topic"), &store.Int32Column{Name: "kafka_partition"}, &store.Int64Column{Name: "kafka_offset"},
	}}
	for _, r := range recs {
		part, _ := strconv.Atoi(header(r, "partition"))
		off, _ := strconv.ParseInt(header(r, "offset"), 10, 64)
		b.Cols[0].(*store.Int64Column).Append(now)
		b.Cols[1].(*store.StringColumn).Append(header(r, "reason"))
		b.Cols[2].(*store.StringColumn).Append(header(r, "error"))
		b.Cols[3].(*store.StringColumn).AppendBytes(r.Value)
		b.Cols[4].(*store.UInt32Column).Append(uint32(len(r.Value)))
		var trunc uint32
		if len(r.Value) >= maxDeadLetterRaw {
			trunc = 1
		}
		b.Cols[5].(*store.UInt32Column).Append(trunc)
		b.Cols[6].(*store.StringColumn).Append(header(r, "topic"))
		b.Cols[7].(*store.Int32Column).Append(int32(part))
		b.Cols[8].(*store.Int64Column).Append(off)
	}
	if err := l.st.Insert(ctx, "dead_letters", b, store.DedupToken(token)); err != nil {
		return fmt.Errorf("cannot load %d dead letters: %w", len(recs), err)
	}
	return nil
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// DecodeFact reads one record of a fact topic back into a Fact, for
// readers of the topics other than the Loader.
func DecodeFact(r *kgo.Record) (Fact, error) {
	table := header(r, "table")
	row, err := decodeRow(table, r.Value)
	if err != nil {
		return Fact{}, fmt.Errorf("cannot read the fact at %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
	}
	_, id := rowIdentity(row)
	return Fact{Table: table, Key: string(r.Key), ID: id, Version: rowVersion(row), Row: row}, nil
}

func rowVersion(r any) uint64 {
	switch r := r.(type) {
	case InteractionFact:
		return r.Version
	case ResourceFact:
		return r.Version
	case AgentStateFact:
		return r.Version
	case SessionFact:
		return r.Version
	}
	return 0
}
