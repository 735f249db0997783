package chdb

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/logmart/logmart/store"
)

// pipeDir is the folder, under the engine's data path, of the named pipes
// insert blocks stream through.
const pipeDir = "insert_pipes"

// pipeSize is the kernel buffer asked for each pipe: the engine reads a
// block in large pieces, and a bigger buffer means fewer switches between
// the writing goroutine and the reading engine.
const pipeSize = 1 << 20

// fcntlSetPipeSize is F_SETPIPE_SZ, which package syscall does not name.
const fcntlSetPipeSize = 1031

var pipeSeq atomic.Uint64

// insertStream is one block on its way to the engine. Binary data cannot be
// inlined in the statement (the engine ends inline data at an empty line),
// so the statement reads it FROM INFILE a named pipe that a goroutine
// writes the block into. Through a pipe the rows never land in a file: a
// file, even on tmpfs, cost a page allocation and a copy for every 4 KiB,
// and those were a large share of ingest's kernel time.
type insertStream struct {
	path string
	done chan error // the writer's result
	err  error
	shut bool
}

// stream starts writing b into a new named pipe, which the engine reads
// from s.path. The writer opens the pipe write-only, which waits until the
// engine opens it to read: data written before then would be dropped with
// the pipe when the writer closed it. The engine sees the end of the data
// when the writer closes.
func (e *Engine) stream(b *store.Block) (*insertStream, error) {
	path := filepath.Join(e.spool, fmt.Sprintf("insert-%d-%d.native", os.Getpid(), pipeSeq.Add(1)))
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return nil, err
	}
	s := &insertStream{path: path, done: make(chan error, 1)}
	go func() { s.done <- writePipe(path, b) }()
	return s, nil
}

func writePipe(path string, b *store.Block) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			// Best effort: an unprivileged process may be held below 1 MiB.
			syscall.Syscall(syscall.SYS_FCNTL, fd, fcntlSetPipeSize, pipeSize)
		})
	}
	err = b.WriteNative(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// close ends the stream once the engine's statement has returned, and
// returns the writer's error. When the engine did not read to the end (it
// failed before opening the pipe, or stopped early), close holds a read end
// of the pipe open and drains it until the writer is done: a writer that
// has not reached its open yet would otherwise wait in it for ever. Safe to
// call twice.
func (s *insertStream) close() error {
	if s.shut {
		return s.err
	}
	s.shut = true
	select {
	case s.err = <-s.done:
	default:
		s.err = s.drain()
	}
	os.Remove(s.path)
	return s.err
}

// drain reads and drops what the writer writes until it is done, and
// returns its error.
func (s *insertStream) drain() error {
	r, err := os.OpenFile(s.path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return <-s.done // no pipe to open: the writer cannot be waiting on it
	}
	defer r.Close()
	buf := make([]byte, 64<<10)
	for {
		select {
		case err := <-s.done:
			return err
		default:
		}
		// With no writer yet, a read returns at once with nothing; with a
		// writer it waits for data or for the writer to close.
		if n, _ := r.Read(buf); n == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}
