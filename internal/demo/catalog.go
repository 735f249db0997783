package demo

import (
	"hash/fnv"
	"slices"
	"strconv"
)

// The platform the demo simulates. Templates use {token}s expanded by
// appendTemplate; each service also has request endpoints and the flavor of
// its crashes.

type endpoint struct {
	method string
	path   string  // with {tokens}
	weight int     // relative share of the service's requests
	slow   float64 // latency multiplier over the service median
}

type service struct {
	name     string
	stream   string  // where the shipped configs/streams.yaml routes its lines
	weight   int     // share of all log lines
	medianMs float64 // median request latency
	sigma    float64 // log-normal spread of latency
	pods     int
	lang     string // go, java or node: the shape of its stack traces
	pkg      string // source package that crashes during incidents
	http     float64
	eps      []endpoint
	info     []string
	incident []string // error messages emitted during incidents besides stack traces
}

var services = []service{
	{
		name: "api-gateway", stream: "edge", weight: 16, medianMs: 28, sigma: 0.7, pods: 6, lang: "go", pkg: "proxy", http: 0.92,
		eps: []endpoint{
			{"GET", "/api/v1/calls/{id}", 30, 1},
			{"GET", "/api/v1/agents/{agent}/status", 25, 0.6},
			{"POST", "/api/v1/interactions", 12, 1.8},
			{"GET", "/api/v1/queues/{queue}/stats", 15, 1.2},
			{"PUT", "/api/v1/agents/{agent}/state", 10, 0.8},
			{"GET", "/api/v1/contacts/{id}", 8, 1.1},
		},
		info: []string{
			"upstream {svc} healthy again after {count} failed checks",
			"rate limit applied to tenant {tenant}: {count} requests rejected in the last minute",
			"config reloaded: {count} routes, {n} rate-limit rules",
		},
		incident: []string{
			"upstream connect error or disconnect/reset before headers. reset reason: connection timeout (upstream={svc})",
			"no healthy upstream for route /api/v1/{svc}/* in {region}",
		},
	},
	{
		name: "web-frontend", stream: "edge", weight: 12, medianMs: 45, sigma: 0.8, pods: 4, lang: "node", pkg: "server/render", http: 0.9,
		eps: []endpoint{
			{"GET", "/", 10, 1},
			{"GET", "/static/js/app.{hex}.js", 25, 0.2},
			{"GET", "/static/css/main.{hex}.css", 15, 0.2},
			{"GET", "/login", 8, 0.8},
			{"GET", "/supervisor/queues", 10, 2},
			{"GET", "/agent/inbox", 14, 1.5},
		},
		info: []string{
			"served build {hex} (cache=HIT) in {ms}ms",
			"SSR render of /supervisor/queues took {ms}ms",
			"websocket upgrade for agent {agent} from {ip}",
		},
		incident: []string{
			"upstream api-gateway returned 503 for /api/v1/queues/{queue}/stats",
			"render failed: Cannot read properties of undefined (reading 'queueId')",
		},
	},
	{
		name: "agent-desktop", stream: "default", weight: 12, medianMs: 22, sigma: 0.6, pods: 5, lang: "go", pkg: "state", http: 0.75,
		eps: []endpoint{
			{"GET", "/desktop/v2/state", 30, 0.5},
			{"PUT", "/desktop/v2/agents/{agent}/state", 20, 1},
			{"GET", "/desktop/v2/contacts/{id}", 15, 1.3},
			{"POST", "/desktop/v2/interactions/{id}/wrapup", 10, 1.5},
			{"POST", "/desktop/v2/interactions/{id}/transfer", 5, 2.2},
		},
		info: []string{
			"agent {agent} state Ready -> OnCall (interaction {hex})",
			"agent {agent} state OnCall -> AfterCallWork after {s}s",
			"websocket reconnect for agent {agent} after {count} attempts",
			"agent {agent} logged in from {ip} (tenant {tenant})",
		},
		incident: []string{
			"state transition rejected for agent {agent}: version conflict (expected {n}, got {n})",
			"websocket hub overloaded: {count} pending messages dropped",
		},
	},
	{
		name: "routing-engine", stream: "default", weight: 10, medianMs: 12, sigma: 0.5, pods: 4, lang: "go", pkg: "router", http: 0.55,
		eps: []endpoint{
			{"POST", "/internal/route", 40, 1},
			{"GET", "/internal/queues/{queue}/depth", 20, 0.4},
			{"POST", "/internal/queues/{queue}/rebalance", 3, 6},
		},
		info: []string{
			"routed interaction {hex} to queue {queue} (agents_available={count}, wait_estimate={s}s)",
			"no agents available in queue {queue}; overflow to {queue}",
			"skills matrix reloaded for tenant {tenant}: {count} agents, {n} skills",
		},
		incident: []string{
			"routing decision timed out after 2000ms for interaction {hex}",
			"queue {queue} state store unavailable: redis: connection pool timeout",
		},
	},
	{
		name: "media-server", stream: "default", weight: 9, medianMs: 18, sigma: 0.6, pods: 8, lang: "go", pkg: "rtp", http: 0.35,
		eps: []endpoint{
			{"POST", "/internal/media/sessions", 30, 1},
			{"DELETE", "/internal/media/sessions/{hex}", 25, 0.5},
			{"POST", "/internal/media/sessions/{hex}/record", 10, 1.5},
		},
		info: []string{
			"RTP session ms-{hex} established (codec opus, {ms}ms setup)",
			"jitter {ms}ms on session ms-{hex} from {ip}",
			"ICE connection established for session ms-{hex} via TURN {ip}",
			"session ms-{hex} ended after {s}s, {count} packets lost",
		},
		incident: []string{
			"TURN allocation failed for session ms-{hex}: 486 Allocation Quota Reached",
			"dropping session ms-{hex}: no RTP received for 10s",
		},
	},
	{
		name: "auth", stream: "security", weight: 8, medianMs: 35, sigma: 0.6, pods: 3, lang: "go", pkg: "token", http: 0.85,
		eps: []endpoint{
			{"POST", "/oauth/token", 35, 1},
			{"POST", "/api/v1/login", 15, 2.5},
			{"GET", "/.well-known/jwks.json", 20, 0.2},
			{"POST", "/api/v1/sessions/refresh", 20, 0.7},
			{"POST", "/api/v1/logout", 5, 0.4},
		},
		info: []string{
			"issued access token for client desktop-app (tenant {tenant}, ttl=3600s)",
			"JWKS cache refreshed ({count} keys)",
			"session revoked for user {user} (tenant {tenant})",
		},
		incident: []string{
			"token signing failed: kms: ThrottlingException: rate exceeded",
			"user store query failed: pq: remaining connection slots are reserved for non-replication superuser connections",
		},
	},
	{
		name: "checkout", stream: "payments", weight: 5, medianMs: 120, sigma: 0.7, pods: 3, lang: "java", pkg: "payments", http: 0.8,
		eps: []endpoint{
			{"POST", "/api/v1/checkout/sessions", 30, 1},
			{"POST", "/api/v1/checkout/{id}/confirm", 20, 2},
			{"GET", "/api/v1/plans", 25, 0.3},
			{"POST", "/api/v1/seats", 8, 1.2},
		},
		info: []string{
			"payment intent pi_{hex} confirmed for tenant {tenant} ({count} seats)",
			"plan upgraded for tenant {tenant}: team -> enterprise",
			"cart abandoned after {s}s (tenant {tenant})",
		},
		incident: []string{
			"payment provider timeout after 30000ms: POST https://api.payments.example/v1/payment_intents",
			"HikariPool-1 - Connection is not available, request timed out after 30000ms",
		},
	},
	{
		name: "recording", stream: "default", weight: 6, medianMs: 85, sigma: 0.9, pods: 4, lang: "java", pkg: "storage", http: 0.4,
		eps: []endpoint{
			{"POST", "/internal/recordings", 30, 1.5},
			{"GET", "/api/v1/recordings/{id}", 20, 1},
			{"GET", "/api/v1/recordings/{id}/transcript", 10, 2},
		},
		info: []string{
			"recording rec-{hex} uploaded to s3://recordings-{region}/{tenant}/{id}.opus ({size}) in {ms}ms",
			"transcription job tj-{hex} finished: {count} utterances",
			"retention sweep deleted {count} recordings older than 90d for tenant {tenant}",
		},
		incident: []string{
			"upload of rec-{hex} failed: S3: SlowDown: Please reduce your request rate (status 503)",
			"encoder queue full ({count} pending); rejecting new recordings",
		},
	},
	{
		name: "billing", stream: "payments", weight: 4, medianMs: 60, sigma: 0.8, pods: 2, lang: "java", pkg: "rating", http: 0.6,
		eps: []endpoint{
			{"GET", "/api/v1/invoices/{id}", 30, 1},
			{"POST", "/internal/usage", 50, 0.6},
			{"GET", "/api/v1/tenants/{tenant}/usage", 20, 2.5},
		},
		info: []string{
			"usage batch ub-{hex} rated: {n} minutes for tenant {tenant}",
			"invoice inv-{id} finalized for tenant {tenant}",
			"exchange rates refreshed ({count} currencies)",
		},
		incident: []string{
			"rating failed for usage batch ub-{hex}: deadlock detected (SQLSTATE 40P01)",
			"invoice run aborted: lock on tenant {tenant} held for more than 60s",
		},
	},
	{
		name: "notifications", stream: "default", weight: 6, medianMs: 40, sigma: 0.8, pods: 3, lang: "node", pkg: "senders", http: 0.5,
		eps: []endpoint{
			{"POST", "/internal/notify", 60, 1},
			{"GET", "/api/v1/notifications", 30, 0.6},
			{"PUT", "/api/v1/notifications/{id}/read", 10, 0.3},
		},
		info: []string{
			"sent {count} push notifications via fcm in {ms}ms",
			"email to {user}@{tenant}.example queued (template=missed-call)",
			"SMS delivery receipt for msg-{hex}: delivered",
		},
		incident: []string{
			"email delivery deferred: 421 4.7.0 try again later (provider smtp.mail.example)",
			"push provider returned 503; {count} notifications requeued",
		},
	},
	{
		name: "search", stream: "default", weight: 5, medianMs: 55, sigma: 0.9, pods: 3, lang: "java", pkg: "index", http: 0.8,
		eps: []endpoint{
			{"GET", "/api/v1/search?q={word}&limit=20", 60, 1},
			{"GET", "/api/v1/contacts/search?phone=%2B1555{n}", 25, 0.8},
			{"POST", "/internal/index/contacts", 15, 3},
		},
		info: []string{
			"reindexed {count} contacts for tenant {tenant} in {ms}ms",
			"index segment merge finished: {count} segments -> 1 ({size})",
		},
		incident: []string{
			"search shard contacts-{count} unavailable: circuit_breaking_exception [parent] Data too large",
			"query rejected: es_rejected_execution_exception, queue capacity 1000",
		},
	},
	{
		name: "analytics", stream: "default", weight: 7, medianMs: 150, sigma: 1.0, pods: 3, lang: "go", pkg: "reports", http: 0.6,
		eps: []endpoint{
			{"GET", "/api/v1/reports/{id}", 40, 1},
			{"POST", "/api/v1/queries", 30, 2},
			{"GET", "/api/v1/dashboards/{id}/tiles", 30, 0.7},
		},
		info: []string{
			"materialized report daily_queue_stats for tenant {tenant} in {ms}ms (rows={n})",
			"export ex-{hex} written: {n} rows, {size}",
			"realtime aggregates lag {ms}ms behind interaction stream",
		},
		incident: []string{
			"query q-{hex} killed: memory limit exceeded (would use 9.31 GiB, maximum: 8.00 GiB)",
			"aggregation worker fell behind: {n} events pending",
		},
	},
}

// Lines shared by every service, at debug and warn level and for the
// occasional error outside incidents.
var (
	debugLines = []string{
		"cache hit key=agent:{agent}:state ttl=30s",
		"cache miss key=tenant:{tenant}:config; loading from db",
		"db query contacts.by_id took {ms}ms rows=1",
		"kafka consumer lag partition={count} lag={n}",
		"feature flag new-routing=on for tenant {tenant}",
		"grpc call {svc}.Get took {ms}ms",
	}
	warnLines = []string{
		"slow query on interactions took {ms}ms (threshold 500ms)",
		"retrying request to {svc} (attempt 2/3): context deadline exceeded",
		"connection pool {pct}% used ({count}/500)",
		"circuit breaker half-open for {svc}",
		"tls certificate for {svc}.internal expires in {count} days",
		"request body of {size} exceeds soft limit for tenant {tenant}",
	}
	errorLines = []string{
		"failed to publish to kafka topic interactions: kafka: broker not available",
		"request to {svc} failed: dial tcp {ip}:8443: connect: connection refused",
		"database error: deadlock detected (SQLSTATE 40P01)",
		"unexpected EOF reading response from {svc}",
	}
)

var regions = []struct {
	name   string
	weight int
}{
	{"us-east-1", 35}, {"eu-west-1", 25}, {"us-west-2", 15}, {"eu-central-1", 15}, {"ap-southeast-2", 10},
}

var (
	tenants    = []string{"acme-support", "globex", "initech", "umbrella-care", "wayne-ent", "stark-retail", "hooli", "soylent-cx", "cyberdyne", "wonka-foods"}
	queues     = []string{"support-tier1", "support-tier2", "billing-en", "billing-es", "sales-inbound", "retention", "vip", "callbacks"}
	words      = []string{"refund", "invoice", "password", "cancel", "upgrade", "outage", "shipping", "callback"}
	firstNames = []string{"james", "maria", "wei", "fatima", "olga", "john", "aisha", "carlos", "yuki", "priya", "liam", "sofia", "noah", "emma", "ahmed", "lucas"}
	lastNames  = []string{"smith", "garcia", "chen", "khan", "ivanova", "okafor", "rossi", "tanaka", "patel", "muller", "silva", "nguyen", "kim", "dubois", "jones", "cohen"}
)

// hosts[s][r][p] is pod p of service s in region r, shaped like a Kubernetes
// pod name: <service>-<replicaset hash>-<n>.<region>. The hash is derived
// from the names, so it stays the same across runs and seeds.
var hosts [][][]string

func init() {
	hosts = make([][][]string, len(services))
	for si, s := range services {
		hosts[si] = make([][]string, len(regions))
		for ri, r := range regions {
			h := fnv.New32a()
			h.Write([]byte(s.name + "/" + r.name))
			hash := strconv.FormatUint(uint64(h.Sum32()&0xffff|0x1000), 16)
			for p := range s.pods {
				hosts[si][ri] = append(hosts[si][ri], s.name+"-"+hash+"-"+strconv.Itoa(p)+"."+r.name)
			}
		}
	}
}

// serviceIndex returns the index of the named service, or -1.
func serviceIndex(name string) int {
	for i, s := range services {
		if s.name == name {
			return i
		}
	}
	return -1
}

// Weighted pick tables, built once.
var (
	serviceTotal, regionTotal int
	endpointTotals            []int
)

func init() {
	for _, s := range services {
		serviceTotal += s.weight
		t := 0
		for _, e := range s.eps {
			t += e.weight
		}
		endpointTotals = append(endpointTotals, t)
	}
	for _, r := range regions {
		regionTotal += r.weight
	}
}

// The demo world, for data sets written straight into the store (see the
// package documentation).

// Services returns the names of the simulated services, in catalog order.
func Services() []string {
	names := make([]string, len(services))
	for i, s := range services {
		names[i] = s.name
	}
	return names
}

// Stream returns the stream the shipped configs/streams.yaml routes the
// named service's records to, or "" for a service the demo does not
// simulate. The rules are the owner; a test holds this table to them.
func Stream(service string) string {
	if si := serviceIndex(service); si >= 0 {
		return services[si].stream
	}
	return ""
}

// Regions returns the regions the platform runs in, busiest first.
func Regions() []string {
	names := make([]string, len(regions))
	for i, r := range regions {
		names[i] = r.name
	}
	return names
}

// Hosts returns the pod host names of the named service in a region, as its
// log lines carry them (<service>-<hash>-<n>.<region>, the same in every
// run), or nil for an unknown service or region. The count is the
// service's pods: 2 to 8.
func Hosts(service, region string) []string {
	si := serviceIndex(service)
	if si < 0 {
		return nil
	}
	for ri, r := range regions {
		if r.name == region {
			return slices.Clone(hosts[si][ri])
		}
	}
	return nil
}

// Tenants returns the customer tenants whose traffic and audit events the
// demo carries.
func Tenants() []string { return slices.Clone(tenants) }
