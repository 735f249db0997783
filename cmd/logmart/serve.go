package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/logmart/logmart/alerts"
	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/config"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/ingest/archive"
	"github.com/logmart/logmart/ingest/kafka"
	"github.com/logmart/logmart/internal/demo"
	"github.com/logmart/logmart/pipeline"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/server"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
	"github.com/logmart/logmart/store/remote"
	"github.com/logmart/logmart/ui"
)

func runServe(args []string) error {
	setMemoryDefaults()
	fs := newFlags("serve")
	cfgPath := fs.String("config", "", "configuration file (default: configs/logmart.yaml when it exists, else built-in defaults)")
	data := fs.String("data", "", "folder the embedded parts persist to (default from config: ./data)")
	httpAddr := fs.String("http-addr", "", "HTTP listen address for the API and UI (default 127.0.0.1:8080)")
	kafkaAddr := fs.String("kafka-addr", "", "embedded Kafka listen address (default 127.0.0.1:9092)")
	brokers := fs.String("kafka-brokers", "", "comma-separated brokers of an existing Kafka (another logmart's embedded one, or a cluster); disables the embedded broker")
	withDemo := fs.Bool("demo", false, "also produce demo traffic into the embedded Kafka")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.Data = *data
	}
	if *httpAddr != "" {
		cfg.Server.HTTPAddr = *httpAddr
	}
	if *kafkaAddr != "" {
		cfg.Kafka.Listen = *kafkaAddr
	}
	if *brokers != "" {
		cfg.Kafka.Embedded = false
		cfg.Kafka.Brokers = strings.Split(*brokers, ",")
	}
	cfg.ApplyEnv()
	cfg.Resolve()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	log := cfg.Logger(os.Stderr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGHUP runs the reload list. It is caught from here on, so one sent
	// while the server starts waits for the list instead of ending the
	// process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	// Bind first: a port in use is reported before anything heavy starts.
	ln, err := server.Listen(cfg.Server.HTTPAddr)
	if err != nil {
		return err
	}
	defer ln.Close()
	// So is the embedded broker's port, before the engine creates its folder.
	if cfg.Kafka.Embedded {
		if err := kafka.CheckListen(cfg.Kafka.Listen); err != nil {
			return err
		}
	}

	st, err := openStore(cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st, log); err != nil {
		return err
	}

	var emb *kafka.Embedded
	if cfg.Kafka.Embedded {
		if emb, err = kafka.StartEmbedded(cfg.Kafka, log); err != nil {
			return err
		}
		defer emb.Close()
		cfg.Kafka = emb.Config()
	}

	kopts, err := kafka.ClientOpts(cfg.Kafka)
	if err != nil {
		return err
	}
	admin, err := kgo.NewClient(kopts...)
	if err != nil {
		return fmt.Errorf("cannot create the Kafka client: %w", err)
	}
	defer admin.Close()

	if cfg.Ingest.InstanceID == "" {
		cfg.Ingest.InstanceID = instanceID(cfg.Data)
	}
	routes, err := ingest.NewRoutes(streamsFile(cfg.Ingest.StreamsFile, log))
	if err != nil {
		return err
	}
	ing, err := ingest.New(cfg.Ingest, st, kopts, routes, log)
	if err != nil {
		return err
	}
	// Ingest holds back while its archive cannot be written: a wrong
	// bucket, endpoint or credentials is one line now rather than
	// partitions that stall.
	if err := ing.ArchiveReady(ctx); err != nil {
		return fmt.Errorf("%w (ingest.archive)", err)
	}
	audit := query.NewAudit(st, log)
	defer audit.Close()
	// The tiers a role or token may read are enforced on the engine's
	// disks; the archive read in place is defined over the archive's
	// folder or bucket (ingest/archive/inplace.go).
	tierDisks, err := store.TierDisks(ctx, st)
	if err != nil {
		return err
	}
	var inPlace *archive.InPlace
	if cfg.Ingest.Archive.Enabled {
		if inPlace, err = archive.NewInPlace(ctx, st, cfg.Ingest.Archive, st.Engine() == "chdb"); err != nil {
			return err
		}
		if inPlace == nil {
			log.Warn("archive templates cannot run: a ClickHouse server cannot read a folder archive; archive to a bucket (ingest.archive.url s3://…) to query it in place")
		}
	}
	// Reads on callers' behalf count against their role's statement budget.
	reads := store.NewGated(st, cfg.Server.QueryBudgets(), cfg.Server.QueryQueueTimeout)
	runner := query.NewRunner(reads, audit)
	templates := query.NewCatalog(cfg.Templates, runner, log)
	if err := templates.Load(ctx); err != nil {
		return fmt.Errorf("query templates in %s are not usable (fix them, or run logmart templates lint):\n%w", cfg.Templates.Dir, err)
	}
	if inPlace != nil {
		templates.SetArchive(inPlace)
	}
	links := query.NewLinks(reads, templates, query.LinkOptions{Config: &cfg.Links, Retention: streamRetention(routes)})
	dash := dashboards.New(cfg.Dashboards, st, dashboardTemplates{templates}, log)
	if err := dash.Load(ctx); err != nil {
		return fmt.Errorf("dashboards in %s are not usable (fix them, or run logmart dashboards lint):\n%w", cfg.Dashboards.Dir, err)
	}
	reloaders := []reloader{
		{"streams", func(context.Context) error { return routes.Reload() }},
		{"templates", templates.Load},
		{"dashboards", dash.Load},
	}
	currentHash := map[string]dashboards.CurrentHash{dashboards.KindDashboard: dash.CurrentHash}
	// Monitors: evaluated by the replica holding the alerts lease.
	var alertSvc *alerts.Service
	var alertAPI server.AlertService
	if cfg.Alerts.Enabled {
		if alertSvc, err = newAlerts(cfg, st, templates, links, dash, cfg.Ingest.InstanceID, log); err != nil {
			return err
		}
		if err := alertSvc.Monitors().Load(ctx); err != nil {
			return fmt.Errorf("monitors in %s are not usable (fix them, or run logmart monitors lint):\n%w", cfg.Alerts.Dir, err)
		}
		reloaders = append(reloaders, reloader{"monitors", alertSvc.Monitors().Load})
		currentHash[alerts.KindMonitor] = alertSvc.Monitors().CurrentHash
		alertAPI = alertSvc
	}
	// Ingest budgets: counted by ingest, judged by the evaluator, written
	// through the API like monitors.
	refs := &budgets.Refs{Dashboard: func(uid string) bool { _, err := dash.Get(context.Background(), uid); return err == nil }}
	if alertSvc != nil {
		refs.Channel = alertSvc.Outbox().Has
	}
	keeper, book, err := startBudgets(ctx, cfg.Budgets, st, ing, cfg.Ingest.InstanceID, refs, log)
	if err != nil {
		return err
	}
	reloaders = append(reloaders, reloader{"budgets", func(ctx context.Context) error {
		if err := book.Library().Load(ctx); err != nil {
			return err
		}
		return book.Refresh(ctx)
	}})
	currentHash[budgets.KindBudget] = book.Library().CurrentHash
	// The one reload list, run by SIGHUP and POST /api/v1/reload.
	reloads := newReloadList(log, reloaders...)
	go reloads.runOnSignal(ctx, hup)

	// Rehydration reads the archive ingest writes; nil when it is off.
	var rehydrate server.Rehydrations
	if cfg.Ingest.Archive.Enabled {
		rh, err := ingest.NewRehydrator(cfg.Ingest, st, routes, log)
		if err != nil {
			return err
		}
		rehydrate = ingest.NewRehydrateJobs(rh)
	}
	// The pipeline runs beside ingest; its status is served either way.
	var pipe *pipeline.Runner
	var pipeStatus server.PipelineStatus
	if cfg.Pipeline.Enabled {
		cfg.Pipeline.TransactionalID += "-" + cfg.Ingest.InstanceID
		pipe = pipeline.NewRunner(cfg.Pipeline, kopts, log)
		pipeStatus = pipe
	}
	srv := server.New(cfg.Server, server.Deps{
		Checks: []server.Check{
			{Name: "clickhouse", Fn: st.Ping},
			{Name: "query_slots", Fn: reads.Saturation},
			{Name: "kafka", Fn: func(ctx context.Context) error { return kafka.Ping(ctx, admin) }},
			// Fails while a partition's writes keep failing (stalled).
			{Name: "ingest", Fn: ing.Ready},
			// Fails while the archive cannot be written (ingest waits for it).
			{Name: "archive", Fn: ing.ArchiveReady},
		},
		UI:       ui.Handler(),
		SQL:      runner,
		Logs:     runner,
		Overview: query.NewOverviewReader(runner, cfg.Templates.CacheTTL),
		Ingest:   ing,
		Streams:  routes,
		Reload:   reloads,
		Version:  version,

		Templates:  templates,
		Dashboards: dash,
		// Promotions carries every content kind promote copies here.
		Promotions: dashboards.NewPromotionLog(st, currentHash),
		Alerts:     alertAPI,
		Budgets:    book,
		Links:      links,
		Statements: query.NewStatements(st),
		Searches:   query.NewSearches(st),
		Archive:    archive.NewCatalog(reads),
		Rehydrate:  rehydrate,
		TierDisks:  tierDisks,
		// Scan budgets are counted in the query audit.
		ScanBudgets: query.NewScanLedger(st),
		Pipeline:    pipeStatus,
	}, log)

	if !ui.ChartsAvailable() {
		log.Warn("this binary was built without the UI's chart library; pages work but charts are missing: build with `make build`")
	}
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(2)
	go func() { defer wg.Done(); errc <- ing.Run(runCtx) }()
	go func() { defer wg.Done(); errc <- srv.Serve(runCtx, ln) }()
	{
		var out budgets.Notifier
		active := func() bool { return true }
		if alertSvc != nil {
			out, active = budgetNotifier{n: alertSvc.Outbox(), base: cfg.Alerts.BaseURL}, alertSvc.Active
		}
		ev := budgets.NewEvaluator(st, nil, out, active, time.Minute, log)
		book.OnChange(ev.Set)
		wg.Add(3)
		go func() { defer wg.Done(); keeper.Run(runCtx) }()
		go func() { defer wg.Done(); book.Run(runCtx, cfg.Budgets.SyncEvery) }()
		go func() { defer wg.Done(); ev.Run(runCtx) }()
	}
	if alertSvc != nil {
		wg.Add(1)
		go func() { defer wg.Done(); alertSvc.Run(runCtx) }()
	}
	if pipe != nil {
		startPipeline(runCtx, &wg, pipe, cfg, st, kopts, log)
	}
	if *withDemo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := runDemoTraffic(runCtx, admin, log); err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("demo traffic stopped", "err", err)
			}
		}()
		// The pipeline's demo input: a contact center in real time.
		if pipe != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := runContactCenterDemo(runCtx, kopts, log); err != nil {
					log.Warn("contact-center demo stopped", "err", err)
				}
			}()
		}
	}
	kafkaAt := cfg.Kafka.Listen
	if !cfg.Kafka.Embedded {
		kafkaAt = strings.Join(cfg.Kafka.Brokers, ",")
	}
	log.Info("logmart is up", "ui", "http://"+ln.Addr().String(), "kafka", kafkaAt, "engine", st.Engine(), "data", cfg.Data)

	var first error
	select {
	case <-ctx.Done():
	case err := <-errc:
		first = err
	}
	log.Info("logmart is stopping")
	cancel()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(cfg.Server.ShutdownTimeout + 30*time.Second):
		log.Warn("components did not stop in time")
	}
	return first
}

func loadConfig(path string) (config.Config, error) {
	if path == "" {
		if _, err := os.Stat("configs/logmart.yaml"); err == nil {
			path = "configs/logmart.yaml"
		} else {
			return config.Default(), nil
		}
	}
	return config.Load(path)
}

func openStore(cfg config.Config, log *slog.Logger) (store.Store, error) {
	switch cfg.Store.Engine {
	case "remote":
		return remote.Open(cfg.Store.Remote, cfg.Store.Database, log)
	default:
		return chdb.Open(cfg.Store.Chdb, cfg.Store.Database, log)
	}
}

func runDemoTraffic(ctx context.Context, cl *kgo.Client, log *slog.Logger) error {
	_, err := demo.Run(ctx, cl, demo.Config{Rate: 200}, log)
	return err
}

// runContactCenterDemo produces demo.LiveContactCenter into the pipeline's
// input topics until ctx ends, creating them as needed.
func runContactCenterDemo(ctx context.Context, kopts []kgo.Opt, log *slog.Logger) error {
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, kopts...), kgo.AllowAutoTopicCreation())...)
	if err != nil {
		return fmt.Errorf("cannot create the contact-center demo's Kafka client: %w", err)
	}
	defer cl.Close()
	_, err = demo.RunContactCenter(ctx, cl, demo.LiveContactCenter(), log)
	return err
}

// instanceID names this replica in its consumer group: the host and its data
// folder, so a restart on the same data takes the same partitions back.
func instanceID(data string) string {
	host, _ := os.Hostname()
	abs, err := filepath.Abs(data)
	if err != nil {
		abs = data
	}
	sum := sha256.Sum256([]byte(abs))
	return fmt.Sprintf("%s-%x", host, sum[:4])
}

// streamsFile is the routing rules file serve reads. The default file
// (config.DefaultStreamsFile) may be absent, as when the server runs outside
// the repository: then the built-in single stream applies, with a warning.
// A file the config names explicitly must exist.
func streamsFile(path string, log *slog.Logger) string {
	if path != config.DefaultStreamsFile {
		return path
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		log.Warn("no streams file; every record goes to its topic's stream", "streams_file", path)
		return ""
	}
	return path
}
