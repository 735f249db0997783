// Package kafka is logmart's Kafka boundary: the configuration shared by
// every component that reads or writes the log, event and metric topics, the
// client options built from it, a readiness check, and the embedded broker
// that `logmart serve` runs when no external cluster is configured.
//
// The embedded broker is franz-go's kfake cluster with one broker on a real
// TCP listener, so any Kafka client (kcat, librdkafka, franz-go) can produce
// to it. With a data directory it writes every produced batch there before
// acknowledging the produce request, so a record acknowledged to a producer
// survives the process being killed (the kernel holds the written pages).
// With sync_writes (default false) it also fsyncs each batch before the
// acknowledgement, so acknowledged records survive a power loss too, at one
// fsync per batch. The same Config drives both
// sides: SASL and TLS settings are what the embedded broker demands and what
// ClientOpts presents, and with embedded set to false the client options
// point at an external cluster instead.
package kafka
