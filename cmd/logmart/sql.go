package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"
)

func runSQL(args []string) error {
	fs := newFlags("sql")
	srv := fs.String("server", "http://127.0.0.1:8080", "logmart server URL")
	format := fs.String("format", "tsv", "output format: tsv or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "tsv" && *format != "json" {
		return usageError{fmt.Errorf("--format %q must be tsv or json", *format)}
	}
	stmt := strings.Join(fs.Args(), " ")
	if stmt == "-" {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		stmt = string(b)
	}
	if strings.TrimSpace(stmt) == "" {
		return usageError{fmt.Errorf("give the statement as an argument: logmart sql \"SELECT count() FROM logs\"")}
	}
	body, _ := json.Marshal(map[string]string{"sql": stmt})
	var res struct {
		Columns []struct{ Name, Type string } `json:"columns"`
		Rows    [][]json.RawMessage           `json:"rows"`
	}
	raw, err := apiCall(*srv, http.MethodPost, "/api/v1/sql", body, &res)
	if err != nil {
		return err
	}
	if *format == "json" {
		_, err := os.Stdout.Write(append(raw, '\n'))
		return err
	}
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, c := range r {
			var s string
			if json.Unmarshal(c, &s) == nil {
				cells[i] = s
			} else {
				cells[i] = string(c)
			}
		}
		fmt.Println(strings.Join(cells, "\t"))
	}
	return nil
}

// apiCall sends one request to a logmart server with the token from
// LOGMART_TOKEN and decodes the JSON answer into out. An error answer is
// returned as the server's message.
func apiCall(base, method, path string, body []byte, out any) ([]byte, error) {
	req, err := http.NewRequest(method, strings.TrimRight(base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, usageError{fmt.Errorf("--server %q: %w", base, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Logmart-Source", "cli")
	if tok := os.Getenv("LOGMART_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	cl := &http.Client{Timeout: 5 * time.Minute}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server at %s (is `logmart serve` running?): %w", base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("cannot read the server's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			if resp.StatusCode == http.StatusUnauthorized {
				return nil, fmt.Errorf("%s (set LOGMART_TOKEN)", e.Error)
			}
			return nil, fmt.Errorf("%s", e.Error)
		}
		return nil, fmt.Errorf("server answered %s", resp.Status)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("cannot decode the server's answer: %w", err)
		}
	}
	return raw, nil
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
