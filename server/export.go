package server

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/logmart/logmart/fault"
	"github.com/logmart/logmart/store"
)

// Exports: a result written as a file to download, in the format the
// request's format parameter names, with times in the zone its tz
// parameter names (UTC by default, or an IANA zone such as
// America/New_York), as RFC 3339 with the offset. Rows are written and
// flushed as they come, so a long export starts at once and never sits in
// memory whole.

// exportFormats are the formats an export may ask for, with their media
// types.
var exportFormats = map[string]string{
	"csv":    "text/csv; charset=utf-8",
	"json":   "application/json",
	"ndjson": "application/x-ndjson",
}

// maxExportRows caps an export when the caller's role sets no
// max_result_rows.
const maxExportRows = 1_000_000

// exportLimit is how many rows an export may write for a role.
func exportLimit(l Limits) uint64 {
	if l.MaxResultRows > 0 {
		return l.MaxResultRows
	}
	return maxExportRows
}

// exportFormat is the request's format parameter: "" when the request asks
// for the usual JSON answer, else one of exportFormats.
func exportFormat(c echo.Context) (string, error) {
	f := c.QueryParam("format")
	if f == "" {
		return "", nil
	}
	if _, ok := exportFormats[f]; !ok {
		return "", fault.New(fault.BadInput, "format %q must be csv, json or ndjson", f)
	}
	return f, nil
}

// exportResult answers with res as a download when the request names a
// format, and reports whether it did.
func exportResult(c echo.Context, what string, res *store.Result) (bool, error) {
	f, err := exportFormat(c)
	if err != nil || f == "" {
		return err != nil, err
	}
	x, err := newExport(c, what, res.Columns)
	if err != nil {
		return true, err
	}
	if err := x.write(res.Rows); err != nil {
		return true, x.abort(err)
	}
	return true, x.close()
}

// export writes one result file.
type export struct {
	c      echo.Context
	format string
	cols   []store.Column
	zones  []*time.Location // a time column's cell zone, else nil
	out    *time.Location
	csv    *csv.Writer
	rows   uint64
}

// newExport starts a download of cols in the request's format (csv when it
// names none) named after what.
func newExport(c echo.Context, what string, cols []store.Column) (*export, error) {
	format, err := exportFormat(c)
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = "csv"
	}
	out := time.UTC
	if tz := c.QueryParam("tz"); tz != "" && tz != "UTC" {
		if out, err = time.LoadLocation(tz); err != nil || len(tz) > 64 {
			return nil, fault.New(fault.BadInput, "tz %q is not a time zone (UTC, or an IANA name such as America/New_York)", truncateText(tz, 80))
		}
	}
	x := &export{c: c, format: format, cols: cols, zones: make([]*time.Location, len(cols)), out: out}
	for i, col := range cols {
		x.zones[i] = cellZone(col.Type)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, exportFormats[format])
	name := fmt.Sprintf("logmart-%s-%s.%s", what, time.Now().UTC().Format("20060102T150405Z"), format)
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	switch format {
	case "csv":
		x.csv = csv.NewWriter(c.Response())
		names := make([]string, len(cols))
		for i, col := range cols {
			names[i] = col.Name
		}
		if err := x.csv.Write(names); err != nil {
			return nil, err
		}
	case "json":
		if _, err := c.Response().Write([]byte("[")); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// write appends rows and flushes them to the client.
func (x *export) write(rows [][]any) error {
	w := x.c.Response()
	for _, row := range rows {
		switch x.format {
		case "csv":
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = x.text(i, v)
			}
			if err := x.csv.Write(rec); err != nil {
				return err
			}
		default:
			obj := make(map[string]any, len(row))
			for i, v := range row {
				if i < len(x.cols) {
					obj[x.cols[i].Name] = x.value(i, v)
				}
			}
			b, err := json.Marshal(obj)
			if err != nil {
				return err
			}
			sep := "\n"
			if x.format == "json" && x.rows > 0 {
				sep = ",\n"
			}
			if _, err := w.Write(append([]byte(sep), b...)); err != nil {
				return err
			}
		}
		x.rows++
	}
	if x.csv != nil {
		x.csv.Flush()
		if err := x.csv.Error(); err != nil {
			return err
		}
	}
	w.Flush()
	return nil
}

// close ends the file.
func (x *export) close() error {
	if x.format == "json" {
		if _, err := x.c.Response().Write([]byte("\n]\n")); err != nil {
			return err
		}
	} else if x.format == "ndjson" && x.rows > 0 {
		if _, err := x.c.Response().Write([]byte("\n")); err != nil {
			return err
		}
	}
	x.c.Response().Flush()
	return nil
}

// abort ends a download that failed after it started: the status is sent,
// so the connection is cut instead, and the client sees a failed download
// rather than a file that looks complete.
func (x *export) abort(err error) error {
	x.c.Logger().Warnf("export cut off after %d rows: %v", x.rows, err)
	panic(http.ErrAbortHandler)
}

// value is cell i as an export writes it: a time in the export's zone.
func (x *export) value(i int, v any) any {
	if s, ok := v.(string); ok && i < len(x.zones) && x.zones[i] != nil {
		return exportTime(s, x.zones[i], x.out)
	}
	return v
}

// text is cell i as a CSV field: NULL is empty, numbers and text as they
// are, maps and arrays as JSON.
func (x *export) text(i int, v any) string {
	switch t := x.value(i, v).(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return t.String()
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Sprint(t)
		}
		return string(b)
	}
}

// exportTime writes a zone-less time cell (in zone from) as RFC 3339 in
// zone to; other text stays.
func exportTime(s string, from, to *time.Location) string {
	m := zonelessRe.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", m[1]+" "+m[2], from)
	if err != nil {
		return s
	}
	t = t.In(to)
	return t.Format("2006-01-02T15:04:05") + m[3] + t.Format("Z07:00")
}

// truncateText cuts s to at most n bytes for an error message.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
