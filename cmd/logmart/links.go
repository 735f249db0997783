package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/logmart/logmart/ingest"
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
	srv := fs.String("server", "http://127.0.0.1:8080", "logmart server URL")
	tmpl := fs.String("template", "", "template id (required)")
	version := fs.Uint("version", 0, "template version to pin (default: the latest)")
	var params paramFlags
	fs.Var(&params, "param", "a parameter value as name=value; repeat for each parameter; list values are comma-separated")
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
	types := paramTypes(*srv, *tmpl)
	values := map[string]any{}
	for _, p := range params {
		if _, dup := values[p[0]]; dup {
			return usageError{fmt.Errorf("--param %s is given twice", p[0])}
		}
		values[p[0]] = paramValue(types[p[0]], p[1])
	}
	req := map[string]any{"template": *tmpl, "params": values, "from": *from, "to": *to, "snapshot": *snapshot}
	if *version > 0 {
		req["version"] = *version
	}
	if *title != "" {
		req["title"] = *title
	}
	if *note != "" {
		req["note"] = *note
	}
	body, _ := json.Marshal(req)
	var link linkAnswer
	raw, err := apiCall(*srv, http.MethodPost, "/api/v1/links", body, &link)
	if err != nil {
		return err
	}
	return printLink(os.Stdout, *srv, raw, link, *asJSON)
}

func runLinksShow(args []string) error {
	fs := newFlags("links show")
	srv := fs.String("server", "http://127.0.0.1:8080", "logmart server URL")
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
	var link linkAnswer
	raw, err := apiCall(*srv, http.MethodGet, "/api/v1/links/"+url.PathEscape(id), nil, &link)
	if err != nil {
		return err
	}
	return printLink(os.Stdout, *srv, raw, link, *asJSON)
}

// linkAnswer is what the CLI reads of GET /api/v1/links/{id}.
type linkAnswer struct {
	ID        string          `json:"id"`
	URL       string          `json:"url"`
	Template  string          `json:"template"`
	Version   uint32          `json:"version"`
	Params    json.RawMessage `json:"params"`
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	Title     string          `json:"title"`
	Note      string          `json:"note"`
	CreatedAt time.Time       `json:"created_at"`
	CreatedBy string          `json:"created_by"`
	Markdown  string          `json:"markdown"`
	Hot       string          `json:"hot"`
	Snapshot  *struct {
		At   time.Time `json:"at"`
		Rows []any     `json:"rows"`
	} `json:"snapshot"`
	SnapshotHidden    string     `json:"snapshot_hidden"`
	SnapshotExpiresAt *time.Time `json:"snapshot_expires_at"`
	SnapshotExpired   string     `json:"snapshot_expired"`
}

func printLink(w io.Writer, base string, raw []byte, l linkAnswer, asJSON bool) error {
	if asJSON {
		_, err := w.Write(append(raw, '\n'))
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

// paramTypes asks the server for the template's parameter types, so
// --param values are sent as numbers, booleans or lists where the template
// wants them. When the server cannot say, every value is sent as text and
// the server's validation names any parameter at fault.
func paramTypes(base, id string) map[string]string {
	var list struct {
		Templates []struct {
			ID     string `json:"id"`
			Params []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"params"`
		} `json:"templates"`
	}
	out := map[string]string{}
	if _, err := apiCall(base, http.MethodGet, "/api/v1/templates", nil, &list); err != nil {
		return out
	}
	for _, t := range list.Templates {
		// The list holds the latest version; an older pinned version's
		// parameters are typed the same unless the template changed them,
		// and then the server's message names the one at fault.
		if t.ID != id {
			continue
		}
		for _, p := range t.Params {
			out[p.Name] = p.Type
		}
	}
	return out
}

// paramValue turns a --param value into the JSON value its type expects.
// A value that does not parse stays text, so the server's message names it.
func paramValue(typ, v string) any {
	switch typ {
	case "int", "float":
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return json.Number(v)
		}
	case "bool":
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	case "list(string)", "list(int)":
		out := []any{}
		if strings.TrimSpace(v) == "" {
			return out
		}
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if typ == "list(int)" {
				out = append(out, paramValue("int", item))
			} else {
				out = append(out, item)
			}
		}
		return out
	}
	return v
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
