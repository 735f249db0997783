package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPipelineTestCommand: logmart pipeline test passes the shipped
// scenarios and fails a file whose expectation the facts do not meet,
// or that cannot be read.
func TestPipelineTestCommand(t *testing.T) {
	shipped, err := filepath.Glob("../../pipeline/testdata/scenarios/*.test")
	if err != nil || len(shipped) == 0 {
		t.Fatalf("no shipped scenarios: %v", err)
	}
	if err := testScenarios(shipped); err != nil {
		t.Fatalf("the shipped scenarios: %v", err)
	}
	wrong := filepath.Join(t.TempDir(), "wrong.test")
	script := "date 2026-03-02\nsend voice-callthread\n" +
		`{"version":1,"event":"created","time":"2026-03-02T11:00:00Z","tenant":"t","call_id":"c"}` +
		"\nflush\nexpect interaction_facts\nid=c result=completed\n"
	if err := os.WriteFile(wrong, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	err = testScenarios([]string{shipped[0], wrong, filepath.Join(t.TempDir(), "missing.test")})
	if err == nil || !strings.Contains(err.Error(), "2 of 3 scenarios failed") {
		t.Fatalf("want 2 of 3 failed, got %v", err)
	}
	if err := testScenarios(nil); err == nil || exitCode(err) != 2 {
		t.Fatalf("no file named: want a usage error, got %v", err)
	}
}
