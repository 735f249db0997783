package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/logmart/logmart/dashboards"
	"github.com/logmart/logmart/query"
)

func runDashboardsImportGrafana(args []string) error {
	fs := newFlags("dashboards import-grafana")
	out := fs.String("out", "configs", "folder to write into: the dashboard to OUT/dashboards/<uid>.yaml, its templates to OUT/templates/<id>.yaml; existing files are never overwritten")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("give one Grafana dashboard JSON file (or - for stdin)")}
	}
	var raw []byte
	var err error
	if fs.Arg(0) == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(fs.Arg(0))
	}
	if err != nil {
		return fmt.Errorf("cannot read the Grafana dashboard: %w", err)
	}
	imp, err := dashboards.ImportGrafana(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	files := map[string][]byte{}
	var order []string
	add := func(path string, b []byte) {
		files[path] = b
		order = append(order, path)
	}
	if len(imp.Dashboard.Panels) > 0 {
		b, err := dashboards.Canonical(imp.Dashboard)
		if err != nil {
			return err
		}
		header := fmt.Sprintf("# Converted from the Grafana dashboard %q by logmart dashboards import-grafana.\n", imp.Dashboard.Title)
		add(filepath.Join(*out, "dashboards", imp.Dashboard.UID+".yaml"), append([]byte(header), b...))
	}
	for _, t := range imp.Templates {
		b, err := templateFile(t)
		if err != nil {
			return err
		}
		add(filepath.Join(*out, "templates", t.ID+".yaml"), b)
	}
	var exist []string
	for _, p := range order {
		if _, err := os.Stat(p); err == nil {
			exist = append(exist, p)
		}
	}
	if len(exist) > 0 {
		return fmt.Errorf("not overwriting %s: move them away or choose another --out", strings.Join(exist, ", "))
	}
	for _, p := range order {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("cannot write %s: %w", p, err)
		}
		if err := os.WriteFile(p, files[p], 0o644); err != nil {
			return fmt.Errorf("cannot write %s: %w", p, err)
		}
	}
	fmt.Printf("converted %d of %d panels of the Grafana dashboard %q as dashboard %s with %d templates\n",
		len(imp.Dashboard.Panels), imp.Panels, imp.Dashboard.Title, imp.Dashboard.UID, len(imp.Templates))
	for _, p := range order {
		fmt.Printf("  wrote %s\n", p)
	}
	if len(imp.Skipped) > 0 {
		fmt.Println("not converted:")
		for _, s := range imp.Skipped {
			fmt.Printf("  %s\n", s)
		}
	}
	if len(imp.Notes) > 0 {
		fmt.Println("notes:")
		for _, s := range imp.Notes {
			fmt.Printf("  %s\n", s)
		}
	}
	if len(imp.Dashboard.Panels) == 0 {
		return fmt.Errorf("no panel of %s could be converted", fs.Arg(0))
	}
	fmt.Printf("check them on the embedded engine: logmart templates lint --dir %s --update-lock && logmart dashboards lint --templates %s %s\n",
		filepath.Join(*out, "templates"), filepath.Join(*out, "templates"), order[0])
	return nil
}

// templateFile writes t as a template file in the query layer's own
// format (query.Spec), leaving out empty fields.
func templateFile(t dashboards.ImportedTemplate) ([]byte, error) {
	spec := query.Spec{ID: t.ID, Version: 1, Title: t.Title, Description: t.Description, Visualization: t.Visualization, SQL: t.SQL, Tags: []string{"grafana"}}
	for _, p := range t.Params {
		spec.Params = append(spec.Params, query.ParamSpec{Name: p.Name, Type: p.Type, Required: p.Required, Default: p.Default, Description: p.Description, ValuesQuery: p.ValuesQuery})
	}
	var n yaml.Node
	if err := n.Encode(spec); err != nil {
		return nil, fmt.Errorf("cannot encode template %s: %w", t.ID, err)
	}
	pruneEmpty(&n)
	var b bytes.Buffer
	b.WriteString("# Converted from Grafana by logmart dashboards import-grafana.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("cannot encode template %s: %w", t.ID, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// pruneEmpty drops the mapping entries of n (at any depth) whose value is
// null, false, 0, "" or an empty list or mapping.
func pruneEmpty(n *yaml.Node) {
	for _, c := range n.Content {
		pruneEmpty(c)
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		empty := v.Tag == "!!null" ||
			(v.Kind == yaml.ScalarNode && (v.Value == "" || v.Value == "false" && v.Tag == "!!bool" || v.Value == "0" && v.Tag == "!!int")) ||
			((v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && len(v.Content) == 0)
		if !empty {
			kept = append(kept, n.Content[i], v)
		}
	}
	n.Content = kept
}
