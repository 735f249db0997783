package chdb

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"unsafe"

	"github.com/ebitengine/purego"
)

// LibVersion is the chDB build logmart is tested with: the npm package
// @chdb/lib-linux-x64-gnu at this version ships libchdb.so.
const LibVersion = "26.5.3"

// DefaultLibPath is where `make chdb` puts libchdb.so: a cache outside the
// repository, shared by every checkout and CI run on the machine.
func DefaultLibPath() string {
	if p := os.Getenv("LOGMART_CHDB_LIB"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "logmart", "chdb", LibVersion, "libchdb.so")
}

// lib is the C ABI of libchdb.so, bound once per process.
type lib struct {
	connect      func(argc int32, argv **byte) unsafe.Pointer
	closeConn    func(conn unsafe.Pointer)
	queryN       func(conn unsafe.Pointer, query unsafe.Pointer, queryLen uintptr, format *byte, formatLen uintptr) unsafe.Pointer
	queryParamsN func(conn unsafe.Pointer, query unsafe.Pointer, queryLen uintptr, format *byte, formatLen uintptr,
		names **byte, nameLens *uintptr, values **byte, valueLens *uintptr, count uintptr) unsafe.Pointer
	destroy   func(res unsafe.Pointer)
	buffer    func(res unsafe.Pointer) unsafe.Pointer
	length    func(res unsafe.Pointer) uintptr
	elapsed   func(res unsafe.Pointer) float64
	rowsRead  func(res unsafe.Pointer) uint64
	bytesRead func(res unsafe.Pointer) uint64
	errorMsg  func(res unsafe.Pointer) *byte
}

var (
	libOnce sync.Once
	libVal  *lib
	libErr  error
	libPath string
)

// loadLib opens libchdb.so once per process; the engine cannot be loaded twice.
func loadLib(path string) (*lib, error) {
	libOnce.Do(func() {
		libPath = path
		if _, err := os.Stat(path); err != nil {
			libErr = fmt.Errorf("cannot find the embedded ClickHouse engine at %q: run `make chdb` (fetches npm package @chdb/lib-linux-x64-gnu@%s) or set store.chdb.library / LOGMART_CHDB_LIB", path, LibVersion)
			return
		}
		saved := saveSignals()
		defer restoreSignals(saved)
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			libErr = fmt.Errorf("cannot load the embedded ClickHouse engine %q: %w", path, err)
			return
		}
		l := &lib{}
		for name, fn := range map[string]any{
			"chdb_connect":              &l.connect,
			"chdb_close_conn":           &l.closeConn,
			"chdb_query_n":              &l.queryN,
			"chdb_query_with_params_n":  &l.queryParamsN,
			"chdb_destroy_query_result": &l.destroy,
			"chdb_result_buffer":        &l.buffer,
			"chdb_result_length":        &l.length,
			"chdb_result_elapsed":       &l.elapsed,
			"chdb_result_rows_read":     &l.rowsRead,
			"chdb_result_bytes_read":    &l.bytesRead,
			"chdb_result_error":         &l.errorMsg,
		} {
			if _, err := purego.Dlsym(h, name); err != nil {
				libErr = fmt.Errorf("the engine %q lacks %s (need chDB %s): %w", path, name, LibVersion, err)
				return
			}
			purego.RegisterLibFunc(fn, h, name)
		}
		libVal = l
	})
	if libErr == nil && path != libPath {
		return nil, fmt.Errorf("the embedded ClickHouse engine is already loaded from %q; cannot load %q too", libPath, path)
	}
	return libVal, libErr
}

// sigaction mirrors the kernel's struct sigaction on linux/amd64 and arm64.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// saveSignals records every signal disposition. The engine installs its own
// handlers for SIGSEGV, SIGBUS, SIGFPE and others when it boots; left in
// place they take over the Go runtime's (nil-pointer panics would crash the
// process), so the Go handlers are put back after every boot.
func saveSignals() map[int]sigaction {
	m := make(map[int]sigaction, 64)
	for sig := 1; sig < 65; sig++ {
		if sig == int(syscall.SIGKILL) || sig == int(syscall.SIGSTOP) {
			continue
		}
		var old sigaction
		_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		if e == 0 {
			m[sig] = old
		}
	}
	return m
}

func restoreSignals(m map[int]sigaction) {
	for sig, a := range m {
		a := a
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&a)), 0, 8, 0, 0)
	}
}

func cString(s string) *byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return &b[0]
}

func goString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}
