package remote

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/logmart/logmart/store"
)

func TestQuerySettings(t *testing.T) {
	if s := querySettings(store.Settings{}, nil); s != nil {
		t.Fatalf("zero settings gave %v, want none sent", s)
	}
	got := querySettings(store.Settings{
		ReadOnly:         true,
		MaxExecutionTime: 1500 * time.Millisecond,
		MaxResultRows:    10_000,
		MaxRowsToRead:    50_000_000,
		MaxMemoryUsage:   2 << 30,
		TableFilters:     map[string]string{"logs": "stream IN ('payments')", "events": "1 = 0"},
	}, nil)
	want := clickhouse.Settings{
		"readonly":                    1,
		"max_execution_time":          "1.5",
		"max_result_rows":             uint64(10_000),
		"result_overflow_mode":        "throw",
		"max_rows_to_read":            uint64(50_000_000),
		"read_overflow_mode":          "throw",
		"max_memory_usage":            uint64(2 << 30),
		"additional_table_filters":    `{'events': '1 = 0', 'logs': 'stream IN (\'payments\')'}`,
		"use_top_k_dynamic_filtering": 0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("settings\n%#v\nwant\n%#v", got, want)
	}
	// Only what is set is sent.
	got = querySettings(store.Settings{MaxResultRows: 5}, nil)
	if len(got) != 2 || got["max_result_rows"] != uint64(5) || got["result_overflow_mode"] != "throw" {
		t.Fatalf("max_result_rows alone gave %v", got)
	}
}

func TestQueryParameters(t *testing.T) {
	if p := queryParameters(nil); p != nil {
		t.Fatalf("no params gave %v", p)
	}
	// store.EscapeParam holds the cases; here, that every value goes through it.
	in := map[string]string{"a": "plain", "b": "tab\there", "c": `\N`}
	got := queryParameters(in)
	if len(got) != len(in) {
		t.Fatalf("%d params in, %d out", len(in), len(got))
	}
	for k, v := range in {
		if got[k] != store.EscapeParam(v) {
			t.Errorf("%q sent as %q, want %q", v, got[k], store.EscapeParam(v))
		}
	}
}

func TestStatementContextKeepsTheLimitAndTheCancellation(t *testing.T) {
	parent, cancelParent := context.WithTimeout(context.Background(), time.Hour)
	defer cancelParent()

	// Without its own limit a statement keeps the caller's deadline.
	ctx, cancel := statementContext(parent, store.Query{SQL: "SELECT 1"}, nil)
	if _, ok := ctx.Deadline(); !ok {
		t.Fatal("the caller's deadline was dropped")
	}
	cancel()

	// With max_execution_time the deadline goes (clickhouse-go would turn it
	// into its own max_execution_time), the cancellation stays.
	ctx, cancel = statementContext(parent, store.Query{SQL: "SELECT 1", Settings: store.Settings{MaxExecutionTime: time.Second}}, nil)
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Fatal("the caller's deadline would override max_execution_time")
	}
	select {
	case <-ctx.Done():
		t.Fatal("done before the caller cancelled")
	default:
	}
	cancelParent()
	<-ctx.Done()
	if !errors.Is(context.Cause(ctx), context.Canceled) {
		t.Fatalf("cause = %v", context.Cause(ctx))
	}
}

func TestStatementContextWithoutDeadlineIsTheCallers(t *testing.T) {
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, "v")
	ctx, cancel := statementContext(parent, store.Query{Settings: store.Settings{MaxExecutionTime: time.Second}}, nil)
	defer cancel()
	if ctx.Value(key{}) != "v" {
		t.Fatal("values of the caller's context were lost")
	}
}
