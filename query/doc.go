// Package query runs questions against ClickHouse on someone's behalf: raw
// read-only SQL for operators, the log search behind the Logs page, and (in
// later steps) named templates and shared links. Every run is recorded in
// query_log by the Audit.
//
// Values never reach SQL text: they are bound as {name:Type} parameters.
// What a caller may read is decided by the store.Settings the caller brings
// (read-only, limits, table filters), which ClickHouse enforces.
package query
