package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/logmart/logmart/ingest"
	"github.com/logmart/logmart/internal/apiclient"
	"github.com/logmart/logmart/query"
)

func runLinks(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, `usage: logmart links <command> [flags]

commands:
  create   pin a template version, parameter values and a time range; prints the link
  show     print a link's pinned request and its Markdown line

run 'logmart links <command> -h' for a command's flags
`)
		if len(args) == 0 {
			return usageError{fmt.Errorf("give a command: create or show")}
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "create":
		return runLinksCreate(args[1:])
	case "show":
		return runLinksShow(args[1:])
	}
	return usageError{fmt.Errorf("unknown command %q: use create or show", args[0])}
}

// paramFlags collects repeated --param name=value flags in order.
type paramFlags [][2]string

// values are the --param flags by name; a name given twice is a usage
// error.
func (f paramFlags) values() (map[string]string, error) {
	values := make(map[string]string, len(f))
	for _, p := range f {
		if _, dup := values[p[0]]; dup {
			return nil, usageError{fmt.Errorf("--param %s is given twice", p[0])}
		}
		values[p[0]] = p[1]
	}
	return values, nil
}

func (p *paramFlags) String() string { return "" }

func (p *paramFlags) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("%q is not name=value", v)
	}
	*p = append(*p, [2]string{strings.TrimSpace(name), val})
	return nil
}

func runLinksCreate(args []string) error {
	fs := newFlags("links create")
	api := apiFlags(fs)
	tmpl := fs.String("template", "", "template id (required)")
	version := fs.Uint("version", 0, "template version to pin (default: the latest)")
	var params paramFlags
	fs.Var(&params, "param", "a parameter value as name=value, sent as text for the server to type; repeat for each parameter; list values are comma-separated")
	from := fs.String("from", "", "range start (required): "+query.TimeForms)
	to := fs.String("to", "", "range end, in the same forms (default now)")
	title := fs.String("title", "", "title shown on the link page and in the Markdown line")
	note := fs.String("note", "", "note shown on the link page")
	snapshot := fs.Bool("snapshot", false, "freeze the result now, so the link still shows rows after the data ages out")
	asJSON := fs.Bool("json", false, "print the server's JSON answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *tmpl == "" {
		return usageError{fmt.Errorf("--template is required")}
	}
	if *from == "" {
		return usageError{fmt.Errorf("--from is required (for example --from now-1h, or --from \"last 1h\")")}
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
	link, err := cl.CreateLink(context.Background(), apiclient.LinkRequest{
		Template: *tmpl, Version: uint32(*version), Params: values, From: *from, To: *to,
		Title: *title, Note: *note, Snapshot: *snapshot,
	})
	if err != nil {
		return err
	}
	return printLink(os.Stdout, api.cfg.Server, link, *asJSON)
}

func runLinksShow(args []string) error {
	fs := newFlags("links show")
	api := apiFlags(fs)
	asJSON := fs.Bool("json", false, "print the server's JSON answer")
	var ids []string
	// Flags may come before or after the id.
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		ids = append(ids, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(ids) != 1 {
		return usageError{fmt.Errorf("give one link id (or its /s/<id> URL): logmart links show <id>")}
	}
	id := ids[0]
	if i := strings.LastIndex(id, "/s/"); i >= 0 {
		id = id[i+3:]
	}
	cl, err := api.client()
	if err != nil {
		return err
	}
	link, err := cl.Link(context.Background(), id)
	if err != nil {
		return err
	}
	return printLink(os.Stdout, api.cfg.Server, link, *asJSON)
}

func printLink(w io.Writer, base string, l *apiclient.Link, asJSON bool) error {
	if asJSON {
		_, err := w.Write(append(l.Raw, '\n'))
		return err
	}
	var params bytes.Buffer
	if err := json.Compact(&params, l.Params); err != nil || params.Len() == 0 {
		params.Reset()
		params.WriteString("{}")
	}
	row := func(k, v string) { fmt.Fprintf(w, "%-9s %s\n", k, v) }
	row("id", l.ID)
	row("url", strings.TrimRight(base, "/")+l.URL)
	row("pinned", fmt.Sprintf("%s – %s UTC, template %s v%d", query.FormatLinkTime(l.From), query.FormatLinkTime(l.To), l.Template, l.Version))
	row("params", params.String())
	if l.Title != "" {
		row("title", l.Title)
	}
	if l.Note != "" {
		row("note", strings.ReplaceAll(l.Note, "\n", "\n          "))
	}
	by := l.CreatedBy
	if by == "" {
		by = "(no name)"
	}
	row("created", fmt.Sprintf("%s UTC by %s", query.FormatLinkTime(l.CreatedAt), by))
	switch {
	case l.Snapshot != nil && l.SnapshotExpiresAt != nil:
		row("snapshot", fmt.Sprintf("%d rows frozen at %s UTC, kept until %s UTC", len(l.Snapshot.Rows), query.FormatLinkTime(l.Snapshot.At), query.FormatLinkTime(*l.SnapshotExpiresAt)))
	case l.Snapshot != nil:
		row("snapshot", fmt.Sprintf("%d rows frozen at %s UTC", len(l.Snapshot.Rows), query.FormatLinkTime(l.Snapshot.At)))
	case l.SnapshotHidden != "":
		row("snapshot", "hidden: "+l.SnapshotHidden)
	case l.SnapshotExpired != "":
		row("snapshot", "expired: "+l.SnapshotExpired)
	}
	switch l.Hot {
	case string(query.HotPartial):
		row("data", "part of this range is older than a stream's retention and no longer in the hot store")
	case string(query.HotGone):
		row("data", "data for this range is no longer in the hot store")
	}
	row("markdown", l.Markdown)
	return nil
}

// streamRetention is the shortest and longest stream retention in force,
// which says how much of a link's range the hot store still holds.
func streamRetention(routes *ingest.Routes) func() (time.Duration, time.Duration) {
	return func() (time.Duration, time.Duration) {
		var shortest, longest time.Duration
		for _, s := range routes.Current().Streams() {
			d := time.Duration(s.RetentionDays) * 24 * time.Hour
			if shortest == 0 || d < shortest {
				shortest = d
			}
			longest = max(longest, d)
		}
		return shortest, longest
	}
}
