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
// All content comes from a math/rand/v2 source seeded by Config.Seed and a
// simulated clock that advances by 1/Rate per record, so the same Seed, Rate
// and Start yield the same records byte for byte, however fast Kafka accepts
// them.
// IP addresses are drawn from the documentation ranges of RFC 5737.
package demo
