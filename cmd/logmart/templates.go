package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/chdb"
)

func runTemplates(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, `usage: logmart templates <command> [flags]

commands:
  lint      check every template in a folder as the server does at start
            (YAML, parameters, placeholders, one read statement that EXPLAINs
            against the current schema, no version changed without a bump:
            against templates.lock beside them, and with --data against a
            server's recorded versions)
  estimate  ask a server what a run would read (rows, bytes, parts) and
            from which tiers (hot, warm, cold, archive), without running it

run 'logmart templates <command> -h' for its flags
`)
		if len(args) == 0 {
			return usageError{errors.New("name a command: lint or estimate")}
		}
		return nil
	}
	switch args[0] {
	case "lint":
		return runTemplatesLint(args[1:])
	case "estimate":
		return runTemplatesEstimate(args[1:])
	}
	return usageError{fmt.Errorf("unknown templates command %q (want lint or estimate)", args[0])}
}

// runTemplatesLint boots the embedded engine on a temporary folder (or on
// --data), applies the schema, and lints the template folder against it.
func runTemplatesLint(args []string) error {
	fs := newFlags("templates lint")
	cfgPath := fs.String("config", "", "configuration file, for templates.dir and the engine library (default: configs/logmart.yaml when it exists)")
	dir := fs.String("dir", "", "template folder (default: templates.dir from the configuration, configs/templates)")
	data := fs.String("data", "", "a logmart data folder whose recorded template versions the files must match (a changed spec without a version bump fails); stop its server first, or point at a copy. Default: a temporary engine, so versions are checked within the file set only")
	lock := fs.String("lock", "", "lock of spec hashes per template id and version, checked like go.sum (default: "+query.LockFileName+" in the template folder)")
	updateLock := fs.Bool("update-lock", false, "add new template versions to the lock and rewrite the hashes of changed ones; only for versions never released")
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
	if *dir == "" {
		*dir = cfg.Templates.Dir
	}
	ecfg := cfg.Store.Chdb
	if *data != "" {
		ecfg.Path = filepath.Join(*data, "clickhouse")
		if _, err := os.Stat(ecfg.Path); err != nil {
			return usageError{fmt.Errorf("--data %q holds no engine data (%s): %w", *data, ecfg.Path, err)}
		}
	} else {
		tmp, err := os.MkdirTemp("", "logmart-lint-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		ecfg.Path = tmp
	}
	ctx := context.Background()
	st, err := chdb.Open(ecfg, cfg.Store.Database, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st, nil); err != nil {
		return err
	}
	if err := query.Lint(ctx, *dir, st, query.LintOptions{CompareStored: *data != ""}); err != nil {
		n := strings.Count(err.Error(), "\n") + 1
		return fmt.Errorf("%d problem(s) in %s:\n%w", n, *dir, err)
	}
	changed, err := query.CheckLock(*dir, query.LockOptions{Path: *lock, Update: *updateLock})
	if err != nil {
		n := strings.Count(err.Error(), "\n") + 1
		return fmt.Errorf("%d problem(s) in %s:\n%w", n, *dir, err)
	}
	files, _ := filepath.Glob(filepath.Join(*dir, "*.y*ml"))
	fmt.Printf("%d templates in %s are fine\n", len(files), *dir)
	if changed {
		lockPath := *lock
		if lockPath == "" {
			lockPath = filepath.Join(*dir, query.LockFileName)
		}
		fmt.Printf("updated %s; commit it with the templates\n", lockPath)
	}
	return nil
}
