// Package demo produces realistic traffic for a contact-center SaaS platform
// into logmart's Kafka topics, so `make run` shows dashboards with something
// in them and benchmarks have data shaped like production.
//
// Three topics are fed:
//
//   - logs: one JSON object per record from a dozen microservices (api-gateway,
//     routing-engine, agent-desktop, media-server, …) across five regions:
//     HTTP access lines with log-normal latencies and mostly-2xx statuses,
//     application messages, debug chatter, and every few minutes an incident
//     in which one service in one region emits 5xx responses and stack traces
//     for 20 to 40 seconds.
//   - events: audit and security events from the auth service (logins,
//     failed logins, role changes, API tokens, exports), with an occasional
//     brute-force episode against root or admin from a single address.
//   - metrics: one Prometheus text exposition per service every 10 seconds,
//     whose request counters and latency histograms count the very requests
//     the logs topic carries.
//
// Beside them, RunContactCenter feeds the contact-center pipeline's input
// topics (gca-cfg, voice-agentstate, voice-callthread) in real time with
// SimulateContactCenter's shifts of LiveContactCenter: configured agents on
// one or two DNs taking calls that queue, ring, are answered, held,
// transferred and abandoned, with after-call work and breaks. The same
// simulator, run ahead of the clock, records the facts it means (the
// truth the pipeline's tests compare with).
//
// All content comes from a math/rand/v2 source seeded by Config.Seed and a
// simulated clock that advances by 1/Rate per record, so the same Seed, Rate
// and Start yield the same records byte for byte, however fast Kafka accepts
// them.
// IP addresses are drawn from the documentation ranges of RFC 5737.
//
// The package is the one source of the demo world. Data sets written
// straight into the store rather than generated here (the template tests'
// demo hour, the query benchmark's rows) take their services, streams,
// regions, hosts and tenants from Services, Stream, Regions, Hosts, Tenants
// and AuditService, so that every data set describes the same platform.
package demo
