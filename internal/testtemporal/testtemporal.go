// Package testtemporal starts a throw-away Temporal dev server for
// end-to-end tests, using the CLI built by `make tools` (bin/temporal).
// It never downloads anything.
package testtemporal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// EnvCLI overrides the path of the Temporal CLI (default: <module root>/bin/temporal).
const EnvCLI = "MIF_TEMPORAL_CLI"

const (
	startTimeout = 2 * time.Minute
	stopTimeout  = 30 * time.Second
	outputTail   = 32 << 10
)

// Start launches an in-memory Temporal dev server (namespace "default", UI
// disabled) on a free port with the given custom search attributes
// (name -> Text, Keyword, Int, Double, Bool, Datetime or KeywordList) and
// returns its frontend host:port. The server is stopped when the test and its
// subtests finish (t.Cleanup; cleanups registered later, e.g. stopping
// workers, run first). It calls t.Fatal if the CLI is missing ("run `make
// tools`") or the server does not come up.
func Start(t testing.TB, searchAttributes map[string]string) (hostPort string) {
	t.Helper()
	bin := cliPath(t)

	names := make([]string, 0, len(searchAttributes))
	for name := range searchAttributes {
		names = append(names, name)
	}
	sort.Strings(names)
	var extraArgs []string
	for _, name := range names {
		typ, ok := shorthandType(searchAttributes[name])
		if !ok || name == "" || strings.ContainsAny(name, "= \t\n") {
			t.Fatalf("testtemporal: invalid search attribute %q=%q (types: Text, Keyword, Int, Double, Bool, Datetime, KeywordList)",
				name, searchAttributes[name])
		}
		extraArgs = append(extraArgs, "--search-attribute", name+"="+typ)
	}

	port, err := freePort()
	if err != nil {
		t.Fatalf("testtemporal: %v", err)
	}
	hostPort = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	out := &tailBuffer{max: outputTail}

	ctx, cancelTimeout := context.WithTimeout(context.Background(), startTimeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// StartDevServer retries dialing for a long time even if the child has
	// already died (bad flag, port race...): watch the child and give up as
	// soon as it is gone.
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			if len(childrenOnPort(bin, port)) == 0 {
				cancel(errors.New("the temporal process exited"))
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: bin, // never download
		ClientOptions: &client.Options{
			HostPort:  hostPort,
			Namespace: "default",
			Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		},
		LogLevel:  "warn",
		ExtraArgs: extraArgs,
		Stdout:    out,
		Stderr:    out,
	})
	if err != nil {
		// StartDevServer does not stop the process it started when the
		// server never becomes ready.
		killChildren(bin, port, true)
		if cause := context.Cause(ctx); cause != nil {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
		t.Fatalf("testtemporal: starting the Temporal dev server (%s) on %s: %v\n--- temporal output ---\n%s",
			bin, hostPort, err, out.String())
	}

	t.Cleanup(func() {
		srv.Client().Close()
		errc := make(chan error, 1)
		go func() { errc <- srv.Stop() }() // SIGINT, then wait
		select {
		case err := <-errc:
			if err != nil {
				t.Logf("testtemporal: stopping the dev server on %s: %v", hostPort, err)
			}
		case <-time.After(stopTimeout):
			killChildren(bin, port, false) // srv.Stop reaps it
			<-errc
			t.Errorf("testtemporal: the dev server on %s did not stop within %s; killed", hostPort, stopTimeout)
		}
		if t.Failed() {
			t.Logf("testtemporal: dev server output (tail):\n%s", out.String())
		}
	})
	return hostPort
}

// cliPath returns $MIF_TEMPORAL_CLI or <module root>/bin/temporal, failing the
// test if it is missing.
func cliPath(t testing.TB) string {
	t.Helper()
	path := os.Getenv(EnvCLI)
	if path == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatalf("testtemporal: %v; set %s or run `make tools`", err, EnvCLI)
		}
		path = filepath.Join(root, "bin", "temporal")
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("testtemporal: temporal CLI not found at %s: run `make tools`", path)
	}
	return path
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func shorthandType(s string) (string, bool) {
	for name, v := range enumspb.IndexedValueType_shorthandValue {
		if v != 0 && strings.EqualFold(name, s) {
			return name, true
		}
	}
	return "", false
}

// freePort returns a port the OS just handed out, left in TIME_WAIT so that
// it is not handed out again right away (same trick as the SDK/CLI).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	r, err := net.DialTCP("tcp", nil, l.Addr().(*net.TCPAddr))
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer r.Close()
	c, err := l.Accept()
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	_ = c.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childrenOnPort lists our direct child processes running bin with --port
// port (Linux /proc; nil elsewhere).
func childrenOnPort(bin string, port int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	portArg := []byte("\x00--port\x00" + strconv.Itoa(port) + "\x00")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may contain spaces/parens.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 || fields[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid != self {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if bytes.Contains(cmdline, []byte(bin+"\x00")) && bytes.Contains(append([]byte{0}, cmdline...), portArg) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func killChildren(bin string, port int, reap bool) {
	for _, pid := range childrenOnPort(bin, port) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		if reap {
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &ws, 0, nil)
		}
	}
}

// tailBuffer is a goroutine-safe writer keeping the last max bytes.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
