package main

import (
	"context"
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
	format := fs.String("format", "tsv", "output format: tsv (ClickHouse TabSeparated, NULL as \\N), csv, json (the server's answer) or table")
	header := fs.Bool("header", false, "print a first line of column names (tsv and csv; table always has one)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkOutputFormat(*format); err != nil {
		return err
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
	return writeResult(os.Stdout, res, *format, *header)
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
