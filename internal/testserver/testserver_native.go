//go:build !js

package testserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a dedicated server started by Start.
type Options struct {
	// LongPollMS is the server's long-poll timeout in milliseconds.
	// Zero means SharedLongPollMS.
	LongPollMS int
	// DataDir makes the server keep its streams in files under this
	// directory (so they survive a restart). Empty means in memory.
	DataDir string
}

// startTimeout bounds how long a server may take to print its URL.
const startTimeout = 30 * time.Second

var shared struct {
	once sync.Once
	srv  *server
	err  error
}

func sharedURL(tb testing.TB) string {
	tb.Helper()
	shared.once.Do(func() {
		shared.srv, shared.err = start(Options{LongPollMS: SharedLongPollMS})
	})
	if shared.err != nil {
		tb.Fatalf("testserver: %v", shared.err)
	}
	return shared.srv.url
}

func stopShared() {
	if shared.srv != nil {
		shared.srv.stop()
	}
}

// Start starts a server of its own for this test, with its own options, and
// stops it when the test ends. It returns the base URL. Most tests want URL
// or StreamURL instead, which share one server.
func Start(tb testing.TB, opts Options) string {
	tb.Helper()
	s, err := start(opts)
	if err != nil {
		tb.Fatalf("testserver: %v", err)
	}
	tb.Cleanup(s.stop)
	return s.url
}

type server struct {
	url    string
	cmd    *exec.Cmd
	stdin  io.Closer
	exited chan struct{}
	stderr *tailBuffer

	stopOnce sync.Once
}

func start(opts Options) (*server, error) {
	root, err := projectRoot()
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH (%v): install Node.js 20 or later, then run `npm ci` in %s", err, root)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "@durable-streams", "server", "package.json")); err != nil {
		return nil, fmt.Errorf("the reference server is not installed (%s/node_modules/@durable-streams/server is missing): run `npm ci` in %s", root, root)
	}

	longPoll := opts.LongPollMS
	if longPoll == 0 {
		longPoll = SharedLongPollMS
	}
	args := []string{filepath.Join(root, "internal", "testserver", "server.mjs"),
		"--long-poll-ms", strconv.Itoa(longPoll), "--stop-with-stdin"}
	if opts.DataDir != "" {
		args = append(args, "--data-dir", opts.DataDir)
	}

	cmd := exec.Command(node, args...)
	cmd.Dir = root
	stdout := &urlWatcher{found: make(chan string, 1), tail: &tailBuffer{max: 16 << 10}}
	stderr := &tailBuffer{max: 16 << 10}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	// The launcher stops when its stdin closes: we keep the write end open
	// for as long as the server should live. If this process dies, the
	// kernel closes it and the server goes away too.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start reference server: %v", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start reference server: %s %s: %v", node, strings.Join(args, " "), err)
	}
	s := &server{cmd: cmd, stdin: stdin, exited: make(chan struct{}), stderr: stderr}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(s.exited)
	}()

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case s.url = <-stdout.found:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("reference server exited before printing DS_URL (%v)\nstdout:\n%s\nstderr:\n%s",
			waitErr, stdout.tail, stderr)
	case <-timer.C:
		s.stop()
		return nil, fmt.Errorf("reference server printed no DS_URL line within %v\nstdout:\n%s\nstderr:\n%s",
			startTimeout, stdout.tail, stderr)
	}
}

// stop closes the server's stdin (the launcher then shuts down cleanly) and
// kills it if it has not exited after a few seconds.
func (s *server) stop() {
	s.stopOnce.Do(func() {
		_ = s.stdin.Close()
		select {
		case <-s.exited:
			return
		case <-time.After(5 * time.Second):
		}
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
}

// projectRoot walks up from the working directory to the folder that holds
// go.mod.
func projectRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found in " + wd + " or any folder above it")
		}
		dir = parent
	}
}

// urlWatcher receives the launcher's stdout and reports the first
// DS_URL=<url> line.
type urlWatcher struct {
	mu    sync.Mutex
	line  []byte
	done  bool
	found chan string
	tail  *tailBuffer
}

func (w *urlWatcher) Write(p []byte) (int, error) {
	w.tail.Write(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	for _, c := range p {
		if c != '\n' {
			if len(w.line) < 4096 {
				w.line = append(w.line, c)
			}
			continue
		}
		line := strings.TrimSpace(string(w.line))
		w.line = w.line[:0]
		if u, ok := strings.CutPrefix(line, "DS_URL="); ok {
			w.done = true
			w.found <- strings.TrimRight(u, "/")
			break
		}
	}
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
