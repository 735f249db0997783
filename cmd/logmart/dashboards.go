package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/logmart/logmart/config"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

// dashboardTemplates gives dashboards the query catalog through the
// interface dashboards owns.
type dashboardTemplates struct{ c *query.Catalog }

func (a dashboardTemplates) Template(ctx context.Context, id string, version uint32) (*dashboards.Template, error) {
	info, err := a.c.Info(ctx, id, version, store.Settings{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	hash, err := a.c.TemplateHash(ctx, id, version)
	if err != nil {
		return nil, err
	}
	t := &dashboards.Template{ID: info.ID, Version: info.Version, Hash: hash}
	for _, p := range info.Params {
		t.Params = append(t.Params, dashboards.Param{Name: p.Name, Type: p.Type, Required: p.Required, HasDefault: p.Default != nil})
	}
	return t, nil
}

func (a dashboardTemplates) ResolveRange(from, to string) (time.Time, time.Time, error) {
	return a.c.ResolveRange(from, to)
}

func (a dashboardTemplates) Check(ctx context.Context, id string, version uint32, values map[string]any, from, to time.Time) error {
	_, err := a.c.CheckTemplate(ctx, query.TemplateRequest{Template: id, Version: version, Params: values, From: from, To: to})
	return err
}

func (a dashboardTemplates) Explain(ctx context.Context, id string, version uint32, values map[string]any, from, to time.Time) error {
	return a.c.ExplainTemplate(ctx, query.TemplateRequest{Template: id, Version: version, Params: values, From: from, To: to})
}

// defaultEnvironments is where every dashboards command finds the
// instances content is promoted between.
const defaultEnvironments = "configs/environments.yaml"

func runDashboards(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, `usage: logmart dashboards <command> [flags]

commands:
  lint     check dashboards (files or folders of *.yaml): schema, the
           template versions their panels run, bindings, variables, the
           grid, links, and each panel's query EXPLAINed with the
           variables' defaults
  diff     compare the dashboards of two environments by hash, and line
           by line where they differ (--from ENV --to ENV [UID...])
  promote  copy dashboards byte for byte from one environment to another,
           refusing to overwrite a local edit without --force
           (--from ENV --to ENV [--force] [--dry-run] [UID...|--all])
  verify   the hash of every dashboard in every environment; exits 1 on
           drift ([--envs dev,test,prod] [--json])
  import-grafana
           convert a Grafana dashboard (ClickHouse data source, rawSql) into
           a dashboard and its templates, listing what did not convert
           ([--out configs] FILE.json)

The environments come from configs/environments.yaml (--environments);
each one's API token from the variable its token_env names.
run 'logmart dashboards <command> -h' for its flags
`)
		if len(args) == 0 {
			return usageError{errors.New("name a command: lint, diff, promote, verify or import-grafana")}
		}
		return nil
	}
	switch args[0] {
	case "lint":
		return runDashboardsLint(args[1:])
	case "diff":
		return runDashboardsDiff(args[1:])
	case "promote":
		return runDashboardsPromote(args[1:])
	case "verify":
		return runDashboardsVerify(args[1:])
	case "import-grafana":
		return runDashboardsImportGrafana(args[1:])
	}
	return usageError{fmt.Errorf("unknown dashboards command %q (want lint, diff, promote, verify or import-grafana)", args[0])}
}

// runDashboardsLint boots the embedded engine on a temporary folder,
// loads the template folder into a catalog on it, and lints the dashboards
// against both.
func runDashboardsLint(args []string) error {
	fs := newFlags("dashboards lint")
	cfgPath := fs.String("config", "", "configuration file, for templates.dir and the engine library (default: configs/logmart.yaml when it exists)")
	tdir := fs.String("templates", "", "template folder the panels' templates come from (default: templates.dir from the configuration, configs/templates)")
	// PATH... defaults to dashboards.dir from the configuration.
	envs := fs.String("environments", defaultEnvironments, "the instances content is promoted between (name, url, token_env); a literal naming one of them (its name, its host) is a problem. The default file may be absent")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	environments, err := dashboards.LoadEnvironments(*envs, *envs == defaultEnvironments)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{cfg.Dashboards.Dir}
	}
	if *tdir == "" {
		*tdir = cfg.Templates.Dir
	}
	ctx := context.Background()
	cat, done, err := lintCatalog(ctx, cfg, *tdir)
	if err != nil {
		return err
	}
	defer done()
	n, err := dashboards.Lint(ctx, paths, dashboardTemplates{cat}, dashboards.LintOptions{Explain: true, Environments: environments})
	if err != nil {
		k := strings.Count(err.Error(), "\n") + 1
		return fmt.Errorf("%d problem(s) in %s:\n%w", k, strings.Join(paths, " "), err)
	}
	fmt.Printf("%d dashboards in %s are fine\n", n, strings.Join(paths, " "))
	return nil
}

// lintCatalog boots the embedded engine on a temporary folder, migrates
// it, and loads the templates of tdir into a catalog on it: what lint
// checks content against. done removes it all.
func lintCatalog(ctx context.Context, cfg config.Config, tdir string) (cat *query.Catalog, done func(), err error) {
	tmp, err := os.MkdirTemp("", "logmart-lint-")
	if err != nil {
		return nil, nil, err
	}
	ecfg := cfg.Store.Chdb
	ecfg.Path = tmp
	st, err := chdb.Open(ecfg, cfg.Store.Database, nil)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, nil, err
	}
	done = func() { st.Close(); os.RemoveAll(tmp) }
	if err := store.Migrate(ctx, st, nil); err != nil {
		done()
		return nil, nil, err
	}
	tcfg := cfg.Templates
	tcfg.Dir = tdir
	cat = query.NewCatalog(tcfg, query.NewRunner(st, nil), nil)
	if err := cat.Load(ctx); err != nil {
		done()
		return nil, nil, fmt.Errorf("the templates in %s do not load (run logmart templates lint):\n%w", tdir, err)
	}
	return cat, done, nil
}
