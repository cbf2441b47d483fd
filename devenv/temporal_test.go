package devenv

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap/zaptest"

	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/logging"
)

// temporalCLI locates bin/temporal: $MIF_TEMPORAL_CLI, else <module root>/bin/temporal.
func temporalCLI(t *testing.T) string {
	t.Helper()
	path := os.Getenv("MIF_TEMPORAL_CLI")
	if path == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				t.Fatal("go.mod not found above the test directory; set MIF_TEMPORAL_CLI or run `make tools`")
			}
			dir = parent
		}
		path = filepath.Join(dir, "bin", "temporal")
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		t.Fatalf("temporal CLI not found at %s: run `make tools`", path)
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startTemporal(t *testing.T, ctx context.Context, opts TemporalOptions) *TemporalServer {
	t.Helper()
	start := time.Now()
	srv, err := StartTemporal(ctx, opts)
	if err != nil {
		t.Fatalf("StartTemporal: %v", err)
	}
	t.Logf("temporal dev server ready at %s in %s (pid %d)", srv.Address(), time.Since(start).Round(time.Millisecond), srv.pid)
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Stop(stopCtx); err != nil {
			t.Errorf("cleanup Stop: %v", err)
		}
	})
	return srv
}

func dial(t *testing.T, hostPort, ns string) client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Namespace: ns, Logger: logging.NewTemporalQuiet(zaptest.NewLogger(t).Named("temporal-sdk"))})
	if err != nil {
		t.Fatalf("dial %s: %v", hostPort, err)
	}
	t.Cleanup(c.Close)
	return c
}

func assertSearchAttributes(t *testing.T, c client.Client, ns string, want map[string]enumspb.IndexedValueType) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		t.Fatalf("ListSearchAttributes: %v", err)
	}
	for name, typ := range want {
		got, ok := resp.GetCustomAttributes()[name]
		if !ok {
			t.Errorf("search attribute %s missing; custom attributes: %v", name, resp.GetCustomAttributes())
		} else if got != typ {
			t.Errorf("search attribute %s: type %s, want %s", name, got, typ)
		}
	}
}

// assertStopped checks that the child is reaped and gone and its port released.
func assertStopped(t *testing.T, srv *TemporalServer) {
	t.Helper()
	select {
	case <-srv.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("Done not closed 30s after stop (pid %d)", srv.pid)
	}
	if err := syscall.Kill(srv.pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists after stop (kill -0: %v)", srv.pid, err)
	}
	if err := syscall.Kill(-srv.pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still has members after stop (kill -0: %v)", srv.pid, err)
	}
	if err := checkPortFree(srv.opts.Host, srv.opts.Port, "frontend"); err != nil {
		t.Errorf("after stop: %v", err)
	}
}

func TestTemporalPersistentRestart(t *testing.T) {
	t.Parallel()
	bin := temporalCLI(t)
	dir := t.TempDir()
	const ns = "mif-test"
	opts := TemporalOptions{
		BinPath:   bin,
		DBFile:    filepath.Join(dir, "data", "temporal.db"), // dir does not exist yet
		Port:      freePort(t),
		UIPort:    freePort(t),
		Namespace: ns,
		SearchAttributes: map[string]string{
			"MifStatut":   "Keyword",
			"MifPriorite": "int", // case-insensitive
		},
		LogFile: filepath.Join(dir, "logs", "temporal.log"),
		Logger:  zaptest.NewLogger(t),
	}
	want := map[string]enumspb.IndexedValueType{
		"MifStatut":   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"MifPriorite": enumspb.INDEXED_VALUE_TYPE_INT,
	}
	const wfID = "devenv-persist-check"

	// First run: fresh SQLite file.
	srv := startTemporal(t, context.Background(), opts)
	if got, want := srv.Address(), "127.0.0.1:"+strconv.Itoa(opts.Port); got != want {
		t.Errorf("Address() = %q, want %q", got, want)
	}
	if got, want := srv.UIURL(), "http://127.0.0.1:"+strconv.Itoa(opts.UIPort); got != want {
		t.Errorf("UIURL() = %q, want %q", got, want)
	}
	c := dial(t, srv.Address(), ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns}); err != nil {
		t.Fatalf("DescribeNamespace(%s): %v", ns, err)
	}
	assertSearchAttributes(t, c, ns, want)
	if resp, err := http.Get(srv.UIURL()); err != nil {
		t.Errorf("web UI: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("web UI: status %s", resp.Status)
		}
	}
	// Some data to find again after the restart: a workflow nobody executes.
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfID, TaskQueue: "devenv-nobody"}, "Noop"); err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	c.Close()

	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	assertStopped(t, srv)
	if err := srv.Err(); err != nil {
		t.Errorf("Err() after Stop = %v, want nil", err)
	}
	if err := srv.Stop(ctx); err != nil { // idempotent
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(opts.DBFile); err != nil {
		t.Fatalf("DB file: %v", err)
	}
	if b, err := os.ReadFile(opts.LogFile); err != nil || !strings.Contains(string(b), "mif devenv") {
		t.Errorf("log file: err=%v content=%q", err, b)
	}

	// Second run on the same file, same attributes plus a new one (which the
	// CLI flag alone would not register on an existing namespace).
	opts.SearchAttributes["MifEcheance"] = "Datetime"
	want["MifEcheance"] = enumspb.INDEXED_VALUE_TYPE_DATETIME
	srv2 := startTemporal(t, context.Background(), opts)
	c2 := dial(t, srv2.Address(), ns)
	assertSearchAttributes(t, c2, ns, want)
	desc, err := c2.DescribeWorkflow(ctx, wfID, "")
	if err != nil {
		t.Fatalf("workflow started before the restart is gone: %v", err)
	}
	if st := desc.RawResponse.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Errorf("workflow status after restart = %s, want Running", st)
	}
	if err := srv2.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	assertStopped(t, srv2)

	// Third run: an attribute re-declared with another type is reported.
	opts.SearchAttributes["MifStatut"] = "Text"
	if srv3, err := StartTemporal(context.Background(), opts); err == nil {
		_ = srv3.Stop(ctx)
		t.Fatal("StartTemporal with a conflicting search attribute type succeeded")
	} else if !strings.Contains(err.Error(), "MifStatut") {
		t.Errorf("conflicting type error does not name the attribute: %v", err)
	} else {
		t.Logf("conflicting type reported as: %v", err)
	}
	if err := checkPortFree("127.0.0.1", opts.Port, "frontend"); err != nil {
		t.Errorf("child left behind after failed start: %v", err)
	}
}

func TestTemporalUnexpectedExitAndContextCancel(t *testing.T) {
	t.Parallel()
	bin := temporalCLI(t)
	opts := TemporalOptions{
		BinPath: bin,
		Port:    freePort(t),
		UIPort:  -1, // headless
		Logger:  zaptest.NewLogger(t),
	}

	// The child dying on its own is reported through Done/Err.
	srv := startTemporal(t, context.Background(), opts)
	if srv.UIURL() != "" {
		t.Errorf("UIURL() = %q with the UI disabled", srv.UIURL())
	}
	if err := srv.Err(); err != nil {
		t.Errorf("Err() while running = %v", err)
	}
	if err := syscall.Kill(srv.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("Done not closed after the child was killed")
	}
	if err := srv.Err(); err == nil || !strings.Contains(err.Error(), "exited unexpectedly") {
		t.Errorf("Err() after crash = %v, want an unexpected-exit error", err)
	}
	assertStopped(t, srv)

	// Cancelling the StartTemporal context stops the server.
	opts.Port = freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv2 := startTemporal(t, ctx, opts)
	cancel()
	assertStopped(t, srv2)
	if err := srv2.Err(); err != nil {
		t.Errorf("Err() after context cancellation = %v, want nil", err)
	}
}

func TestTemporalStartErrors(t *testing.T) {
	t.Parallel()
	bin := temporalCLI(t)

	_, err := StartTemporal(context.Background(), TemporalOptions{BinPath: filepath.Join(t.TempDir(), "nope")})
	if err == nil || !strings.Contains(err.Error(), "run `make tools`") {
		t.Errorf("missing binary: err = %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	_, err = StartTemporal(context.Background(), TemporalOptions{BinPath: bin, Port: busy, UIPort: -1})
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(busy)) || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("busy frontend port %d: err = %v", busy, err)
	}
	_, err = StartTemporal(context.Background(), TemporalOptions{BinPath: bin, Port: freePort(t), UIPort: busy})
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(busy)) {
		t.Errorf("busy UI port %d: err = %v", busy, err)
	}

	_, err = StartTemporal(context.Background(), TemporalOptions{
		BinPath: bin, Port: freePort(t), UIPort: -1,
		SearchAttributes: map[string]string{"MifX": "Varchar"},
	})
	if err == nil || !strings.Contains(err.Error(), "Varchar") {
		t.Errorf("bad search attribute type: err = %v", err)
	}
}

func TestTemporalArgs(t *testing.T) {
	t.Parallel()
	opts, _, err := normalizeTemporalOptions(TemporalOptions{
		DBFile:           ".data/temporal.db",
		Namespace:        "mif",
		SearchAttributes: map[string]string{"B": "keyword", "A": "KeywordList"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(temporalArgs(opts), " ")
	want := "server start-dev --ip 127.0.0.1 --port 7233 --log-level warn --dynamic-config-value system.enableEagerWorkflowStart=true --namespace mif" +
		" --db-filename .data/temporal.db --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal --ui-port 8233" +
		" --search-attribute A=KeywordList --search-attribute B=Keyword"
	if got != want {
		t.Errorf("args:\n got %s\nwant %s", got, want)
	}
	if opts.BinPath != DefaultTemporalBinPath {
		t.Errorf("BinPath default = %q", opts.BinPath)
	}
}

// TestEveryTestIsParallel: the package's tests run in parallel (each has its own database, or
// none); a test that cannot says why in its doc comment.
// The Go runtime's collector settings tune mif's process; the dev server keeps its defaults.
func TestTemporalEnvLeavesTheCollectorSettingsOut(t *testing.T) {
	t.Parallel()
	got := temporalEnv([]string{"HOME=/root", "GOGC=400", "PATH=/bin", "GOMEMLIMIT=100MiB", "GOGCX=1"})
	want := []string{"HOME=/root", "PATH=/bin", "GOGCX=1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("env %v, want %v", got, want)
	}
}

func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
