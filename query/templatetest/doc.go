// Package templatetest holds what tests of query templates share: a runner
// of text scripts that load rows into the real engine, run templates and
// state the rows (or the error) each run must give, in the spirit of
// Prometheus' promqltest; and a demo-shaped data set (InsertDemo) for tests
// that want every shipped template to have rows to read.
//
// The scripts of the shipped templates are testdata/*.test, embedded and
// run by TestScripts against configs/templates, each script on a database
// of its own.
//
// # Script format
//
// A script is a sequence of commands, one per line, starting at the line's
// first character. A command may own a block: the indented lines right
// under it, up to a blank or an unindented line; the indentation (spaces or
// tabs) is removed. Lines starting with # are comments, in blocks too.
//
//	now <time>
//
// sets the instant relative times in later run lines resolve against
// ("now-1h", "15m"). It is RFC 3339; the default is 2026-01-01T00:00:00Z.
//
//	load <table> [<format>]
//	  <rows>
//
// inserts the block into table as it is written, in a ClickHouse input
// format: JSONEachRow when none is named (one JSON object a line; columns
// left out get their defaults), or any other such as CSVWithNames or
// TabSeparatedWithNames. Times are read best effort: "2026-01-01 10:00:00",
// "2026-01-01 10:00:00.250" and "2026-01-01T10:00:00Z" all work, in UTC
// unless an offset is given. The table's TTL is removed in the script's
// database before its first load, so rows with fixed times stay whatever
// the date. Each load adds rows; identical rows are not deduplicated.
//
//	run <template> [<version>] [from <time>] [to <time>] [<name>=<value> …]
//
// runs a template (its latest version unless a version number follows the
// id) over [from, to), by the same time grammar as the API (query.ParseTime;
// from and to default to now-1h and now), with parameter values as text, as
// the API and the CLI send them: lists comma-separated, durations "10m",
// booleans "true". A value with spaces is written as a Go quoted string:
// text="timed out", from "now-1d/d Europe/Paris". Relative times in
// time-typed parameters resolve against the real clock, so write them as
// absolute times. The run goes through the template catalog as a viewer's
// request would, with the result cache off.
//
// Every run is followed by one expect:
//
//	expect rows [unordered]
//	  <row>
//	  …
//
// states the rows the run returns, one JSON array a line in column order, as
// the API writes them: numbers as numbers, times as text in the engine's
// form ("2026-01-01 10:00:00.000" for a DateTime64(3)), maps as objects. An empty block states that
// there are none. Rows are compared in order unless unordered is given.
// Numbers are equal when they are the same integer, or floats within a
// relative 1e-9. On a difference the runner prints the rows it got in this
// form, ready to paste.
//
//	expect error <text>
//
// states that the run fails with exactly this message, the one a user sees
// (a template's refusal of a value, a range error). Text ending in "…" is a
// prefix.
//
// For example:
//
//	now 2026-11-21T12:00:00Z
//
//	load logs
//	  {"timestamp": "2026-11-21 11:05:00", "service": "checkout", "level": "error", "body": "upstream timed out"}
//	  {"timestamp": "2026-11-21 11:07:00", "service": "checkout", "level": "info", "body": "ok"}
//
//	run errors_by_service from now-1h step=10m
//	expect rows
//	  ["2026-11-21 11:00:00", "checkout", 1]
//
//	run errors_by_service step=5s
//	expect error param "step": step must be at least 10s, and the range at most 5000 steps
//
// Parse reads this format into commands without running them, so other
// scripts (the pipeline's, the budgets') can share its shape and add their
// own commands. The package does not import query: query's own tests import
// it for InsertDemo, so what runs a template is handed to RunScripts.
package templatetest
