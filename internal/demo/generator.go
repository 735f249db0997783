package demo

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// Content types of the three kinds of record, sent as the content-type
// record header so a decoder need not sniff.
const (
	ContentTypeJSON       = "application/json"
	ContentTypePrometheus = "text/plain; version=0.0.4"
)

// Record is one generated record, before it reaches Kafka.
type Record struct {
	Topic string
	// Key is the service name for logs and metrics, so a service's records
	// stay in order on one partition while services spread over all of
	// them; audit events all come from the auth service, so they are keyed
	// by tenant instead.
	Key   string
	Value []byte
	// Timestamp is the simulated time the record was emitted.
	Timestamp   time.Time
	ContentType string
}

// Generator is the demo's deterministic traffic source: a random source
// seeded by Config.Seed and a simulated clock that advances by 1/Rate per
// record. It is not safe for concurrent use.
type Generator struct {
	r    *rand.Rand
	cfg  Config
	step time.Duration
	now  time.Time // simulated time of the next record

	metrics    []serviceMetrics
	nextScrape time.Time
	scrapeAt   time.Time
	scrapeNext int // index of the next service to scrape; len(services) when none is due

	incident     bool // one service in one region is failing
	incSvc       int
	incRegion    int
	incUntil     time.Time
	nextIncident time.Time
	incidents    int // incidents started, for Run's log

	attacking  bool
	attack     attack
	attackTill time.Time
	nextAttack time.Time

	deploysNext int // index of the next service whose last deploy is due; len(services) once all are out
	quietIdx    int // the quiet service's index
}

// Incident windows and brute-force episodes, in simulated time.
const (
	firstIncidentMin, firstIncidentMax = 45 * time.Second, 120 * time.Second
	incidentMin, incidentMax           = 20 * time.Second, 40 * time.Second
	incidentGapMin, incidentGapMax     = 2 * time.Minute, 6 * time.Minute
	firstAttackMin, firstAttackMax     = 3 * time.Minute, 6 * time.Minute
	attackMin, attackMax               = 30 * time.Second, 90 * time.Second
	attackGapMin, attackGapMax         = 8 * time.Minute, 15 * time.Minute
	firstScrape                        = 2 * time.Second
	// eventShare is the fraction of records that are audit events,
	// attackEventShare the fraction during a brute-force episode.
	eventShare, attackEventShare = 0.04, 0.10
	// incidentShare is the fraction of log lines the failing service emits
	// during an incident: it floods the topic.
	incidentShare = 0.5
	// The quiet service's log shipper stalls quietFrom into the run and
	// stays down for quietFor: the service runs (its metrics are scraped)
	// but none of its lines arrive. Its ingest budget's lower bound sees
	// it (configs/budgets/search_logs_hourly.yaml).
	quietService        = "search"
	quietFrom, quietFor = 2 * time.Minute, 40 * time.Minute
)

// NewGenerator returns a Generator for cfg. Empty topic names get their
// defaults and a zero Start becomes the current time.
func NewGenerator(cfg Config) *Generator {
	cfg = cfg.withDefaults()
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6c6f676d617274)) // "logmart"
	g := &Generator{
		r:          r,
		cfg:        cfg,
		step:       cfg.step(),
		now:        cfg.Start,
		nextScrape: cfg.Start.Add(firstScrape),
		scrapeNext: len(services),
		quietIdx:   serviceIndex(quietService),
	}
	for range services {
		g.metrics = append(g.metrics, newServiceMetrics(r))
	}
	g.nextIncident = cfg.Start.Add(between(r, firstIncidentMin, firstIncidentMax))
	g.nextAttack = cfg.Start.Add(between(r, firstAttackMin, firstAttackMax))
	return g
}

// Next returns the next record and advances the simulated clock by one
// step. The Value is freshly allocated and owned by the caller.
func (g *Generator) Next() Record {
	if g.deploysNext < len(services) {
		// A run opens with each service's last deploy (deploys.go), stamped
		// in the past; the simulated clock does not move for them.
		si := g.deploysNext
		g.deploysNext++
		at := g.cfg.Start.Add(-DeployAge(services[si].name))
		return Record{Topic: g.cfg.EventsTopic, Key: services[si].name, Value: appendDeploy(make([]byte, 0, 192), si, at), Timestamp: at, ContentType: ContentTypeJSON}
	}
	now := g.now
	g.now = g.now.Add(g.step)
	g.advance(now)
	r := g.r

	if g.scrapeNext < len(services) {
		si := g.scrapeNext
		g.scrapeNext++
		s := &services[si]
		incident := g.incident && g.incSvc == si
		v := g.metrics[si].appendScrape(make([]byte, 0, 2048), r, s, hosts[si][0][0], g.scrapeAt, incident)
		return Record{Topic: g.cfg.MetricsTopic, Key: s.name, Value: v, Timestamp: g.scrapeAt, ContentType: ContentTypePrometheus}
	}

	share := eventShare
	var at *attack
	if g.attacking {
		share, at = attackEventShare, &g.attack
	}
	if r.Float64() < share {
		if r.Float64() < cloudTrailShare {
			v, account := appendCloudTrail(make([]byte, 0, 1024), r, now, at)
			return Record{Topic: g.cfg.EventsTopic, Key: account, Value: v, Timestamp: now, ContentType: ContentTypeJSON}
		}
		v, tenant := appendAudit(make([]byte, 0, 256), r, now, at)
		return Record{Topic: g.cfg.EventsTopic, Key: tenant, Value: v, Timestamp: now, ContentType: ContentTypeJSON}
	}

	var si, ri int
	if g.incident && r.Float64() < incidentShare {
		si, ri = g.incSvc, g.incRegion
	} else {
		si, ri = pickService(r), pickRegion(r)
		for g.quiet(si, now) {
			si = pickService(r)
		}
	}
	incident := g.incident && si == g.incSvc && ri == g.incRegion
	v, out := appendLog(make([]byte, 0, 320), r, now, si, ri, incident, false)
	g.metrics[si].observe(out)
	return Record{Topic: g.cfg.LogsTopic, Key: services[si].name, Value: v, Timestamp: now, ContentType: ContentTypeJSON}
}

// advance starts and ends incidents and attacks and queues scrapes that are
// due at now.
func (g *Generator) advance(now time.Time) {
	r := g.r
	if g.incident && !now.Before(g.incUntil) {
		g.incident = false
		g.nextIncident = now.Add(between(r, incidentGapMin, incidentGapMax))
	}
	if !g.incident && !now.Before(g.nextIncident) {
		g.incident = true
		g.incidents++
		g.incSvc, g.incRegion = pickService(r), pickRegion(r)
		for g.quiet(g.incSvc, now) {
			g.incSvc = pickService(r)
		}
		g.incUntil = now.Add(between(r, incidentMin, incidentMax))
	}
	if g.attacking && !now.Before(g.attackTill) {
		g.attacking = false
		g.nextAttack = now.Add(between(r, attackGapMin, attackGapMax))
	}
	if !g.attacking && !now.Before(g.nextAttack) {
		g.attacking = true
		g.attack = attack{
			ip:     "192.0.2." + strconv.Itoa(1+r.IntN(254)),
			tenant: tenants[r.IntN(len(tenants))],
		}
		g.attackTill = now.Add(between(r, attackMin, attackMax))
	}
	if !now.Before(g.nextScrape) {
		g.scrapeAt = g.nextScrape
		g.scrapeNext = 0
		for !now.Before(g.nextScrape) {
			g.nextScrape = g.nextScrape.Add(ScrapeInterval)
		}
	}
}

// quiet says whether service si's log lines are lost at now: the quiet
// service while its shipper is stalled.
func (g *Generator) quiet(si int, now time.Time) bool {
	if si != g.quietIdx {
		return false
	}
	since := now.Sub(g.cfg.Start)
	return since >= quietFrom && since < quietFrom+quietFor
}

// between draws a duration uniformly from [lo, hi), to the millisecond.
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64((hi-lo)/time.Millisecond)))*time.Millisecond
}
