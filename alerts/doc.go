// Package alerts is monitors as code and the notifier.
//
// A monitor (monitor.go, one YAML file under configs/monitors/) runs one
// template version with bound values over a window (range) ending at each
// of its ticks (every), and a condition decides per group (group_by)
// whether its alert holds: a value column above or below a threshold, a
// change against the same window a day or a week earlier, no rows at all
// (no_data: a source that went quiet), or any row (expect: empty, one
// alert per row). decode.go reads a monitor strictly and names the field
// at fault; lint.go checks it against the instance (template version,
// parameters, the columns the engine says the statement returns, the
// dashboard, the channels). Monitors are a content kind of the dashboards
// package's Library and promotion, so `logmart dashboards promote --kind
// monitor` carries them byte for byte and verify proves the copies match.
//
// Evaluation (service.go, evaluate.go, state.go). Ticks fall on multiples
// of every since the Unix epoch; each monitor runs at its tick plus a
// fixed jitter from its id (up to a quarter of the interval, at most 15s)
// so monitors do not all query at once. Its window ends at the tick, not
// at the moment it runs, so identical monitors read identical windows and
// share one run (coalesce.go) whatever their jitter. A run is read-only,
// as the viewer "alerts" with the viewer's limits, outside the viewers'
// statement budget (alerts.evaluators bounds it). Per group the state is
// ok, pending (the condition holds, for not passed yet), firing, resolved,
// no_data or error; a query that fails puts the monitor's whole group ""
// in error, which is notified like a firing alert and resolved when the
// query answers again — never a silent ok. keep_firing_for holds a firing
// alert through short dips.
//
// State (apply.go). Every transition is written to alert_transitions
// first, with a deterministic id (monitor, group, state, tick) and the
// event it notifies, so a repeated write is one row. Then its
// notifications go to the outbox, then monitor_state is updated for the
// API. At start (and whenever this replica takes the lease) the states are
// the latest transition of each group, and transitions of the last day
// meant for channels but missing from the outbox (a crash between the two
// writes) are queued again. A restart resumes where it was.
//
// One evaluator (lease.go). Several replicas may serve the API; one
// evaluates and delivers: the holder of a lease in ClickHouse (the
// alert_lease table, a ReplacingMergeTree by version). A replica takes a
// free or expired lease by writing a higher version, waits a settle time
// for a rival's write to land, and reads back: the highest version holds
// it. It renews every third of the lease time and works only until its
// last renewal plus the lease time minus the settle time, so it stops
// before anyone else may start. ClickHouse arbitrates, and the
// deterministic transition ids make an overlap during a hand-over write
// the same rows rather than new ones.
//
// Context (apply.go). When a group fires, the evaluation's window is
// pinned as a shared link with its result frozen (the rows the monitor
// saw), and the monitor's dashboard URL is built over the same window with
// its variables bound ("$service" takes the group's label). Both travel in
// every notification with the value, the threshold, the labels, the
// playbook and the escalation notes.
//
// Notifier (notify*.go, outbox.go). Notifier is the one way to notify;
// budgets call it too. Notify writes one row per event and channel to the
// notifications table before anything is sent; one worker per channel
// delivers in order, retrying with exponential backoff and jitter at least
// as long as Retry-After, until give_up_after, and records every attempt.
// A delivery marked sent is never sent again; the gap is a crash within
// 100 ms of a receiver's acceptance (outcomes are written in batches),
// after which that delivery is sent again with the same id. Channel kinds:
// PagerDuty Events v2 (dedup_key monitor/group, so trigger and resolve
// pair), Slack blocks, a webhook with Alertmanager's payload (version 4)
// signed with HMAC-SHA256 over timestamp.body, Alertmanager's API v2
// (firing alerts resent every resend_every with an end four periods ahead,
// as Prometheus does, so routing, grouping and silences stay in
// Alertmanager), and log, the embedded default.
//
// Silences (silences.go) match a monitor and label values over a window;
// mute windows are a monitor's own daily quiet hours. Matching transitions
// are recorded, marked with what silenced them, and not sent. noise.go
// ranks monitors by transitions, flaps, time firing and alerts resolved
// without an acknowledgement.
package alerts
