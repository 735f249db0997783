package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/logmart/logmart/internal/apiclient"
)

func runSQL(args []string) error {
	fs := newFlags("sql")
	api := apiFlags(fs)
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
	cl, err := api.client()
	if err != nil {
		return err
	}
	res, err := cl.SQL(context.Background(), apiclient.SQLRequest{SQL: stmt})
	if err != nil {
		return err
	}
	if *format == "json" {
		_, err := os.Stdout.Write(append(res.Raw, '\n'))
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

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
