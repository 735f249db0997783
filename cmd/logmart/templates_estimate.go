package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/logmart/logmart/internal/apiclient"
	"github.com/logmart/logmart/query"
)

// runTemplatesEstimate asks a server what a template run would read, and
// from which tiers, without running it.
func runTemplatesEstimate(args []string) error {
	fs := newFlags("templates estimate")
	api := apiFlags(fs)
	tmpl := fs.String("template", "", "template id (required)")
	version := fs.Uint("version", 0, "template version (default: the latest)")
	var params paramFlags
	fs.Var(&params, "param", "a parameter value as name=value, sent as text for the server to type; repeat for each parameter")
	from := fs.String("from", "", "range start: "+query.TimeForms+" (default now-1h)")
	to := fs.String("to", "", "range end, in the same forms (default now)")
	asJSON := fs.Bool("json", false, `print the server's answer: {"template","version","parts","rows","marks","bytes","tables":[…],"tiers":[{"tier","parts","rows","bytes"}]}`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *tmpl == "" {
		return usageError{fmt.Errorf("--template is required")}
	}
	if *version > 1<<32-1 {
		return usageError{fmt.Errorf("--version %d is too large", *version)}
	}
	values, err := params.values()
	if err != nil {
		return err
	}
	cl, err := api.client()
	if err != nil {
		return err
	}
	est, err := cl.EstimateTemplate(context.Background(), *tmpl, apiclient.EstimateRequest{Version: uint32(*version), Params: values, From: *from, To: *to})
	if err != nil {
		return err
	}
	if *asJSON {
		_, err := fmt.Fprintf(os.Stdout, "%s\n", est.Raw)
		return err
	}
	tiers := make([]string, 0, len(est.Tiers))
	for _, t := range est.Tiers {
		tiers = append(tiers, t.Tier)
	}
	touched := "no data"
	if len(tiers) > 0 {
		touched = strings.Join(tiers, ", ")
	}
	fmt.Printf("%s v%d reads about %d rows, %d bytes, %d parts; tiers: %s\n", est.Template, est.Version, est.Rows, est.Bytes, est.Parts, touched)
	if len(est.Tiers) == 0 {
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "TIER\tPARTS\tROWS\tBYTES\t")
	for _, t := range est.Tiers {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t\n", t.Tier, t.Parts, t.Rows, t.Bytes)
	}
	return w.Flush()
}
