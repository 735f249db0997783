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

func runBenchTrust(args []string) error {
	fs := newFlags("bench trust")
	clients := fs.Int("clients", 50, "clients at once, each with its own token (even: editors, odd: viewers)")
	duration := fs.Duration("duration", 60*time.Second, "how long the clients run")
	rows := fs.Int("rows", 1_000_000, "log rows the templates read (demo-shaped, last 24 h)")
	dir := fs.String("templates", "configs/templates", "folder of the templates the viewers run")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := bench.TrustOptions{Clients: *clients, Duration: *duration, Rows: *rows, TemplatesDir: *dir}
	if !*asJSON {
		o.Log = logger()
	}
	res, err := bench.Trust(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	fmt.Printf("%d clients for %.0f s: %d requests %v\n", res.Clients, res.Seconds, res.Requests, res.ByKind)
	fmt.Printf("wrong answers %d, 5xx %d; latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n", res.WrongAnswers, res.ServerErrors, res.P50Ms, res.P95Ms, res.P99Ms)
	for _, u := range res.Unexpected {
		fmt.Println("  ", u)
	}
	if res.WrongAnswers > 0 || res.ServerErrors > 0 {
		return fmt.Errorf("%d wrong answers and %d server errors", res.WrongAnswers, res.ServerErrors)
	}
	return nil
}
