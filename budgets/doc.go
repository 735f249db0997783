// Package budgets is ingest budgets: the model (one YAML file per budget
// under configs/budgets/, model.go), periods (period.go), the end-of-period
// forecast (forecast.go), the alert states (states.go) and the backtest
// that replays a usage series (backtest.go, series.go). Accounting in
// ingest and enforcement plug in through an interface ingest owns; this
// package never imports ingest.
//
// # Accounting and enforcement
//
// Accountant (account.go) matches a record's metadata (Meta) against every
// budget's scope, compiled once; the matches are cached per distinct Meta,
// so a batch of records from a few streams, services and hosts costs a map
// lookup each. A record counts toward every budget it matches, parent and
// child alike, under the outcome it gets: stored, dropped (stop) or
// archive-only. The strictest action of the matching budgets that are
// exceeded in their period wins: stop, then archive-only, then keep.
//
// Usage per budget, minute and outcome is flushed to ClickHouse, and each
// replica then syncs its view of the period to the total every replica
// persisted. Between two syncs a replica sees only its own counts, so
// replicas together accept at most what the others receive in one sync
// interval beyond a stop budget's capacity: with R replicas and a sync
// every s seconds, the overshoot is bounded by × s × the per-replica
// rate of the budget's records (TestTwoReplicasOvershootWithinTheBound).
//
// # Budgets as content
//
// Budgets come from the files of budgets.dir and from the budgets table,
// where the API (and promotion) writes them: a dashboards.Library, like
// monitors. The Book (book.go) reads the library; when the set changes it
// hands it to the Accountant (Replace) and the Evaluator (Set). A budget
// that keeps its id, period and unit keeps the usage of its period and its
// alert states; a changed period starts from what budget_usage holds for
// the new one. A write applies at once on the replica that took it, and on
// the others at their next Refresh, every budgets.sync_every.
//
// # The forecast
//
// Usage is counted per bucket (five minutes by default). At every bucket
// the forecast predicts the period's end from:
//
//   - the period so far: its usage U after n of its N buckets;
//   - the shape of earlier periods: for each earlier period h (the newest
//     28), what it used in buckets n…N, R_h — the rest of the day as that
//     day went, so a quiet night and a busy afternoon are expected, not
//     extrapolated;
//   - the current level: for each of the last three windows w of 30
//     minutes, the ratio k_hw of this period's usage in w to period h's
//     usage in the same window. A ratio compares like with like (this
//     afternoon with earlier afternoons).
//
// Every pair (h, w) gives one end, U + k_hw·R_h. The point forecast is
// their median, the interval their (1-c) and c quantiles for the budget's
// confidence c (0.9). The reasoning:
//
//   - Seasonality comes from R_h, the history's own shape, not from a
//     line: a straight line through a daily curve over-predicts at its peak
//     and under-predicts in the trough. That is what Prometheus'
//     predict_linear (the baseline, --method linear) does, and why it
//     raises forecast-under every night.
//   - A trend shows as k above 1 in every recent window, so the forecast
//     rises as the day ramps. A sustained ramp is caught hours before the
//     cap; a single burst lifts one window's k, which moves neither the
//     median nor the lower quantile that forecast-over needs, and a missing
//     interval lowers one window's k, which moves neither the median nor
//     the upper quantile that forecast-under needs.
//   - The start of a period has few points: no forecast before 90 minutes
//     of a day (6 minutes of an hour, whose buckets are a minute and
//     windows three: OptionsFor); thresholds and the cap itself are judged
//     from the first bucket. Windows and start are durations, so a
//     backtest of rows a minute or an hour apart reads the same half-hours
//     and the same first 90 minutes as the live forecast's 5-minute
//     buckets (TestForecastAtOtherSteps: with windows counted in rows
//     instead, minute rows raised 2 false alarms and hourly rows caught
//     none of 4 caps in advance).
//   - Without history (a new budget, or too little of it) the forecast
//     says method "trend": the recent windows' rates and the period's
//     average rate carried to its end, with an interval from half the
//     lowest to twice the highest, since it does not know the shape. The
//     trend counts from the period's first usage, so a budget that began
//     counting within the period (a new deployment) is neither diluted by
//     the minutes before it existed nor ready before it has counted for
//     the forecast's start.
//     With fewer than three earlier periods the interval is widened by
//     half its width on each side.
//
// Alerts need the forecast to hold for two evaluations in a row and clear
// the same way (hysteresis): forecast-over when the interval's lower end
// is over the capacity, forecast-under when its upper end is under the
// lower bound; threshold-crossed and exceeded when the usage itself
// crosses.
//
// # Measured
//
// TestForecastBeatsLinear replays 20 generated days (Generate: daily
// shape, 10% noise, ramps, bursts, a gap, an outage) against both methods:
// each catches the 4 exceeded caps in advance, the forecast with a median
// lead time of 6.5 hours against predict_linear's 38 minutes, no false
// alarm for either, and one forecast-under (the outage) against
// predict_linear's 21 (every quiet night). `logmart budgets backtest
// --generate` replays the same series from the command line.
package budgets
