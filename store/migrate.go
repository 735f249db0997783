package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
)

//go:embed schema/*.sql
var schemaFS embed.FS

// Migration is one numbered schema step. Statements are idempotent (IF NOT
// EXISTS), so a step interrupted halfway is simply run again.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// Migrations returns the embedded schema steps in order, rendered for a
// single node (cluster == "") or for ON CLUSTER DDL with replicated engines.
func Migrations(cluster string) ([]Migration, error) {
	files, err := fs.Glob(schemaFS, "schema/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		base := strings.TrimSuffix(strings.TrimPrefix(f, "schema/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("schema file %q must be named NNNN_name.sql", f)
		}
		b, err := schemaFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, Statements: splitStatements(render(string(b), cluster))})
	}
	return out, nil
}

// render fills a step's placeholders: {{on_cluster}}, {{merge_tree}} and
// {{replacing_merge_tree}} (its replicated twin on a cluster, for tables
// whose rows are corrected by a higher version, like the pipeline's facts).
func render(sql, cluster string) string {
	onCluster, mergeTree, replacing := "", "MergeTree", "ReplacingMergeTree"
	if cluster != "" {
		onCluster = "ON CLUSTER `" + cluster + "`"
		mergeTree = "ReplicatedMergeTree"
		replacing = "ReplicatedReplacingMergeTree"
	}
	return strings.NewReplacer("{{on_cluster}}", onCluster, "{{merge_tree}}", mergeTree, "{{replacing_merge_tree}}", replacing).Replace(sql)
}

// requiresPrefix starts a schema line that makes the next statement depend
// on a MergeTree setting: on a ClickHouse too old to know the setting, the
// statement is skipped rather than failing the migration. Only tuning
// statements may be guarded this way.
const requiresPrefix = "-- requires merge_tree_setting "

// requiresPolicyPrefix makes the next statement depend on a storage
// policy of the engine's config: where the policy is not defined the
// statement is skipped, with a warning, rather than failing the
// migration. Only statements that place data on the policy's volumes may
// be guarded this way (step 0017, the tiers).
const requiresPolicyPrefix = "-- requires storage_policy "

// splitStatements splits a schema file on semicolons that end a line,
// dropping comment-only lines but for requiresPrefix lines, which stay at the
// head of their statement. Schema files hold no string literals with such
// semicolons.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") && !strings.HasPrefix(t, requiresPrefix) && !strings.HasPrefix(t, requiresPolicyPrefix) {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Migrate applies the schema steps not yet recorded in schema_migrations.
// It is safe to run at every start and from several instances at once.
func Migrate(ctx context.Context, s Store, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cluster := s.Cluster()
	migs, err := Migrations(cluster)
	if err != nil {
		return err
	}
	table := render(`CREATE TABLE IF NOT EXISTS schema_migrations {{on_cluster}} (
		version UInt32, name String, applied_at DateTime DEFAULT now()
	) ENGINE = {{merge_tree}} ORDER BY version`, cluster)
	if err := s.Exec(ctx, Query{SQL: table}); err != nil {
		return fmt.Errorf("cannot create schema_migrations: %w", err)
	}
	res, err := s.Query(ctx, Query{SQL: "SELECT DISTINCT version FROM schema_migrations"})
	if err != nil {
		return fmt.Errorf("cannot read schema_migrations: %w", err)
	}
	done := map[string]bool{}
	for _, r := range res.Rows {
		done[fmt.Sprint(r[0])] = true
	}
	for _, m := range migs {
		if done[strconv.Itoa(m.Version)] {
			continue
		}
		for _, st := range m.Statements {
			if ok, err := Supported(ctx, s, st); err != nil {
				return fmt.Errorf("cannot apply schema step %04d_%s: %w", m.Version, m.Name, err)
			} else if !ok {
				log.Warn("schema step statement skipped: this ClickHouse does not know its setting, or has no such storage policy in its config", "version", m.Version, "statement", st)
				continue
			}
			if err := s.Exec(ctx, Query{SQL: st}); err != nil {
				return fmt.Errorf("cannot apply schema step %04d_%s: %w", m.Version, m.Name, err)
			}
		}
		if err := s.Exec(ctx, Query{
			SQL:    "INSERT INTO schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})",
			Params: map[string]string{"v": strconv.Itoa(m.Version), "n": m.Name},
		}); err != nil {
			return fmt.Errorf("cannot record schema step %04d_%s: %w", m.Version, m.Name, err)
		}
		log.Info("schema step applied", "version", m.Version, "name", m.Name)
	}
	return nil
}

// Supported reports whether the ClickHouse behind s knows the MergeTree
// setting a statement requires (see requiresPrefix), or has the storage
// policy it requires (requiresPolicyPrefix); statements without such a
// line are always supported.
func Supported(ctx context.Context, s Store, statement string) (bool, error) {
	first, _, _ := strings.Cut(statement, "\n")
	if policy, ok := strings.CutPrefix(strings.TrimSpace(first), requiresPolicyPrefix); ok {
		res, err := s.Query(ctx, Query{
			SQL:    "SELECT count() FROM system.storage_policies WHERE policy_name = {n:String}",
			Params: map[string]string{"n": strings.TrimSpace(policy)},
		})
		if err != nil {
			return false, fmt.Errorf("cannot look up storage policy %q: %w", policy, err)
		}
		return len(res.Rows) == 1 && fmt.Sprint(res.Rows[0][0]) != "0", nil
	}
	name, ok := strings.CutPrefix(strings.TrimSpace(first), requiresPrefix)
	if !ok {
		return true, nil
	}
	res, err := s.Query(ctx, Query{
		SQL:    "SELECT count() FROM system.merge_tree_settings WHERE name = {n:String}",
		Params: map[string]string{"n": strings.TrimSpace(name)},
	})
	if err != nil {
		return false, fmt.Errorf("cannot look up MergeTree setting %q: %w", name, err)
	}
	return len(res.Rows) == 1 && fmt.Sprint(res.Rows[0][0]) != "0", nil
}
