package query

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/logmart/logmart/store"
)

// Estimate is what a template run would read, told before it runs: the
// engine's own estimate (EXPLAIN ESTIMATE: the parts, rows and marks its
// index selects, after the caller's scope and tiers), and the tiers those
// parts sit on. A run that touches cold is slower and costs more; a role
// limited to hot and warm data sees cold as 0.
type Estimate struct {
	Template string `json:"template"`
	Version  uint32 `json:"version"`
	// Parts, Rows and Marks are the engine's selection, over every table.
	Parts uint64 `json:"parts"`
	Rows  uint64 `json:"rows"`
	Marks uint64 `json:"marks"`
	// Bytes estimates the compressed bytes of those rows: each table's
	// rows times its average compressed row on the disk they sit on.
	// Every column counts, so a run that reads few columns reads less.
	Bytes uint64 `json:"bytes"`
	// Tables are the same per table read.
	Tables []TableEstimate `json:"tables"`
	// Tiers are the tiers the run touches (hot, warm, cold; archive for
	// an archive template), with their share; a tier it does not touch
	// is absent.
	Tiers []TierEstimate `json:"tiers"`
}

// TableEstimate is one table's share of an Estimate.
type TableEstimate struct {
	Table string `json:"table"`
	Parts uint64 `json:"parts"`
	Rows  uint64 `json:"rows"`
	Marks uint64 `json:"marks"`
	Bytes uint64 `json:"bytes"`
}

// TierEstimate is one tier's share of an Estimate. For the archive, Parts
// counts the objects the run opens and Bytes their compressed size, from
// the archive's manifests.
type TierEstimate struct {
	Tier  string `json:"tier"`
	Parts uint64 `json:"parts"`
	Rows  uint64 `json:"rows"`
	Bytes uint64 `json:"bytes"`
}

// Estimate checks req as Run does and estimates what it would read with s
// (the caller's settings), without running it and without a query_log
// entry. disks are the engine's disks per tier (store.TierDisks).
func (c *Catalog) Estimate(ctx context.Context, req TemplateRequest, s store.Settings, disks map[string][]string) (*Estimate, error) {
	t, err := c.lookup(ctx, req.Template, req.Version)
	if err != nil {
		return nil, err
	}
	s.ReadOnly = true
	p, err := c.prepare(ctx, t, req, s)
	if err != nil {
		return nil, err
	}
	if err := t.checkVariant(ctx, c.r.st, p); err != nil {
		return nil, err
	}
	out := &Estimate{Template: t.ID, Version: uint32(t.Version), Tables: []TableEstimate{}, Tiers: []TierEstimate{}}
	if t.Archive {
		if s, err = c.archiveSettings(ctx, t, req.From, req.To, s); err != nil {
			return nil, err
		}
		return out, c.estimateArchive(ctx, out, p, req.From, req.To, s)
	}
	tables, err := c.explainEstimate(ctx, p, s)
	if err != nil {
		return nil, err
	}
	rowBytes, err := c.rowBytes(ctx)
	if err != nil {
		return nil, err
	}
	for _, tier := range []string{store.TierHot, store.TierWarm, store.TierCold} {
		if len(disks[tier]) == 0 {
			continue
		}
		ts := s
		ts.TableFilters = tierOnly(s, store.DiskTierFilter(disks, tier))
		share, err := c.explainEstimate(ctx, p, ts)
		if err != nil {
			return nil, err
		}
		te := TierEstimate{Tier: tier}
		for _, x := range share {
			te.Parts += x.Parts
			te.Rows += x.Rows
			b := x.Rows * rowBytes[x.Table+"\x00"+disks[tier][0]]
			te.Bytes += b
			for i := range tables {
				if tables[i].Table == x.Table {
					tables[i].Bytes += b
				}
			}
		}
		if te.Parts > 0 {
			out.Tiers = append(out.Tiers, te)
		}
	}
	for _, x := range tables {
		if x.Bytes == 0 {
			// A table off the tier policy (query_log, dashboards): its
			// average over every disk.
			x.Bytes = x.Rows * rowBytes[x.Table]
		}
		out.Tables = append(out.Tables, x)
		out.Parts += x.Parts
		out.Rows += x.Rows
		out.Marks += x.Marks
		out.Bytes += x.Bytes
	}
	return out, nil
}

// tierOnly is s's table filters with each tiered table kept to the parts
// of one tier (filter); a table a default-deny scope leaves out stays
// denied.
func tierOnly(s store.Settings, filter string) map[string]string {
	f := make(map[string]string, len(s.TableFilters)+len(store.TieredTables))
	for k, v := range s.TableFilters {
		f[k] = v
	}
	for _, t := range store.TieredTables {
		scope, ok := f[t]
		if s.DenyUnlisted && !ok {
			continue
		}
		f[t] = store.AndFilter(scope, filter)
	}
	return f
}

// explainEstimate runs EXPLAIN ESTIMATE on the prepared statement with s.
func (c *Catalog) explainEstimate(ctx context.Context, p *prepared, s store.Settings) ([]TableEstimate, error) {
	res, err := c.r.st.Query(ctx, store.Query{SQL: "EXPLAIN ESTIMATE " + p.sql, Params: p.params, Settings: s})
	if err != nil {
		return nil, fmt.Errorf("cannot estimate template %s: %w", p.t.ID, err)
	}
	var out []TableEstimate
	for _, r := range res.Rows {
		if len(r) < 5 {
			continue
		}
		out = append(out, TableEstimate{Table: store.CellString(r[1]), Parts: store.CellUint64(r[2]),
			Rows: store.CellUint64(r[3]), Marks: store.CellUint64(r[4])})
	}
	slices.SortFunc(out, func(a, b TableEstimate) int { return strings.Compare(a.Table, b.Table) })
	return out, nil
}

// rowBytes is each table's average compressed row, by table and disk
// ("table\x00disk") and over all its disks ("table"), from its active
// parts. It is the engine's bookkeeping, not any caller's rows: it runs
// with no caller's settings.
func (c *Catalog) rowBytes(ctx context.Context) (map[string]uint64, error) {
	res, err := c.r.st.Query(ctx, store.Query{SQL: `SELECT table, disk_name, sum(data_compressed_bytes), sum(rows)
		FROM system.parts WHERE database = currentDatabase() AND active GROUP BY table, disk_name`})
	if err != nil {
		return nil, fmt.Errorf("cannot read the tables' sizes: %w", err)
	}
	out := map[string]uint64{}
	total := map[string][2]uint64{}
	for _, r := range res.Rows {
		table, disk, b, n := store.CellString(r[0]), store.CellString(r[1]), store.CellUint64(r[2]), store.CellUint64(r[3])
		if n > 0 {
			out[table+"\x00"+disk] = (b + n - 1) / n
		}
		t := total[table]
		total[table] = [2]uint64{t[0] + b, t[1] + n}
	}
	for table, t := range total {
		if t[1] > 0 {
			out[table] = (t[0] + t[1] - 1) / t[1]
		}
	}
	return out, nil
}

// timeParam is a DateTime64(3) parameter's text.
const timeParam = "2006-01-02 15:04:05.000"

// estimateArchive fills out for an archive template: the objects of the
// hours the run opens, from the archive's manifests (one row per object),
// read with the caller's settings. It counts every stream's objects of
// those hours: the engine also skips the objects of streams a filter on
// stream leaves out (their paths name the stream), so this is an upper
// bound.
func (c *Catalog) estimateArchive(ctx context.Context, out *Estimate, p *prepared, from, to time.Time, s store.Settings) error {
	res, err := c.r.st.Query(ctx, store.Query{SQL: `SELECT count(), sum(records), sum(bytes) FROM (
			SELECT records, bytes FROM archive_manifests
			WHERE toDateTime(toDate(dt), 'UTC') + toIntervalHour(hour) >= toStartOfHour({from:DateTime64(3, 'UTC')})
			  AND toDateTime(toDate(dt), 'UTC') + toIntervalHour(hour) < {to:DateTime64(3, 'UTC')}
			LIMIT 1 BY stream, dt, hour, object)`,
		Params: map[string]string{"from": from.UTC().Format(timeParam), "to": to.UTC().Format(timeParam)}, Settings: s})
	if err != nil {
		return fmt.Errorf("cannot estimate template %s from the archive's manifests: %w", p.t.ID, err)
	}
	te := TierEstimate{Tier: store.TierArchive}
	if len(res.Rows) > 0 && len(res.Rows[0]) >= 3 {
		te.Parts, te.Rows, te.Bytes = store.CellUint64(res.Rows[0][0]), store.CellUint64(res.Rows[0][1]), store.CellUint64(res.Rows[0][2])
	}
	out.Tables = append(out.Tables, TableEstimate{Table: store.ArchiveView, Parts: te.Parts, Rows: te.Rows, Bytes: te.Bytes})
	out.Parts, out.Rows, out.Bytes = te.Parts, te.Rows, te.Bytes
	if te.Parts > 0 {
		out.Tiers = append(out.Tiers, te)
	}
	return nil
}
