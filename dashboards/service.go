package dashboards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/logmart/logmart/store"
)

// Config configures the dashboards an instance serves (the dashboards:
// section).
type Config struct {
	// Dir holds the file-provisioned dashboards (*.yaml, one per file),
	// read at start and on reload, read-only in the API. Default
	// configs/dashboards.
	Dir string `yaml:"dir"`
	// InstanceVariables are what differs between this instance and the
	// others a dashboard is promoted to (env: prod, region: eu-west-1).
	// A dashboard writes ${name}; the instance resolves it when the
	// dashboard is shown and its panels run, so the definition, and its
	// hash, stay the same everywhere. Default env: local.
	InstanceVariables map[string]string `yaml:"instance_variables"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{Dir: "configs/dashboards", InstanceVariables: map[string]string{"env": "local"}}
}

// Validate reports the first field a user must fix.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("dashboards.dir must name a folder")
	}
	for name, v := range c.InstanceVariables {
		if !instanceVarRe.MatchString(name) {
			return fmt.Errorf("dashboards.instance_variables: %q is not a name (letters, digits and _, starting with a letter)", name)
		}
		if len(v) > 256 {
			return fmt.Errorf("dashboards.instance_variables.%s is %d bytes, more than 256", name, len(v))
		}
	}
	return nil
}

// Where an item of content comes from.
const (
	SourceFile = "file"
	SourceAPI  = "api"
)

// ErrPrecondition is a write whose If-Match does not hold: a create of a
// uid that exists, or a replace or delete with a stale hash. server/
// answers it with 412.
var ErrPrecondition = errors.New("precondition failed")

// Entry is one dashboard an instance serves.
type Entry = Stored[*Dashboard]

// Service serves the dashboards of one instance: the files of Config.Dir
// (provisioned read-only by Load) and the ones written through the API,
// kept in the dashboards table (see Library).
type Service struct {
	*Library[*Dashboard]
	cfg Config
}

// New returns a Service over st. tpl, when not nil, checks loads and API
// writes against the templates (as lint does; writes with EXPLAIN). Call
// Load before use.
func New(cfg Config, st store.Store, tpl Templates, log *slog.Logger) *Service {
	return &Service{Library: NewLibrary(dashboardKind(tpl, nil), cfg.Dir, st, log), cfg: cfg}
}

// dashboardKind is the dashboard content kind, checked against tpl (nil:
// no check beyond the model's) and, when envs is not nil, for literals
// that name an environment.
func dashboardKind(tpl Templates, envs *Environments) Kind[*Dashboard] {
	k := Kind[*Dashboard]{
		Name: KindDashboard, Table: "dashboards",
		Decode:    Decode,
		UID:       func(d *Dashboard) string { return d.UID },
		Canonical: Canonical,
		Less: func(a, b *Dashboard) bool {
			if a.Folder != b.Folder {
				return a.Folder < b.Folder
			}
			if a.Title != b.Title {
				return a.Title < b.Title
			}
			return a.UID < b.UID
		},
	}
	if tpl != nil {
		k.Check = func(ctx context.Context, d *Dashboard, pos Positions, file string, exists func(string) bool, explain bool) []*Problem {
			return Check(ctx, d, pos, file, tpl, LintOptions{Exists: exists, Explain: explain, Environments: envs})
		}
	}
	return k
}

func quoteUID(uid string) string {
	if len(uid) > 64 {
		uid = uid[:64] + "…"
	}
	return strconv.Quote(uid)
}
