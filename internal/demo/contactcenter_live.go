package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/pipeline"
)

// ccNames are the simulated agents' configured names, in agent order.
var ccNames = []string{
	"Ada Park", "Bruno Costa", "Chen Wei", "Dana Levi", "Emeka Obi", "Farah Haddad",
	"Greta Lind", "Hiro Sato", "Ines Duarte", "Jonas Berg", "Kavya Rao", "Liam Walsh",
	"Maya Cohen", "Nils Eriksen", "Olga Petrova", "Pablo Ruiz", "Qiu Lan", "Rosa Marin",
	"Sami Aalto", "Tara Singh",
}

// ccQueues are the simulated queues: the id events name them by, and the
// configured name.
var ccQueues = [][2]string{{"sales", "Sales"}, {"support", "Support"}}

// ccDigitalQueues and ccTeams are configured when the simulation makes
// chats, emails or campaign calls.
var ccDigitalQueues = [][2]string{{"chat-support", "Chat support"}, {"email-support", "Email support"}}

var ccTeams = []struct {
	prefix, name string
	size         int
}{{"chat-agent-", "Chat agent", 4}, {"email-agent-", "Email agent", 3}, {"campaign-agent-", "Campaign agent", 2}}

// ccConfig is a gca-cfg record, version 1.
type ccConfig struct {
	Version int        `json:"version"`
	ID      string     `json:"id"`
	Op      string     `json:"op"`
	Time    string     `json:"time"`
	Tenant  string     `json:"tenant"`
	Objects []ccObject `json:"objects"`
}

type ccObject struct {
	Kind    string   `json:"kind"`
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Logins  []string `json:"logins,omitempty"`
	Address string   `json:"address,omitempty"`
}

// configure emits the configuration of the queues and of every agent but
// the last cfg.Unconfigured: agents are keyed person-NNN, with their
// event id as login.
func (s *ccSim) configure(at int64) {
	var objs []ccObject
	queues := ccQueues
	if s.cfg.Chats+s.cfg.Emails+s.cfg.Outbound > 0 {
		queues = append(queues[:len(queues):len(queues)], ccDigitalQueues...)
	}
	for _, q := range queues {
		objs = append(objs, ccObject{Kind: "queue", ID: "q-" + q[0], Name: q[1], Address: q[0]})
	}
	for i, a := range s.agents[:max(0, len(s.agents)-s.cfg.Unconfigured)] {
		name := ccNames[i%len(ccNames)]
		if i >= len(ccNames) {
			name += " " + strconv.Itoa(i/len(ccNames)+1)
		}
		objs = append(objs, ccObject{Kind: "agent", ID: "person-" + pad3(i), Name: name, Logins: []string{a.id}})
	}
	if s.cfg.Chats+s.cfg.Emails+s.cfg.Outbound > 0 {
		for _, team := range ccTeams {
			for i := range team.size {
				id := team.prefix + pad3(i)
				objs = append(objs, ccObject{Kind: "agent", ID: "person-" + id, Name: team.name + " " + strconv.Itoa(i+1), Logins: []string{id}})
			}
		}
	}
	s.seq++
	b, _ := json.Marshal(ccConfig{Version: 1, ID: "sim-" + strconv.Itoa(s.seq), Op: "upsert",
		Time: time.UnixMilli(at).UTC().Format("2006-01-02T15:04:05.000Z"), Tenant: s.tenant, Objects: objs}) // strings always encode
	s.recs = append(s.recs, ContactCenterRecord{Topic: pipeline.TopicConfig, Key: []byte(s.tenant), Value: b, Time: at})
}

// LiveContactCenter is the contact center the demo runs beside its log
// traffic: twenty configured agents taking a call every 15 seconds or so,
// configured chat, email and campaign teams with a few chats, emails and
// campaign calls each shift, a little disorder, duplicates and malformed
// records, in shifts of about ten minutes of calls.
func LiveContactCenter() ContactCenterConfig {
	return ContactCenterConfig{
		Agents: 20, Calls: 40, MeanGap: 15 * time.Second, FirstCallAfter: 5 * time.Second,
		Chats: 8, Emails: 3, Outbound: 6,
		Jitter: time.Second, DuplicateShare: 0.01, MalformedShare: 0.002, Configure: true,
	}
}

// RunContactCenter produces a simulated contact center into the pipeline's
// input topics in real time until ctx ends: shift after shift of cfg
// (Start, Seed and CallPrefix are set per shift), each record when the
// clock reaches its event time, so the pipeline's facts follow the clock.
// Call ids carry the start time, so a restarted demo never reuses one.
// It returns the records Kafka acknowledged; a cancelled ctx is a normal
// stop. cl must be allowed to create topics; log may be nil.
func RunContactCenter(ctx context.Context, cl *kgo.Client, cfg ContactCenterConfig, log *slog.Logger) (int64, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	run := time.Now().UTC()
	start := run
	var sent int64
	log.Info("contact-center demo started", "agents", cfg.Agents, "calls_per_shift", cfg.Calls, "topics", []string{pipeline.TopicConfig, pipeline.TopicVoiceAgentState, pipeline.TopicVoiceCallthread})
	for shift := 0; ; shift++ {
		c := cfg
		c.Start = start
		c.Seed = uint64(run.UnixNano()) + uint64(shift)
		c.CallPrefix = fmt.Sprintf("call-%d-%d-", run.Unix(), shift)
		recs, truth := SimulateContactCenter(c)
		timer := time.NewTimer(0)
		for _, r := range recs {
			if d := time.Until(time.UnixMilli(r.Time)); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
					timer.Stop()
					log.Info("contact-center demo stopped", "records", sent)
					return sent, nil
				}
			}
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Timestamp: time.UnixMilli(r.Time)}).FirstErr(); err != nil {
				if ctx.Err() != nil {
					return sent, nil
				}
				return sent, fmt.Errorf("cannot produce to %q: %w", r.Topic, err)
			}
			sent++
		}
		timer.Stop()
		start = time.UnixMilli(truth.End).UTC()
	}
}
