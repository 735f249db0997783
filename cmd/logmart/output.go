package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/logmart/logmart/internal/apiclient"
)

// outputFormats are the values of --format of a command that prints a
// result, in the order its help lists them.
var outputFormats = []string{"tsv", "csv", "json", "table"}

// checkOutputFormat names the flag at fault.
func checkOutputFormat(format string) error {
	for _, f := range outputFormats {
		if f == format {
			return nil
		}
	}
	last := len(outputFormats) - 1
	return usageError{fmt.Errorf("--format %q must be %s or %s", format, strings.Join(outputFormats[:last], ", "), outputFormats[last])}
}

// writeResult prints res in format so that it survives a pipe:
//
//   - tsv is ClickHouse's TabSeparated: backslash, tab, newline and the other
//     control characters escaped, NULL as \N, so one row is one line and
//     NULL differs from the empty string; with header, a first line of
//     column names (TabSeparatedWithNames).
//   - csv is RFC 4180 (quotes where a value needs them), NULL as \N as
//     ClickHouse writes it; with header, a first line of column names.
//   - json is the server's answer unchanged (columns, rows and stats).
//   - table is for reading: aligned columns under a header, NULL written
//     NULL, control characters escaped as in tsv.
func writeResult(w io.Writer, res *apiclient.Result, format string, header bool) error {
	if format == "json" {
		_, err := w.Write(append(bytes.TrimRight(res.Raw, "\n"), '\n'))
		return err
	}
	names := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if header {
			if err := cw.Write(names); err != nil {
				return err
			}
		}
		for _, r := range res.Rows {
			cells := make([]string, len(r))
			for i, c := range r {
				s, null := cellText(c)
				if null {
					s = `\N`
				}
				cells[i] = s
			}
			if err := cw.Write(cells); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		line := func(cells []string) {
			for i, c := range cells {
				cells[i] = escapeTSV(c)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		line(names)
		for _, r := range res.Rows {
			cells := make([]string, len(r))
			for i, c := range r {
				s, null := cellText(c)
				if null {
					s = "NULL"
				}
				cells[i] = s
			}
			line(cells)
		}
		return tw.Flush()
	}
	var b strings.Builder
	row := func(cells []string) error {
		b.Reset()
		for i, c := range cells {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(c)
		}
		b.WriteByte('\n')
		_, err := io.WriteString(w, b.String())
		return err
	}
	if header {
		for i, n := range names {
			names[i] = escapeTSV(n)
		}
		if err := row(names); err != nil {
			return err
		}
	}
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, c := range r {
			s, null := cellText(c)
			if null {
				cells[i] = `\N`
			} else {
				cells[i] = escapeTSV(s)
			}
		}
		if err := row(cells); err != nil {
			return err
		}
	}
	return nil
}

// cellText is a cell as text: a JSON string's value, null as null=true,
// and numbers, arrays and objects as the server wrote them.
func cellText(c json.RawMessage) (s string, null bool) {
	c = bytes.TrimSpace(c)
	if string(c) == "null" {
		return "", true
	}
	if json.Unmarshal(c, &s) == nil {
		return s, false
	}
	return string(c), false
}

// tsvEscaper is ClickHouse's TabSeparated escaping of a value.
var tsvEscaper = strings.NewReplacer(
	`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`, "\b", `\b`, "\f", `\f`, "\v", `\v`,
)

func escapeTSV(s string) string { return tsvEscaper.Replace(s) }
