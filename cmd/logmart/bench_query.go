package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/logmart/logmart/internal/bench"
)

func runBenchQuery(args []string) error {
	setMemoryDefaults()
	fs := newFlags("bench query")
	rows := fs.Int("rows", 10_000_000, "log rows to generate (demo-shaped, last 24 h)")
	runs := fs.Int("runs", 20, "runs of each template, through the API and on the engine alone")
	clients := fs.Int("clients", 50, "clients opening the same dashboard at once")
	panels := fs.Int("panels", 8, "templates (panels) on that dashboard")
	dir := fs.String("templates", "configs/templates", "folder of the templates to time")
	data := fs.String("data", "", "engine folder (default: a temporary one, removed after)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var log = logger()
	if *asJSON {
		log = nil
	}
	res, err := bench.Query(ctx, bench.QueryOptions{Rows: *rows, Runs: *runs, Clients: *clients, Panels: *panels, TemplatesDir: *dir, Data: *data, Log: log})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	fmt.Printf("%d rows; each template %d times through the API and on the engine alone (p50)\n\n", res.Rows, *runs)
	fmt.Printf("%-26s %10s %10s %10s %9s\n", "template", "rows", "engine ms", "api ms", "overhead")
	for _, t := range res.Templates {
		fmt.Printf("%-26s %10d %10.1f %10.1f %8.1f%%\n", t.Template, t.Rows, t.EngineP50Ms, t.APIP50Ms, t.OverheadPct)
	}
	fmt.Printf("\nmedian overhead %.1f%%\n", res.MedianOverheadPct)
	fmt.Printf("%d clients × %d panels at once: %d requests, %d errors, p50 %.1f ms, p95 %.1f ms, max %.1f ms, %d engine runs\n",
		res.Clients, res.Panels, res.ConcurrentRequests, res.ConcurrentErrors, res.ConcurrentP50Ms, res.ConcurrentP95Ms, res.ConcurrentMaxMs, res.ConcurrentEngineRun)
	return nil
}

func runBenchDashboard(args []string) error {
	setMemoryDefaults()
	fs := newFlags("bench dashboard")
	rows := fs.Int("rows", 10_000_000, "log rows to generate (demo-shaped, last 24 h)")
	clients := fs.Int("clients", 50, "viewers opening the dashboard at once")
	rounds := fs.Int("rounds", 5, "times the viewers open it, a round after the other")
	uid := fs.String("uid", "service-health", "the dashboard to open")
	dashDir := fs.String("dashboards", "configs/dashboards", "folder of the dashboards")
	tmplDir := fs.String("templates", "configs/templates", "folder of the templates")
	data := fs.String("data", "", "engine folder (default: a temporary one, removed after)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var log = logger()
	if *asJSON {
		log = nil
	}
	res, err := bench.Dashboard(ctx, bench.DashboardOptions{Rows: *rows, Clients: *clients, Rounds: *rounds, UID: *uid,
		DashboardsDir: *dashDir, TemplatesDir: *tmplDir, Data: *data, Log: log})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	fmt.Printf("%d rows; %d viewers open %s (%d panels) at once, %d rounds: %d loads, %d failed\n",
		res.Rows, res.Clients, res.UID, res.Panels, res.Rounds, res.Loads, res.Errors)
	fmt.Printf("time to all panels: p50 %.1f ms, p95 %.1f ms, max %.1f ms (first round p50 %.1f ms, p95 %.1f ms)\n",
		res.P50Ms, res.P95Ms, res.MaxMs, res.FirstP50Ms, res.FirstP95Ms)
	fmt.Printf("engine runs: %d, %.2f per load\n", res.EngineRuns, res.EngineRunsPerLoad)
	for i, p := range res.RoundP95Ms {
		fmt.Printf("round %d: p95 %.1f ms, %d engine runs\n", i+1, p, res.RoundRuns[i])
	}
	return nil
}

func runBenchAlerts(args []string) error {
	setMemoryDefaults()
	fs := newFlags("bench alerts")
	rows := fs.Int("rows", 10_000_000, "log rows to generate (demo-shaped, last 24 h)")
	monitors := fs.Int("monitors", 1000, "monitors to evaluate")
	every := fs.Duration("every", time.Minute, "their evaluation interval")
	dur := fs.Duration("duration", 5*time.Minute, "how long to evaluate")
	evaluators := fs.Int("evaluators", 4, "evaluations running at once (alerts.evaluators)")
	deliveries := fs.Int("deliveries", 10000, "notifications then delivered through the outbox to a local receiver (0: none)")
	tmplDir := fs.String("templates", "configs/templates", "folder of the templates")
	data := fs.String("data", "", "engine folder (default: a temporary one, removed after)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var log = logger()
	if *asJSON {
		log = nil
	}
	res, err := bench.Alerts(ctx, bench.AlertsOptions{Rows: *rows, Monitors: *monitors, Every: *every, Duration: *dur, Evaluators: *evaluators,
		Deliveries: *deliveries, TemplatesDir: *tmplDir, Data: *data, Log: log})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	fmt.Printf("%d rows; %d monitors every %s (%d distinct queries): %d evaluations, %d failed\n",
		res.Rows, res.Monitors, *every, res.DistinctQueries, res.Evaluations, res.Errors)
	fmt.Printf("evaluation lag (scheduled moment to done): p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", res.LagP50Ms, res.LagP95Ms, res.LagMaxMs)
	fmt.Printf("CPU: %.1f s, %.1f%% of the machine\n", res.CPUSeconds, res.CPUShare*100)
	if res.Deliveries > 0 {
		fmt.Printf("outbox: %d deliveries at %.1f/s; %d lost, %d duplicated\n", res.Deliveries, res.DeliveriesPerSec, res.DeliveriesLost, res.DeliveriesDoubled)
	}
	return nil
}
