package remote

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
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

// unescapeTSV reads a parameter value as the server does: a tab-separated
// field, where a raw tab or newline would end it.
func unescapeTSV(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\t', '\n':
			return "", fmt.Errorf("raw %q ends the field at byte %d", c, i)
		case '\\':
			if i+1 == len(s) {
				return "", errors.New("backslash at the end")
			}
			i++
			switch s[i] {
			case '\\':
				b.WriteByte('\\')
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			default:
				return "", fmt.Errorf("unexpected escape \\%c", s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func TestParametersAreEscapedForTheServer(t *testing.T) {
	if p := queryParameters(nil); p != nil {
		t.Fatalf("no params gave %v", p)
	}
	values := []string{
		"plain",
		"it's",
		`'; DROP TABLE x; --`,
		`\' OR 1=1`,
		"tab\there\nnewline\\backslash",
		`\N`,
		`C:\temp\new`,
		"cr\rnul\x00",
		"ünïcødé ‮ rtl",
		"",
		strings.Repeat("A", 100000),
	}
	in := map[string]string{}
	for i, v := range values {
		in[fmt.Sprintf("p%d", i)] = v
	}
	got := queryParameters(in)
	if len(got) != len(in) {
		t.Fatalf("%d params in, %d out", len(in), len(got))
	}
	for k, v := range in {
		back, err := unescapeTSV(got[k])
		if err != nil {
			t.Fatalf("%q sent as %q: %v", v, got[k], err)
		}
		if back != v {
			t.Fatalf("%q sent as %q reads back as %q", v, got[k], back)
		}
	}
	// `\N` typed by a user is text, not NULL.
	if got["p5"] != `\\N` {
		t.Fatalf(`\N sent as %q`, got["p5"])
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
