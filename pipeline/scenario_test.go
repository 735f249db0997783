package pipeline

import (
	"os"
	"path/filepath"
	"testing"
)

// TestScenarios runs every script in testdata/scenarios; adding a case is
// adding a file.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata/scenarios")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := RunScenario(string(b)); err != nil {
				t.Errorf("%s:\n%v", f, err)
			}
		})
	}
}
