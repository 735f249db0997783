package query

import (
	"context"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// TemplateHash returns a version's hash: its sql and params, as recorded
// in query_templates. Dashboards fold it into their content hash, so two
// instances agree on what a dashboard shows only when its templates agree.
func (c *Catalog) TemplateHash(ctx context.Context, id string, version uint32) (string, error) {
	t, err := c.lookup(ctx, id, version)
	if err != nil {
		return "", err
	}
	return t.Hash, nil
}

// ExplainTemplate checks req as CheckTemplate does, then has the engine
// EXPLAIN the statement it renders, with its values bound, in a read-only
// session: what dashboards lint runs for each panel. A statement the
// engine refuses is BadInput.
func (c *Catalog) ExplainTemplate(ctx context.Context, req TemplateRequest) error {
	t, err := c.lookup(ctx, req.Template, req.Version)
	if err != nil {
		return err
	}
	ro := store.Settings{ReadOnly: true}
	p, err := c.prepare(ctx, t, req, ro)
	if err != nil {
		return err
	}
	if err := t.checkVariant(ctx, c.r.st, p); err != nil {
		return err
	}
	if _, err := c.r.st.Query(ctx, store.Query{SQL: "EXPLAIN " + p.sql, Params: p.params, Settings: ro}); err != nil {
		if store.KindOf(err) == fault.Unavailable {
			return err
		}
		return fault.New(fault.BadInput, "template %s v%d: ClickHouse refuses the query against the live schema: %s", t.ID, t.Version, engineMessage(err))
	}
	return nil
}

// ResultColumns checks req as ExplainTemplate does, then has the engine
// describe the statement's result: its columns, with no row read (the
// statement under LIMIT 0). Monitors lint the columns they compare.
func (c *Catalog) ResultColumns(ctx context.Context, req TemplateRequest) ([]store.Column, error) {
	if err := c.ExplainTemplate(ctx, req); err != nil {
		return nil, err
	}
	ro := store.Settings{ReadOnly: true}
	sql, params, err := c.Statement(ctx, req, ro)
	if err != nil {
		return nil, err
	}
	res, err := c.r.st.Query(ctx, store.Query{SQL: "SELECT * FROM (" + sql + ") LIMIT 0", Params: params, Settings: ro})
	if err != nil {
		if store.KindOf(err) == fault.Unavailable {
			return nil, err
		}
		return nil, fault.New(fault.BadInput, "template %s v%d: ClickHouse cannot describe the result: %s", req.Template, req.Version, engineMessage(err))
	}
	return res.Columns, nil
}
