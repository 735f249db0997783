package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/query"
)

func runBudgets(args []string) error {
	if len(args) == 0 || (args[0] != "backtest" && args[0] != "lint" && args[0] != "status" && args[0] != "reset") {
		fmt.Fprint(os.Stderr, `usage: logmart budgets <command> [flags]

commands:
  status    each budget's usage, forecast, interval and state on a server
            ([--server URL] [--json])
  reset     start a budget's period over now, without moving its next
            scheduled reset ([--server URL] --reason TEXT ID); audited
  lint      check budgets (files or folders of *.yaml; default budgets.dir):
            scope, capacity, period, reset, time zone, action, bounds, and
            the channels and dashboard named ([--config FILE]
            [--dashboards DIR])
  backtest  replay a usage series against a capacity and a period, and say
            when each alert would have fired and how long before the cap
            (--series FILE.csv --capacity N --period daily|hourly
            [--timezone TZ] [--reset HH:MM] [--method forecast|linear]
            [--lower-bound N] [--json]), or replay generated days
            (--generate steady,ramp,burst,outage,gap,... or --generate mixed),
            or replay a budget's recorded usage on a server against it or
            against a proposed one ([--server URL] --budget ID
            [--file PROPOSED.yaml] [--from T] [--to T])
`)
		if len(args) == 0 {
			return usageError{errors.New("name a command: status, reset, lint or backtest")}
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return nil
		}
		return usageError{fmt.Errorf("unknown budgets command %q (want status, reset, lint or backtest)", args[0])}
	}
	switch args[0] {
	case "lint":
		return runBudgetsLint(args[1:])
	case "status":
		return runBudgetsStatus(args[1:])
	case "reset":
		return runBudgetsReset(args[1:])
	}
	return runBudgetsBacktest(args[1:])
}

func runBudgetsLint(args []string) error {
	fs := newFlags("budgets lint")
	cfgPath := fs.String("config", "", "configuration file, for budgets.dir and alerts.channels (default: configs/logmart.yaml when it exists)")
	ddir := fs.String("dashboards", "", "dashboard folder the budgets' dashboards come from (default: dashboards.dir)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{cfg.Budgets.Dir}
	}
	if *ddir == "" {
		*ddir = cfg.Dashboards.Dir
	}
	dashboardExists, err := dashboardUIDs(*ddir)
	if err != nil {
		return err
	}
	refs := &budgets.Refs{
		Channel:   func(name string) bool { _, ok := cfg.Alerts.Channels[name]; return ok },
		Dashboard: dashboardExists,
	}
	n, err := dashboards.LintItems(context.Background(), budgets.Kind(refs), paths, nil, false)
	if err != nil {
		k := strings.Count(err.Error(), "\n") + 1
		return fmt.Errorf("%d problem(s) in %s:\n%w", k, strings.Join(paths, " "), err)
	}
	fmt.Printf("%d budgets in %s are fine\n", n, strings.Join(paths, " "))
	return nil
}

// mixedMonth is --generate mixed: a week of history, then ramps, bursts,
// a gap and an outage among steady days.
var mixedMonth = []string{"steady", "steady", "steady", "steady", "steady", "steady", "steady",
	"ramp", "steady", "burst", "ramp", "gap", "steady", "outage", "steady", "ramp", "burst", "steady", "steady", "ramp"}

func runBudgetsBacktest(args []string) error {
	fs := newFlags("budgets backtest")
	series := fs.String("series", "", "CSV of timestamp,value: usage per row's interval, in the capacity's unit")
	generate := fs.String("generate", "", "replay generated days instead: a comma-separated list of steady, ramp, burst, outage, gap, or mixed (20 days); capacity and lower bound default to the generator's")
	seed := fs.Uint64("seed", 7, "the generator's seed")
	capacity := fs.String("capacity", "", "the capacity per period: a number in the series' unit, or 50GiB")
	lower := fs.String("lower-bound", "", "alert when the period is forecast to end below this")
	period := fs.String("period", "daily", "daily or hourly")
	zone := fs.String("timezone", "UTC", "the period's IANA time zone")
	reset := fs.String("reset", "00:00", "when the period starts (HH:MM; hourly: the minute)")
	method := fs.String("method", budgets.MethodForecast, "forecast (logmart's) or linear (Prometheus' predict_linear)")
	asJSON := fs.Bool("json", false, `print {"alerts":[…],"summary":{…}}`)
	api := apiFlags(fs)
	budgetID := fs.String("budget", "", "replay this budget's recorded usage on the server (--from, --to) against it, or against --file")
	file := fs.String("file", "", "a proposed budget (YAML) to replay the recorded usage against; its id names the usage unless --budget does")
	from := fs.String("from", "now-28d", "with --budget: the recorded usage from this time: "+query.TimeForms)
	to := fs.String("to", "now", "with --budget: the recorded usage before this time")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	recorded := *budgetID != "" || *file != ""
	if n := btoi(*series != "") + btoi(*generate != "") + btoi(recorded); n != 1 {
		return usageError{errors.New("give one of --series FILE.csv, --generate DAYS, or --budget ID [--file PROPOSED.yaml] --from T --to T")}
	}
	if *method != budgets.MethodForecast && *method != budgets.MethodLinear {
		return usageError{fmt.Errorf("--method %q: forecast or linear", *method)}
	}
	if recorded {
		methodSet := false
		fs.Visit(func(f *flag.Flag) { methodSet = methodSet || f.Name == "method" })
		if !methodSet {
			*method = "" // the budget's own
		}
		return backtestRecorded(api, *budgetID, *file, *from, *to, *method, *asJSON)
	}
	p, err := budgets.ParsePeriod(*period, *reset, *zone)
	if err != nil {
		return usageError{fmt.Errorf("--%w", err)}
	}
	var samples []budgets.Sample
	lim := budgets.Limits{Hold: 2}
	if *generate != "" {
		days := strings.Split(*generate, ",")
		if *generate == "mixed" {
			days = mixedMonth
		}
		if samples, err = budgets.Generate(days, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), *seed); err != nil {
			return usageError{fmt.Errorf("--generate: %w", err)}
		}
		lim.Capacity, lim.LowerBound = budgets.GeneratedCapacity, budgets.GeneratedCapacity*0.4
	} else {
		f, err := os.Open(*series)
		if err != nil {
			return err
		}
		samples, err = budgets.ReadSeries(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--series %s: %w", *series, err)
		}
	}
	if *capacity != "" {
		a, err := budgets.ParseAmount(*capacity)
		if err != nil || a.Value <= 0 {
			return usageError{fmt.Errorf("--capacity: %q is not a positive amount", *capacity)}
		}
		lim.Capacity = a.Value
	}
	if lim.Capacity <= 0 {
		return usageError{errors.New("--capacity is required with --series")}
	}
	if *lower != "" {
		a, err := budgets.ParseAmount(*lower)
		if err != nil {
			return usageError{fmt.Errorf("--lower-bound: %w", err)}
		}
		lim.LowerBound = a.Value
	}
	return printBacktest(budgets.Backtest(samples, p, lim, *method, budgets.OptionsFor(p, budgets.Step(samples))), p, *asJSON)
}

// backtestRecorded replays a budget's recorded usage, read from the
// server, against the budget (from the server) or a proposed one (file).
func backtestRecorded(api *serverFlags, id, file, from, to, method string, asJSON bool) error {
	cl, err := api.client()
	if err != nil {
		return err
	}
	ctx := context.Background()
	var def *budgets.Budget
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if def, _, err = budgets.Decode(b, file); err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		if id == "" {
			id = def.ID
		}
	} else {
		body, _, err := cl.BudgetYAML(ctx, id)
		if err != nil {
			return fmt.Errorf("budget %s: %w", id, err)
		}
		if def, _, err = budgets.Decode(body, id); err != nil {
			return fmt.Errorf("budget %s as the server holds it: %w", id, err)
		}
	}
	u, err := cl.BudgetUsage(ctx, id, from, to)
	if err != nil {
		return fmt.Errorf("the recorded usage of budget %s: %w", id, err)
	}
	p, err := budgets.ParsePeriod(def.Period, def.Reset, def.Timezone)
	if err != nil {
		return err
	}
	capa, err := budgets.ParseAmount(def.Capacity)
	if err != nil {
		return err
	}
	lim := budgets.Limits{Capacity: capa.Value, Thresholds: def.Thresholds, Hold: 2}
	if def.LowerBound != "" {
		lb, err := budgets.ParseAmount(def.LowerBound)
		if err != nil {
			return err
		}
		lim.LowerBound = lb.Value
	}
	ps := make([]budgets.UsagePoint, len(u.Minutes))
	for i, m := range u.Minutes {
		ps[i] = budgets.UsagePoint{Minute: m.Minute, Bytes: m.Bytes, Events: m.Events}
	}
	samples := budgets.Samples(ps, capa.Events, u.From, u.To, p)
	if len(samples) < 2 {
		return fmt.Errorf("--from %s --to %s holds less than two of the budget's buckets", from, to)
	}
	if method == "" {
		method = def.Forecast.Method
	}
	o := budgets.OptionsFor(p, budgets.Step(samples))
	if def.Forecast.Confidence > 0 {
		o.Confidence = def.Forecast.Confidence
	}
	return printBacktest(budgets.Backtest(samples, p, lim, method, o), p, asJSON)
}

// printBacktest prints a backtest's alerts and summary, or its JSON.
func printBacktest(res budgets.BacktestResult, p budgets.Period, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tSTATE\tUSAGE\tFORECAST\tINTERVAL\tLEAD")
	for _, a := range res.Alerts {
		lead := ""
		if a.LeadTimeSeconds > 0 {
			lead = (time.Duration(a.LeadTimeSeconds) * time.Second).String()
		}
		fmt.Fprintf(w, "%s\t%s\t%.4g\t%.4g\t%.4g–%.4g\t%s\n", a.At.In(p.Location).Format("2006-01-02 15:04"), a.State, a.Usage, a.Forecast, a.Lower, a.Upper, lead)
	}
	_ = w.Flush()
	s := res.Summary
	fmt.Printf("%s: %d periods, %d exceeded, %d caught in advance, %d missed, %d false alarms, median lead time %s, %d forecast-under\n",
		res.Method, s.Periods, s.Exceeded, s.CaughtInAdvance, s.Missed, s.FalseAlarms, time.Duration(s.MedianLeadTimeSeconds)*time.Second, s.ForecastUnder)
	for _, n := range res.Notes {
		fmt.Println("note:", n)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func runBudgetsStatus(args []string) error {
	fs := newFlags("budgets status")
	sf := apiFlags(fs)
	asJSON := fs.Bool("json", false, "print the server's JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cl, err := sf.client()
	if err != nil {
		return err
	}
	raw, err := cl.Budgets(context.Background())
	if err != nil {
		return err
	}
	if *asJSON {
		_, err := os.Stdout.Write(append(raw, '\n'))
		return err
	}
	var out struct{ Budgets []budgets.Status }
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("cannot read the budgets: %w", err)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "BUDGET\tSTATE\tUSAGE\tCAPACITY\tFORECAST\tINTERVAL\tMETHOD\tDROPPED\tARCHIVE-ONLY")
	for _, b := range out.Budgets {
		f := b.Forecast
		fc, iv := "-", "-"
		if f.Ready {
			fc, iv = fmt.Sprintf("%.4g", f.Point), fmt.Sprintf("%.4g–%.4g", f.Lower, f.Upper)
		}
		fmt.Fprintf(w, "%s\t%s\t%.4g %s\t%.4g\t%s\t%s\t%s\t%.4g\t%.4g\n", b.ID, b.State, b.Usage, b.Unit, b.Capacity, fc, iv, f.Method, b.Dropped, b.ArchiveOnly)
	}
	if len(out.Budgets) == 0 {
		fmt.Fprintln(w, "no budgets on this server (budgets.dir)")
	}
	return w.Flush()
}

func runBudgetsReset(args []string) error {
	fs := newFlags("budgets reset")
	sf := apiFlags(fs)
	reason := fs.String("reason", "", "why (required: every reset is audited)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("name one budget, e.g. logmart budgets reset --reason 'incident 4711 backfill' edge")}
	}
	cl, err := sf.client()
	if err != nil {
		return err
	}
	r, err := cl.ResetBudget(context.Background(), fs.Arg(0), *reason)
	if err != nil {
		return err
	}
	fmt.Printf("budget %s reset at %s by %s: %s\n", r.Budget, r.At, r.By, r.Reason)
	return nil
}
