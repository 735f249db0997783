// Package query runs questions against ClickHouse on someone's behalf: raw
// read-only SQL for operators, the log search behind the Logs page, named
// query templates, and shared links that pin a template run. Every run is
// recorded in query_log by the Audit.
//
// The overview page's figures (OverviewReader) are reads of the logs
// table, each bounded by the requested window of minutes, recorded like any
// other and kept for the template cache's lifetime.
//
// A template is a named, versioned, typed, parameterized query read from
// configs/templates and checked by ClickHouse when loaded (Catalog, Lint).
// Every version ever loaded stays runnable from query_templates. A run
// types its values against the template's parameters, renders the SQL, and
// shares its result through a short-lived cache that also coalesces
// identical runs in flight, among callers with the same limits and scope.
//
// A shared link (Links) pins a template version, its values and an
// absolute time range in shared_links, optionally with the result frozen
// at creation, so the link shows the same thing when opened later. Since
// any viewer can create links, LinkConfig bounds what they store: a frozen
// result's size, how long it is kept (the link itself stays), and how many
// links a caller may create a minute and a day. A refused or failed
// request's query_log entry is cut to bounded sizes for the same reason.
//
// Values never reach SQL text: they are bound as {name:Type} parameters.
// What a caller may read is decided by the store.Settings the caller brings
// (read-only, limits, table filters), which ClickHouse enforces.
package query
