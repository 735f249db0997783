package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logmart/logmart/alerts"
	"github.com/logmart/logmart/config"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/internal/apiclient"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/server"
	"github.com/logmart/logmart/store"
)

func init() { dashboards.RegisterDependencies(alerts.KindMonitor, alerts.Dependencies) }

// monitorTemplates gives monitors the query catalog through the interface
// alerts owns. Every monitor runs as one viewer, "alerts", with the
// viewer's limits and no scope, outside the viewers' statement budget (the
// evaluators bound it), so identical queries of several monitors share one
// run and one cache entry.
type monitorTemplates struct {
	c *query.Catalog
	s store.Settings
}

func newMonitorTemplates(c *query.Catalog, cfg server.Config) monitorTemplates {
	s := server.Principal{Name: "alerts", Role: server.RoleViewer}.Settings(cfg.Limits[server.RoleViewer])
	s.Pool = ""
	return monitorTemplates{c: c, s: s}
}

func (a monitorTemplates) request(q alerts.Query) query.TemplateRequest {
	return query.TemplateRequest{Template: q.Template, Version: q.Version, Params: q.Params, From: q.From, To: q.To}
}

func (a monitorTemplates) Run(ctx context.Context, q alerts.Query) (*store.Result, error) {
	res, err := a.c.RunTemplate(ctx, query.Caller{User: "alerts", Role: string(server.RoleViewer), Source: "alert"}, a.request(q), a.s)
	if err != nil {
		return nil, err
	}
	return res.Result, nil
}

func (a monitorTemplates) Columns(ctx context.Context, q alerts.Query) ([]store.Column, error) {
	return a.c.ResultColumns(ctx, a.request(q))
}

// linkPinner pins an evaluation as a shared link with its result frozen,
// created by "monitor:<id>".
type linkPinner struct {
	l *query.Links
	s store.Settings
}

func (p linkPinner) Pin(ctx context.Context, q alerts.Query, title string) (string, error) {
	link, err := p.l.Create(ctx, query.Caller{User: "monitor:" + q.Monitor, Role: string(server.RoleViewer), Source: "alert"}, query.LinkRequest{
		Template: q.Template, Version: q.Version, Params: q.Params,
		From: q.From.UTC().Format(time.RFC3339Nano), To: q.To.UTC().Format(time.RFC3339Nano),
		Title: title, Note: "pinned by the monitor when it fired: the rows it saw", Snapshot: true,
	}, p.s)
	if err != nil {
		return "", err
	}
	return link.ID, nil
}

// newAlerts builds the monitors, the outbox and the evaluator of serve.
func newAlerts(cfg config.Config, st store.Store, cat *query.Catalog, links *query.Links, dash *dashboards.Service, holder string, log *slog.Logger) (*alerts.Service, error) {
	channels, err := cfg.Alerts.BuildChannels(log)
	if err != nil {
		return nil, err
	}
	tpl := newMonitorTemplates(cat, cfg.Server)
	refs := &alerts.Refs{
		Templates: tpl,
		Channel:   func(name string) bool { _, ok := channels[name]; return ok },
		Dashboard: func(uid string) bool { _, err := dash.Get(context.Background(), uid); return err == nil },
	}
	lib := alerts.Library(cfg.Alerts.Dir, st, refs, log)
	out := alerts.NewOutbox(st, channels, cfg.Alerts.Outbox, nil, log)
	return alerts.New(cfg.Alerts, st, lib, tpl, linkPinner{l: links, s: tpl.s}, out, holder, log), nil
}

func runMonitors(args []string) error {
	if len(args) == 0 || args[0] != "lint" {
		fmt.Fprint(os.Stderr, `usage: logmart monitors lint [--config FILE] [--templates DIR] [--dashboards DIR] [PATH...]

Checks monitors (files, or folders of *.yaml; default alerts.dir): the
schema, the template version each runs and its parameters, the columns the
condition and group_by name (the engine describes the statement), the
dashboard and the channels. Promote them with
logmart dashboards promote --kind monitor.
`)
		if len(args) == 0 {
			return usageError{errors.New("name a command: lint")}
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return nil
		}
		return usageError{fmt.Errorf("unknown monitors command %q (want lint)", args[0])}
	}
	fs := newFlags("monitors lint")
	cfgPath := fs.String("config", "", "configuration file, for alerts.channels, templates.dir and the engine library (default: configs/logmart.yaml when it exists)")
	tdir := fs.String("templates", "", "template folder (default: templates.dir)")
	ddir := fs.String("dashboards", "", "dashboard folder the monitors' dashboards come from (default: dashboards.dir)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{cfg.Alerts.Dir}
	}
	if *tdir == "" {
		*tdir = cfg.Templates.Dir
	}
	if *ddir == "" {
		*ddir = cfg.Dashboards.Dir
	}
	dashboardExists, err := dashboardUIDs(*ddir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	cat, done, err := lintCatalog(ctx, cfg, *tdir)
	if err != nil {
		return err
	}
	defer done()
	refs := alerts.Refs{
		Templates: newMonitorTemplates(cat, cfg.Server),
		Channel:   func(name string) bool { _, ok := cfg.Alerts.Channels[name]; return ok },
		Dashboard: dashboardExists,
	}
	n, err := alerts.Lint(ctx, paths, refs)
	if err != nil {
		k := strings.Count(err.Error(), "\n") + 1
		return fmt.Errorf("%d problem(s) in %s:\n%w", k, strings.Join(paths, " "), err)
	}
	fmt.Printf("%d monitors in %s are fine\n", n, strings.Join(paths, " "))
	return nil
}

func runAlerts(args []string) error {
	if len(args) == 0 || (args[0] != "noise" && args[0] != "silence" && args[0] != "silences" && args[0] != "unsilence") {
		fmt.Fprint(os.Stderr, `usage: logmart alerts <command> [--server URL] [flags]

commands:
  noise      rank monitors by transitions over the period, with their flaps
             (resolved within --flap of firing), the time they spent firing
             and the share resolved without anyone acknowledging them
             ([--since 7d] [--flap 10m] [--json])
  silence    keep a monitor's or labels' transitions from being sent for a
             while ([--monitor ID] [--match label=value]... --duration 2h
             --comment TEXT); they are still recorded
  silences   the silences in force
  unsilence  end a silence now (ID)
`)
		if len(args) == 0 {
			return usageError{errors.New("name a command: noise, silence, silences or unsilence")}
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return nil
		}
		return usageError{fmt.Errorf("unknown alerts command %q (want noise, silence, silences or unsilence)", args[0])}
	}
	switch args[0] {
	case "silence", "silences", "unsilence":
		return runSilences(args[0], args[1:])
	}
	fs := newFlags("alerts noise")
	sf := apiFlags(fs)
	since := fs.String("since", "7d", "how far back (24h, 7d, 30d)")
	flap := fs.String("flap", "10m", "an alert resolved within this long of firing is a flap")
	asJSON := fs.Bool("json", false, "print the server's JSON")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cl, err := sf.client()
	if err != nil {
		return err
	}
	raw, err := cl.Noise(context.Background(), *since, *flap)
	if err != nil {
		return err
	}
	if *asJSON {
		_, err := os.Stdout.Write(append(raw, '\n'))
		return err
	}
	var rep struct {
		Monitors []alerts.NoiseRow `json:"monitors"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return fmt.Errorf("cannot read the noise report: %w", err)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "MONITOR\tTRANSITIONS\tFIRED\tFLAPS\tFIRING\tUNACKED")
	for _, r := range rep.Monitors {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%.0f%%\n", r.Monitor, r.Transitions, r.Fired, r.Flaps,
			(time.Duration(r.FiringSeconds) * time.Second).String(), r.Unacknowledged*100)
	}
	if len(rep.Monitors) == 0 {
		fmt.Fprintf(w, "no transitions in the last %s\n", *since)
	}
	return w.Flush()
}

func runNotify(args []string) error {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprint(os.Stderr, `usage: logmart notify test [--server URL] CHANNEL

Sends a test event (then its resolve) to one channel of alerts.channels
straight from the server, and prints the receiver's answer.
`)
		if len(args) == 0 {
			return usageError{errors.New("name a command: test")}
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return nil
		}
		return usageError{fmt.Errorf("unknown notify command %q (want test)", args[0])}
	}
	fs := newFlags("notify test")
	sf := apiFlags(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("name one channel, e.g. logmart notify test pagerduty")}
	}
	cl, err := sf.client()
	if err != nil {
		return err
	}
	a, err := cl.TestNotification(context.Background(), fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Printf("channel %s: HTTP %d %s\n", a.Channel, a.Status, a.Answer)
	if !a.Delivered {
		return fmt.Errorf("not delivered: %s", a.Error)
	}
	return nil
}

// matchFlags collects repeated --match label=value flags.
type matchFlags map[string]string

func (m matchFlags) String() string { return fmt.Sprint(map[string]string(m)) }

func (m matchFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not label=value", v)
	}
	m[k] = val
	return nil
}

func runSilences(cmd string, args []string) error {
	fs := newFlags("alerts " + cmd)
	sf := apiFlags(fs)
	monitor := fs.String("monitor", "", "the monitor silenced (default: any monitor whose labels match)")
	match := matchFlags{}
	fs.Var(match, "match", "label=value the alert must carry; repeat for several")
	duration := fs.String("duration", "", "how long, from now (30m, 2h, 1d)")
	comment := fs.String("comment", "", "why (shown with the silence)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cl, err := sf.client()
	if err != nil {
		return err
	}
	ctx := context.Background()
	switch cmd {
	case "silence":
		x, err := cl.CreateSilence(ctx, apiclient.SilenceRequest{Monitor: *monitor, Matchers: match, Duration: *duration, Comment: *comment})
		if err != nil {
			return err
		}
		fmt.Printf("silence %s until %s\n", x.ID, x.EndsAt)
		return nil
	case "unsilence":
		if fs.NArg() != 1 {
			return usageError{errors.New("name one silence id (logmart alerts silences lists them)")}
		}
		if err := cl.ExpireSilence(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Printf("silence %s ended\n", fs.Arg(0))
		return nil
	}
	list, err := cl.Silences(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tMONITOR\tMATCH\tFROM\tUNTIL\tBY\tCOMMENT")
	for _, x := range list {
		fmt.Fprintf(w, "%s\t%s\t%v\t%s\t%s\t%s\t%s\n", x.ID, x.Monitor, x.Matchers, x.StartsAt, x.EndsAt, x.CreatedBy, x.Comment)
	}
	return w.Flush()
}

// dashboardUIDs reads the dashboards of dir, as lints check the uids
// other content names against them.
func dashboardUIDs(dir string) (func(uid string) bool, error) {
	ds, err := dashboards.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("the dashboards in %s do not load (run logmart dashboards lint):\n%w", dir, err)
	}
	uids := map[string]bool{}
	for _, d := range ds {
		uids[d.Item.UID] = true
	}
	return func(uid string) bool { return uids[uid] }, nil
}
