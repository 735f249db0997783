package store

// LogLevels are the values of logs.level for a recognized level, from least
// to most severe. Ingest writes every spelling it knows (WARNING, E, 50,
// SEVERE) as one of them, and the log search accepts only them, so a filter
// names a level that can match.
var LogLevels = []string{"trace", "debug", "info", "warn", "error", "fatal"}
