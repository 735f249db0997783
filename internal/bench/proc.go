package bench

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pageFaults is the process's minor page faults so far: each is a page the
// kernel mapped and zeroed on first touch, work a run that reuses its memory
// avoids.
func pageFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Minflt
}

// goRuntimeCPU is the CPU time Go's runtime has spent on garbage collection
// and on returning memory to the OS, as its own metrics estimate them.
func goRuntimeCPU() (gc, scavenge time.Duration) {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/scavenge/total:cpu-seconds"}}
	metrics.Read(s)
	sec := func(v metrics.Value) time.Duration {
		if v.Kind() != metrics.KindFloat64 {
			return 0
		}
		return time.Duration(v.Float64() * float64(time.Second))
	}
	return sec(s[0].Value), sec(s[1].Value)
}

// rssBytes is the current resident set (VmRSS).
func rssBytes() int64 { return procStatus("VmRSS:") }

// peakRSSBytes is the resident set's high-water mark (VmHWM), or getrusage's
// maxrss where /proc is not available.
func peakRSSBytes() int64 {
	if n := procStatus("VmHWM:"); n > 0 {
		return n
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024 // KiB on Linux
}

// resetPeak resets VmHWM to the current RSS (Linux clear_refs 5), so the
// peak read afterwards is the measured phase's. Where that is not allowed the
// peak stays the process's lifetime peak.
func resetPeak() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// procStatus reads one "Key: N kB" line of /proc/self/status, in bytes.
func procStatus(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(key)) {
			continue
		}
		fields := bytes.Fields(line[len(key):])
		if len(fields) == 0 {
			return 0
		}
		n, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0
		}
		return n * 1024
	}
	return 0
}

// clockTick is the unit of /proc's per-thread CPU times (USER_HZ, 100 on
// Linux).
const clockTick = 10 * time.Millisecond

// threadCPU returns the CPU time of each live thread of the process by
// thread id, with its name. The embedded engine names its threads
// (MergeMutate for merges, QueryPipeline and the like for statements); Go's
// threads carry the process's name, and so does engine work a Go thread
// calls into, such as an insert.
func threadCPU() map[int]threadTime {
	dir := "/proc/self/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := make(map[int]threadTime, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "stat"))
		if err != nil {
			continue // the thread ended
		}
		if t, ok := parseThreadStat(b); ok {
			out[tid] = t
		}
	}
	return out
}

type threadTime struct {
	name string
	cpu  time.Duration
}

// parseThreadStat reads the name and utime+stime of a /proc/<pid>/task/<tid>/stat.
func parseThreadStat(b []byte) (threadTime, bool) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return threadTime{}, false
	}
	fields := strings.Fields(string(b[end+1:]))
	// After the name: state is field 3 of stat, utime 14 and stime 15.
	if len(fields) < 13 {
		return threadTime{}, false
	}
	ut, err1 := strconv.ParseInt(fields[11], 10, 64)
	st, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return threadTime{}, false
	}
	return threadTime{name: string(b[open+1 : end]), cpu: time.Duration(ut+st) * clockTick}, true
}

// engineCPU sums the CPU the engine's own threads used between two
// threadCPU readings: merges (MergeMutate threads) and the rest. A thread
// that ended in between is not counted.
func engineCPU(before, after map[int]threadTime, self string) (merges, other time.Duration) {
	for tid, a := range after {
		if a.name == self {
			continue
		}
		d := a.cpu
		if b, ok := before[tid]; ok && b.name == a.name {
			d -= b.cpu
		}
		if strings.HasPrefix(a.name, "MergeMutate") {
			merges += d
		} else {
			other += d
		}
	}
	return merges, other
}

// processName is the name the process's own threads carry.
func processName() string {
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// goMemory is the memory Go's runtime holds from the OS (mapped and not
// released): heap, stacks, runtime structures. The rest of the resident set
// is the embedded engine's and the C libraries'.
func goMemory() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}
