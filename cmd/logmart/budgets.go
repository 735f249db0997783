package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/dashboards"
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
            (--generate steady,ramp,burst,outage,gap,... or --generate mixed)
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*series == "") == (*generate == "") {
		return usageError{errors.New("give --series FILE.csv or --generate DAYS")}
	}
	if *method != budgets.MethodForecast && *method != budgets.MethodLinear {
		return usageError{fmt.Errorf("--method %q: forecast or linear", *method)}
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
	res := budgets.Backtest(samples, p, lim, *method, budgets.DefaultForecastOptions())
	if *asJSON {
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
