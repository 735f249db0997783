package templatetest

import (
	"context"
	"embed"
	"io/fs"
	"testing"

	"github.com/logmart/logmart/query"
	"github.com/logmart/logmart/store"
	"github.com/logmart/logmart/store/storetest"
)

// shippedTemplates is the repository's template folder.
const shippedTemplates = "../../configs/templates"

//go:embed testdata/*.test
var scripts embed.FS

// TestScripts runs the scripts under testdata against the shipped
// templates, each on a database of its own, through the template catalog
// as a viewer's API request would.
func TestScripts(t *testing.T) {
	dir, err := fs.Sub(scripts, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	RunScripts(t, dir, catalogEnv)
}

// catalogEnv loads the shipped templates on a fresh database, with the
// result cache off so a run after a load sees the new rows.
func catalogEnv(t *testing.T) Env {
	st := storetest.Database(t)
	cfg := query.DefaultConfig()
	cfg.Dir = shippedTemplates
	cfg.CacheTTL = 0
	c := query.NewCatalog(cfg, query.NewRunner(st, nil), nil)
	if err := c.Load(context.Background()); err != nil {
		t.Fatalf("the shipped templates do not load:\n%v", err)
	}
	who := query.Caller{User: "templatetest", Role: "viewer", Source: "api"}
	run := func(ctx context.Context, req Request) (*store.Result, error) {
		from, to, err := query.TemplateRange.Resolve(req.From, req.To, req.Now)
		if err != nil {
			return nil, err
		}
		params := make(map[string]any, len(req.Params))
		for k, v := range req.Params {
			params[k] = v
		}
		r, err := c.Run(ctx, who, query.TemplateRequest{Template: req.Template, Version: req.Version, Params: params, From: from, To: to}, store.Settings{})
		if err != nil {
			return nil, err
		}
		return r.Result, nil
	}
	return Env{Store: st, Run: run}
}
