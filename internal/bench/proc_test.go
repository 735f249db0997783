package bench

import (
	"testing"
	"time"
)

func TestParseThreadStat(t *testing.T) {
	f := func(in string, name string, cpu time.Duration, ok bool) {
		t.Helper()
		got, gotOK := parseThreadStat([]byte(in))
		if gotOK != ok || got.name != name || got.cpu != cpu {
			t.Fatalf("%q: got %+v %v, want %q %v %v", in, got, gotOK, name, cpu, ok)
		}
	}
	f("4242 (MergeMutate) S 1 2 3 0 -1 4194368 100 0 0 0 150 25 0 0 20 0 40 0 9 0 0", "MergeMutate", 1750*time.Millisecond, true)
	// A name may hold spaces and parentheses; the last ')' ends it.
	f("7 (a (b) c) R 1 2 3 0 -1 0 0 0 0 0 3 4 0 0", "a (b) c", 70*time.Millisecond, true)
	f("7 (short) R 1 2", "", 0, false)
	f("garbage", "", 0, false)
	f("7 (x) R 1 2 3 0 -1 0 0 0 0 0 u s 0 0", "", 0, false)
}

func TestEngineCPU(t *testing.T) {
	before := map[int]threadTime{1: {"logmart", time.Second}, 2: {"MergeMutate", time.Second}, 3: {"QueryPipeline", 0}}
	after := map[int]threadTime{
		1: {"logmart", 5 * time.Second},
		2: {"MergeMutate", 3 * time.Second},
		3: {"QueryPipeline", time.Second},
		4: {"MergeMutate", time.Second}, // started during the run
	}
	merges, other := engineCPU(before, after, "logmart")
	if merges != 3*time.Second || other != time.Second {
		t.Fatalf("merges %v other %v, want 3s 1s", merges, other)
	}
	if len(threadCPU()) == 0 {
		t.Fatal("threadCPU read no threads of this process")
	}
}
