package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// restore builds a Processor for the assigned partitions: the whole
// configuration seen so far, then the changelog records whose home is one
// of parts, read to the changelog's end.
func (r *Runner) restore(ctx context.Context, cl *kgo.Client, parts map[home]bool, configs []*kgo.Record) (*Processor, error) {
	p := NewProcessor(r.cfg)
	for _, rec := range configs {
		p.Process(TopicConfig, rec.Partition, rec.Offset, rec.Value)
	}
	r.mu.Lock()
	r.status.Restores++
	r.status.Partitions = map[string]int{}
	for h := range parts {
		r.status.Partitions[h.Topic]++
	}
	r.mu.Unlock()
	if len(parts) == 0 {
		return p, nil
	}
	ends, err := listEnds(ctx, cl, r.cfg.ChangelogTopic)
	if err != nil {
		return nil, err
	}
	n := int32(len(ends))
	want := map[int32]kgo.Offset{}
	for h := range parts {
		want[h.Partition%n] = kgo.NewOffset().AtStart()
	}
	// The end of a partition is a marker written now: once it is read,
	// everything committed before it was (a transaction a crashed replica
	// left open holds the marker back until it is aborted, as it should).
	marker := fmt.Sprintf("\x00restore\x00%s\x00%d", r.cfg.TransactionalID, time.Now().UnixNano())
	wr, err := kgo.NewClient(append(append([]kgo.Opt{}, r.opts...), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		return nil, fmt.Errorf("cannot write to the changelog %s: %w", r.cfg.ChangelogTopic, err)
	}
	var markers []*kgo.Record
	for part := range want {
		markers = append(markers, &kgo.Record{Topic: r.cfg.ChangelogTopic, Partition: part, Key: []byte(marker)})
	}
	err = wr.ProduceSync(ctx, markers...).FirstErr()
	wr.Close()
	if err != nil {
		return nil, fmt.Errorf("cannot write to the changelog %s: %w", r.cfg.ChangelogTopic, err)
	}
	rd, err := kgo.NewClient(append(append([]kgo.Opt{}, r.opts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{r.cfg.ChangelogTopic: want}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(200*time.Millisecond),
	)...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the changelog %s: %w", r.cfg.ChangelogTopic, err)
	}
	defer rd.Close()
	restored := 0
	deadline := time.Now().Add(r.cfg.RestoreTimeout)
	for len(want) > 0 {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("cannot read the changelog %s to its end within %s", r.cfg.ChangelogTopic, r.cfg.RestoreTimeout)
		}
		pollCtx, cancel := context.WithTimeout(ctx, time.Second)
		fs := rd.PollFetches(pollCtx)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var restoreErr error
		fs.EachRecord(func(rec *kgo.Record) {
			if string(rec.Key) == marker {
				delete(want, rec.Partition)
				return
			}
			if _, open := want[rec.Partition]; !open {
				return
			}
			t, part, ok := ParseChangelogKey(rec.Key)
			if !ok || !parts[home{t, part}] {
				return
			}
			if err := p.Restore(rec.Key, rec.Value); err != nil && restoreErr == nil {
				restoreErr = err
			}
			restored++
		})
		if restoreErr != nil {
			return nil, restoreErr
		}
	}
	r.log.Info("pipeline state restored", "partitions", len(parts), "records", restored,
		"interactions", len(p.ixns), "agents", len(p.agents))
	return p, nil
}

// listEnds returns the committed end offset of every partition of topic
// (and so its partitions), creating the topic when it does not exist yet.
func listEnds(ctx context.Context, cl *kgo.Client, topic string) (map[int32]int64, error) {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	meta.AllowAutoTopicCreation = true
	var parts []int32
	for attempt := 0; ; attempt++ {
		resp, err := meta.RequestWith(ctx, cl)
		if err != nil {
			return nil, fmt.Errorf("cannot read the metadata of %s: %w", topic, err)
		}
		parts = parts[:0]
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				parts = append(parts, p.Partition)
			}
		}
		if len(parts) > 0 || attempt == 20 {
			break
		}
		sleep(ctx, 100*time.Millisecond)
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("topic %s has no partitions", topic)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.IsolationLevel = 1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range parts {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("cannot list the offsets of %s: %w", topic, err)
	}
	ends := map[int32]int64{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			ends[p.Partition] = p.Offset
		}
	}
	return ends, nil
}

// wholeTopic reads one topic from its start, outside any group and
// read-committed, as every replica reads gca-cfg and gsp-acw. Each poll's
// records are handed over with mu held, which also guards what the reader
// built from them.
type wholeTopic struct {
	mu sync.Mutex
	cl *kgo.Client
}

// read polls until ctx ends or close is called.
func (w *wholeTopic) read(ctx context.Context, opts []kgo.Opt, topic string, poll func(kgo.Fetches)) error {
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.AllowAutoTopicCreation(),
	)...)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", topic, err)
	}
	w.mu.Lock()
	w.cl = cl
	w.mu.Unlock()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		if fs.IsClientClosed() {
			return nil
		}
		w.mu.Lock()
		poll(fs)
		w.mu.Unlock()
	}
	return nil
}

func (w *wholeTopic) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cl != nil {
		w.cl.Close()
	}
}

// configReader reads the whole configuration topic, so every replica
// knows every agent and queue.
type configReader struct {
	wholeTopic
	opts []kgo.Opt
	recs []*kgo.Record // all records read
	next int           // the first not yet taken
}

func newConfigReader(opts []kgo.Opt) *configReader { return &configReader{opts: opts} }

func (c *configReader) run(ctx context.Context, log func(error)) {
	err := c.read(ctx, c.opts, TopicConfig, func(fs kgo.Fetches) {
		fs.EachRecord(func(r *kgo.Record) { c.recs = append(c.recs, r) })
	})
	if err != nil {
		log(err)
	}
}

// take returns the records read since the last take.
func (c *configReader) take() []*kgo.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.recs[c.next:]
	c.next = len(c.recs)
	return out
}

// all returns every record read, and counts them as taken.
func (c *configReader) all() []*kgo.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next = len(c.recs)
	return append([]*kgo.Record(nil), c.recs...)
}

// markBacklog tells p which input partitions the group's committed offsets
// leave short of their end (eventtime.go): until a fetch shows one caught
// up, the entities it feeds are computed, and its interactions kept, on
// its own event time. Without it a partition not fetched yet in the first
// polls after a restore would count as caught up, at the newest time of
// the partitions fetched first. A partition it cannot look up is left
// caught up, as before the restore's first fetch.
func (r *Runner) markBacklog(ctx context.Context, cl *kgo.Client, p *Processor, parts map[home]bool) error {
	topicSet := map[string]bool{}
	for h := range parts {
		if h.Topic != TopicConfig {
			topicSet[h.Topic] = true
		}
	}
	if len(topicSet) == 0 {
		return nil
	}
	topics := make([]string, 0, len(topicSet))
	for t := range topicSet {
		topics = append(topics, t)
	}
	adm := kadm.NewClient(cl) // not closed: it is the session's client
	ends, err := adm.ListCommittedOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("cannot list the input partitions' ends: %w", err)
	}
	committed, err := adm.FetchOffsetsForTopics(ctx, r.cfg.Group, topics...)
	if err != nil {
		return fmt.Errorf("cannot fetch the group's committed offsets: %w", err)
	}
	for h := range parts {
		end, ok := ends.Lookup(h.Topic, h.Partition)
		if !ok || end.Err != nil || h.Topic == TopicConfig {
			continue
		}
		var from int64
		if c, ok := committed.Lookup(h.Topic, h.Partition); ok && c.Err == nil && c.At > 0 {
			from = c.At
		}
		// As in Run: a commit marker's offset alone is no backlog.
		p.Behind(h.Topic, h.Partition, end.Offset-from > 1)
	}
	return nil
}
