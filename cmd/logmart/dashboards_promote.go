package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logmart/logmart/alerts"
	"github.com/logmart/logmart/budgets"
	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/internal/apiclient"
)

// contentAPI is how the CLI lists, reads and writes one content kind on an
// instance through its API. A new kind that promotion carries is one more
// entry in contentKinds.
type contentAPI struct {
	hashes func(ctx context.Context, cl *apiclient.Client) (map[string]string, error)
	// get answers a body and its hash, or an error IsNotFound.
	get func(cl *apiclient.Client, ctx context.Context, uid string) ([]byte, string, error)
	put func(cl *apiclient.Client, ctx context.Context, uid string, body []byte, ifMatch string) (string, error)
}

var contentKinds = map[string]contentAPI{
	dashboards.KindDashboard: {
		hashes: func(ctx context.Context, cl *apiclient.Client) (map[string]string, error) {
			ds, err := cl.Dashboards(ctx)
			if err != nil {
				return nil, err
			}
			out := make(map[string]string, len(ds))
			for _, d := range ds {
				out[d.UID] = d.Hash
			}
			return out, nil
		},
		get: (*apiclient.Client).DashboardYAML,
		put: (*apiclient.Client).PutDashboardYAML,
	},
	alerts.KindMonitor: {
		hashes: func(ctx context.Context, cl *apiclient.Client) (map[string]string, error) {
			ms, err := cl.Monitors(ctx)
			if err != nil {
				return nil, err
			}
			out := make(map[string]string, len(ms))
			for _, m := range ms {
				out[m.Monitor.ID] = m.Hash
			}
			return out, nil
		},
		get: (*apiclient.Client).MonitorYAML,
		put: (*apiclient.Client).PutMonitorYAML,
	}, budgets.KindBudget: {
		hashes: func(ctx context.Context, cl *apiclient.Client) (map[string]string, error) {
			return cl.BudgetHashes(ctx)
		},
		get: (*apiclient.Client).BudgetYAML,
		put: (*apiclient.Client).PutBudgetYAML,
	},
}

// apiInstance is dashboards.Instance over one environment's API.
type apiInstance struct {
	name string
	cl   *apiclient.Client
}

func (a apiInstance) kind(kind string) (contentAPI, error) {
	k, ok := contentKinds[kind]
	if !ok {
		return contentAPI{}, fmt.Errorf("the CLI cannot carry content of kind %q", kind)
	}
	return k, nil
}

// wrap names the environment in a failure to reach it or an error answer.
func (a apiInstance) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("environment %s: %w", a.name, err)
}

func (a apiInstance) Hashes(ctx context.Context, kind string) (map[string]string, error) {
	k, err := a.kind(kind)
	if err != nil {
		return nil, err
	}
	h, err := k.hashes(ctx, a.cl)
	return h, a.wrap(err)
}

func (a apiInstance) Get(ctx context.Context, kind, uid string) (*dashboards.Item, error) {
	k, err := a.kind(kind)
	if err != nil {
		return nil, err
	}
	body, hash, err := k.get(a.cl, ctx, uid)
	if apiclient.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, a.wrap(err)
	}
	return &dashboards.Item{UID: uid, Hash: hash, Body: body}, nil
}

func (a apiInstance) Put(ctx context.Context, kind, uid string, body []byte, ifMatch string) (string, error) {
	k, err := a.kind(kind)
	if err != nil {
		return "", err
	}
	h, err := k.put(a.cl, ctx, uid, body, ifMatch)
	return h, a.wrap(err)
}

func (a apiInstance) LastPromotion(ctx context.Context, kind, uid string) (*dashboards.Promotion, error) {
	ps, err := a.cl.Promotions(ctx, kind, uid, 1)
	if err != nil || len(ps) == 0 {
		return nil, a.wrap(err)
	}
	p := ps[0]
	return &dashboards.Promotion{Kind: p.Kind, UID: p.UID, From: p.From, To: p.To, OldHash: p.OldHash, NewHash: p.NewHash, Forced: p.Forced, By: p.By, At: p.At}, nil
}

func (a apiInstance) Record(ctx context.Context, p dashboards.Promotion) error {
	_, err := a.cl.RecordPromotion(ctx, apiclient.PromotionRequest{Kind: p.Kind, UID: p.UID, From: p.From, To: p.To, OldHash: p.OldHash, NewHash: p.NewHash, Forced: p.Forced})
	return a.wrap(err)
}

func (a apiInstance) DependencyHash(ctx context.Context, dep dashboards.Dependency) (string, error) {
	if dep.Kind != dashboards.KindTemplate {
		return "", fmt.Errorf("the CLI cannot read %s", dep)
	}
	t, err := a.cl.Template(ctx, dep.ID, dep.Version)
	if apiclient.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", a.wrap(err)
	}
	return t.Hash, nil
}

// envFlags are the flags every command that talks to environments shares.
type envFlags struct {
	kind    *string
	file    *string
	timeout *time.Duration
	uids    uidFlags
	// args are the uids given after (or between) the flags.
	args []string
}

// parse reads flags wherever they stand among the uids, so that
// "promote --from dev --to prod checkout --force" forces rather than
// looking for a dashboard named --force.
func (f *envFlags) parse(fs *flag.FlagSet, args []string) error {
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			if _, ok := contentKinds[*f.kind]; !ok {
				return usageError{fmt.Errorf("--kind %q: the kinds are %s, %s and %s", *f.kind, dashboards.KindDashboard, alerts.KindMonitor, budgets.KindBudget)}
			}
			return nil
		}
		f.args = append(f.args, rest[0])
		args = rest[1:]
	}
}

func addEnvFlags(fs *flag.FlagSet) *envFlags {
	f := &envFlags{
		file:    fs.String("environments", defaultEnvironments, "the instances content is promoted between (name, url, token_env, variables)"),
		timeout: fs.Duration("timeout", time.Minute, "how long to wait for each answer from an instance, e.g. 30s"),
		kind:    fs.String("kind", dashboards.KindDashboard, "the content kind: dashboard, monitor or budget (monitors and budgets promote and verify like dashboards)"),
	}
	fs.Var(&f.uids, "uid", "a dashboard uid; repeat for several (default: every dashboard). UIDs may also follow the flags")
	return f
}

// uidFlags collects repeated --uid flags.
type uidFlags []string

func (u *uidFlags) String() string { return strings.Join(*u, ",") }

func (u *uidFlags) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("a uid cannot be empty")
	}
	*u = append(*u, v)
	return nil
}

// envs loads the environments file (which must exist here: these commands
// have nothing to do without it).
func (f *envFlags) envs() (*dashboards.Environments, error) {
	return dashboards.LoadEnvironments(*f.file, false)
}

// connect builds the client of the environment name: an unknown name and
// an unset token variable are errors naming them, before any call.
func (f *envFlags) connect(envs *dashboards.Environments, name string) (dashboards.Env, error) {
	if name == "" {
		return dashboards.Env{}, usageError{errors.New("name the environments with --from and --to (see the environments file)")}
	}
	env, err := envs.Get(name)
	if err != nil {
		return dashboards.Env{}, err
	}
	token, err := env.Token()
	if err != nil {
		return dashboards.Env{}, err
	}
	if *f.timeout <= 0 {
		return dashboards.Env{}, usageError{fmt.Errorf("--timeout must be positive, got %s", *f.timeout)}
	}
	cl, err := apiclient.New(apiclient.Config{Server: env.URL, Token: token, Timeout: *f.timeout})
	if err != nil {
		return dashboards.Env{}, fmt.Errorf("environment %s: url: %w", name, err)
	}
	return dashboards.Env{Name: name, Instance: apiInstance{name: name, cl: cl}}, nil
}

// selected is --uid and the uids among the flags.
func (f *envFlags) selected() []string {
	return append(append([]string(nil), f.uids...), f.args...)
}

func runDashboardsDiff(args []string) error {
	fs := newFlags("dashboards diff")
	ef := addEnvFlags(fs)
	from := fs.String("from", "", "environment to compare from (required)")
	to := fs.String("to", "", "environment to compare to (required)")
	if err := ef.parse(fs, args); err != nil {
		return err
	}
	envs, err := ef.envs()
	if err != nil {
		return err
	}
	a, err := ef.connect(envs, *from)
	if err != nil {
		return err
	}
	b, err := ef.connect(envs, *to)
	if err != nil {
		return err
	}
	ds, err := dashboards.Diff(context.Background(), *ef.kind, a, b, ef.selected())
	if err != nil {
		return err
	}
	return writeDiff(os.Stdout, ds, a.Name, b.Name)
}

func writeDiff(w io.Writer, ds []dashboards.Difference, from, to string) error {
	var same, differ, onlyFrom, onlyTo int
	for _, d := range ds {
		switch {
		case d.Same():
			same++
			fmt.Fprintf(w, "= %s: identical on %s and %s (%s)\n", d.UID, from, to, d.FromHash)
			continue
		case d.ToHash == "":
			onlyFrom++
			fmt.Fprintf(w, "+ %s: only on %s (%s); promote would create it on %s\n", d.UID, from, d.FromHash, to)
		case d.FromHash == "":
			onlyTo++
			fmt.Fprintf(w, "- %s: only on %s (%s)\n", d.UID, to, d.ToHash)
		default:
			differ++
			fmt.Fprintf(w, "~ %s: differs: %s has %s, %s has %s\n", d.UID, from, d.FromHash, to, d.ToHash)
		}
		fmt.Fprint(w, indent(d.Diff))
	}
	for _, d := range ds {
		for _, dep := range d.Dependencies {
			switch {
			case dep.FromHash == dep.ToHash && dep.FromHash != "":
			case dep.ToHash == "":
				fmt.Fprintf(w, "! %s needs %s, which %s lacks (%s has %s)\n", d.UID, dep.Dependency, to, from, dashboards.ShortHash(dep.FromHash))
			case dep.FromHash == "":
				fmt.Fprintf(w, "! %s needs %s, which %s lacks (%s has %s)\n", d.UID, dep.Dependency, from, to, dashboards.ShortHash(dep.ToHash))
			default:
				fmt.Fprintf(w, "! %s needs %s, which differs: %s has %s, %s has %s\n", d.UID, dep.Dependency, from, dep.FromHash, to, dep.ToHash)
			}
		}
	}
	_, err := fmt.Fprintf(w, "%d identical, %d differ, %d only on %s, %d only on %s\n", same, differ, onlyFrom, from, onlyTo, to)
	return err
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}

func runDashboardsPromote(args []string) error {
	fs := newFlags("dashboards promote")
	ef := addEnvFlags(fs)
	from := fs.String("from", "", "environment to copy from (required)")
	to := fs.String("to", "", "environment to copy to (required)")
	force := fs.Bool("force", false, "overwrite a dashboard edited on the target since it was last promoted there")
	dry := fs.Bool("dry-run", false, "say what would be created, replaced or refused, and write nothing")
	all := fs.Bool("all", false, "every dashboard of --from (what no uid means too; it cannot be combined with uids)")
	if err := ef.parse(fs, args); err != nil {
		return err
	}
	if *all && len(ef.selected()) > 0 {
		return usageError{errors.New("--all promotes every dashboard: give it or uids, not both")}
	}
	envs, err := ef.envs()
	if err != nil {
		return err
	}
	a, err := ef.connect(envs, *from)
	if err != nil {
		return err
	}
	b, err := ef.connect(envs, *to)
	if err != nil {
		return err
	}
	outs, err := dashboards.Promote(context.Background(), *ef.kind, a, b, ef.selected(), dashboards.PromoteOptions{Force: *force, DryRun: *dry})
	if err != nil {
		return err
	}
	return reportPromotion(os.Stdout, os.Stderr, outs, a.Name, b.Name, *dry)
}

// reportPromotion prints one line per dashboard and a summary; refusals
// and failures go to errOut, and make the command fail.
func reportPromotion(out, errOut io.Writer, outs []dashboards.Outcome, from, to string, dry bool) error {
	would := ""
	if dry {
		would = "would be "
	}
	n := map[string]int{}
	var failed []string
	for _, o := range outs {
		n[o.Action]++
		forced := ""
		if o.Forced {
			forced = " (--force: it had been edited there)"
		}
		switch {
		case o.Err != nil:
			failed = append(failed, o.UID)
			fmt.Fprintln(errOut, o.Err)
		case o.Action == dashboards.OutcomeUnchanged:
			fmt.Fprintf(out, "%s: unchanged, %s already has %s\n", o.UID, to, o.NewHash)
		case o.Action == dashboards.OutcomeCreated:
			fmt.Fprintf(out, "%s: %screated on %s: %s\n", o.UID, would, to, o.NewHash)
		case o.Action == dashboards.OutcomeReplaced:
			fmt.Fprintf(out, "%s: %sreplaced on %s: %s -> %s%s\n", o.UID, would, to, o.OldHash, o.NewHash, forced)
		}
	}
	changed := n[dashboards.OutcomeCreated] + n[dashboards.OutcomeReplaced]
	if dry {
		fmt.Fprintf(out, "dry run, nothing written: %d would be created, %d replaced, %d unchanged, %d refused\n",
			n[dashboards.OutcomeCreated], n[dashboards.OutcomeReplaced], n[dashboards.OutcomeUnchanged], len(failed))
	} else if changed == 0 && len(failed) == 0 {
		fmt.Fprintf(out, "nothing to do: %s already holds %s's %d dashboard(s) unchanged\n", to, from, len(outs))
	} else {
		fmt.Fprintf(out, "promoted %s -> %s: %d created, %d replaced, %d unchanged, %d refused\n",
			from, to, n[dashboards.OutcomeCreated], n[dashboards.OutcomeReplaced], n[dashboards.OutcomeUnchanged], len(failed))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d dashboard(s) not promoted: %s", len(failed), len(outs), strings.Join(failed, ", "))
	}
	return nil
}

func runDashboardsVerify(args []string) error {
	fs := newFlags("dashboards verify")
	ef := addEnvFlags(fs)
	names := fs.String("envs", "", "environments to compare, comma-separated, such as dev,test,prod (default: every one the file lists)")
	asJSON := fs.Bool("json", false, `print {"dashboards":[{"uid","hashes":{env: hash},"drift"}]} for CI`)
	if err := ef.parse(fs, args); err != nil {
		return err
	}
	envs, err := ef.envs()
	if err != nil {
		return err
	}
	list := envs.Names()
	if *names != "" {
		list = strings.Split(*names, ",")
	}
	if len(list) == 0 {
		return fmt.Errorf("%s lists no environments to verify", *ef.file)
	}
	var conns []dashboards.Env
	for _, name := range list {
		e, err := ef.connect(envs, strings.TrimSpace(name))
		if err != nil {
			return err
		}
		conns = append(conns, e)
	}
	rows, err := dashboards.Verify(context.Background(), *ef.kind, conns, ef.selected())
	if err != nil {
		return err
	}
	if *asJSON {
		// {"dashboards": …} or {"monitors": …}, by --kind.
		b, err := json.Marshal(map[string]any{*ef.kind + "s": rows})
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	} else {
		writeVerifyTable(os.Stdout, rows, conns)
	}
	var drift []string
	for _, r := range rows {
		switch {
		case r.Drift && len(r.Dependencies) > 0:
			drift = append(drift, fmt.Sprintf("%s (same hash, but %s)", r.UID, strings.Join(r.Dependencies, "; ")))
		case r.Drift:
			drift = append(drift, r.UID)
		}
	}
	if len(drift) > 0 {
		return fmt.Errorf("drift in %d of %d %s(s): %s", len(drift), len(rows), *ef.kind, strings.Join(drift, ", "))
	}
	if !*asJSON {
		fmt.Printf("%d %s(s) identical on %s\n", len(rows), *ef.kind, strings.Join(list, ", "))
	}
	return nil
}

func writeVerifyTable(w io.Writer, rows []dashboards.VerifyRow, envs []dashboards.Env) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "UID")
	for _, e := range envs {
		fmt.Fprintf(tw, "\t%s", e.Name)
	}
	fmt.Fprintln(tw, "\t")
	for _, r := range rows {
		fmt.Fprint(tw, r.UID)
		for _, e := range envs {
			fmt.Fprintf(tw, "\t%s", dashboards.ShortHash(r.Hashes[e.Name]))
		}
		mark := ""
		if r.Drift {
			mark = "DRIFT"
		}
		fmt.Fprintf(tw, "\t%s\n", mark)
	}
	tw.Flush()
	for _, r := range rows {
		for _, d := range r.Dependencies {
			fmt.Fprintf(w, "%s needs %s\n", r.UID, d)
		}
	}
}
