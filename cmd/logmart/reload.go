package main

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/server"
)

var (
	reloadSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_reload_success",
		Help: "1 when the named reloader's last run succeeded, 0 when it failed (what it had loaded stays in force).",
	}, []string{"reloader"})
	reloadSuccessTime = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "logmart_reload_last_success_timestamp_seconds",
		Help: "Unix time of the named reloader's last successful run (the start counts as one).",
	}, []string{"reloader"})
)

func init() { prometheus.MustRegister(reloadSuccess, reloadSuccessTime) }

// reloader rereads one kind of configuration from disk. On error what it
// had loaded stays in force; the error is fault-kinded (BadInput for a
// file a user must fix).
type reloader struct {
	name   string
	reload func(ctx context.Context) error
}

// reloadList is the one list of reloaders, run in order by SIGHUP and by
// POST /api/v1/reload (Prometheus' reloaders). A capability that reads
// files at start joins it with one line in runServe.
type reloadList struct {
	list []reloader
	log  *slog.Logger
	// mu runs one reload at a time, so a SIGHUP and an API call do not
	// interleave their reloaders.
	mu sync.Mutex
}

// newReloadList returns the list of rs, each counted as loaded now (the
// caller loaded them at start).
func newReloadList(log *slog.Logger, rs ...reloader) *reloadList {
	now := float64(time.Now().Unix())
	for _, r := range rs {
		reloadSuccess.WithLabelValues(r.name).Set(1)
		reloadSuccessTime.WithLabelValues(r.name).Set(now)
	}
	return &reloadList{list: rs, log: log}
}

// Reload implements server.Reloaders, and logs each outcome.
func (l *reloadList) Reload(ctx context.Context, names ...string) []server.ReloadResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []server.ReloadResult
	for _, name := range names {
		if !slices.ContainsFunc(l.list, func(r reloader) bool { return r.name == name }) {
			out = append(out, server.ReloadResult{Name: name, Err: fault.New(fault.NotFound, "no reloader %q; the reloaders are %s", name, l.names())})
		}
	}
	for _, r := range l.list {
		if len(names) > 0 && !slices.Contains(names, r.name) {
			continue
		}
		start := time.Now()
		err := r.reload(ctx)
		took := time.Since(start)
		out = append(out, server.ReloadResult{Name: r.name, Err: err, Duration: took})
		if err != nil {
			reloadSuccess.WithLabelValues(r.name).Set(0)
			l.log.Error("not reloaded; what was loaded stays in force", "reloader", r.name, "duration_ms", took.Milliseconds(), "err", err)
			continue
		}
		reloadSuccess.WithLabelValues(r.name).Set(1)
		reloadSuccessTime.WithLabelValues(r.name).Set(float64(time.Now().Unix()))
		l.log.Info("reloaded", "reloader", r.name, "duration_ms", took.Milliseconds())
	}
	return out
}

func (l *reloadList) names() string {
	var out []string
	for _, r := range l.list {
		out = append(out, r.name)
	}
	return strings.Join(out, ", ")
}

// runOnSignal runs every reloader each time sig delivers, until ctx is
// done.
func (l *reloadList) runOnSignal(ctx context.Context, sig <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			l.Reload(ctx)
		}
	}
}
