// Package devenv supervises the local development dependencies of mif
// (currently the Temporal dev server, run as a child process of the
// Temporal CLI).
package devenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/logging"
)

// Defaults applied by StartTemporal to zero-valued TemporalOptions fields.
const (
	DefaultTemporalBinPath   = "bin/temporal"
	DefaultTemporalHost      = "127.0.0.1"
	DefaultTemporalPort      = 7233
	DefaultTemporalNamespace = "default"
)

const (
	// temporalStartTimeout bounds how long StartTemporal waits for the
	// frontend to answer health checks.
	temporalStartTimeout = 60 * time.Second
	// temporalStopGrace is the SIGTERM→SIGKILL grace period used when Stop is
	// given a context without deadline, and when the StartTemporal context is
	// cancelled.
	temporalStopGrace = 15 * time.Second
	// logTailBytes is how much of the child's output is kept in memory to
	// explain failures.
	logTailBytes = 16 << 10
)

// TemporalOptions configures the Temporal dev server child process.
type TemporalOptions struct {
	// BinPath is the Temporal CLI executable. "" = DefaultTemporalBinPath
	// (relative to the working directory, i.e. the repo root under make).
	BinPath string
	// DBFile is the SQLite file persisting the server state (e.g.
	// .data/temporal.db); its directory is created if needed. "" = in-memory.
	DBFile string
	// Host is the IP the frontend (and UI) bind to. "" = 127.0.0.1.
	Host string
	// Port is the frontend gRPC port. 0 = 7233.
	Port int
	// UIPort is the Web UI port. 0 = Port+1000 (8233 by default); a negative
	// value disables the UI (--headless).
	UIPort int
	// Namespace is created at launch (the "default" namespace always exists).
	// "" = "default".
	Namespace string
	// SearchAttributes maps custom search attribute names to their type:
	// Text, Keyword, Int, Double, Bool, Datetime or KeywordList
	// (case-insensitive). They are guaranteed to exist in Namespace once
	// StartTemporal returns, including when DBFile already exists.
	SearchAttributes map[string]string
	// LogFile receives the child's stdout and stderr (appended, parent dir
	// created). "" = discarded (the last few KB are still kept in memory to
	// explain failures).
	LogFile string
	// Logger logs the supervisor's own events. nil = no logging.
	Logger *zap.Logger
}

// TemporalServer is a running Temporal dev server child process.
type TemporalServer struct {
	opts    TemporalOptions
	cmd     *exec.Cmd
	pid     int
	logFile *os.File
	tail    *tailBuffer
	log     *zap.Logger

	stopRequested atomic.Bool
	done          chan struct{}
	exitErr       error // written before done is closed
}

// StartTemporal launches `temporal server start-dev` in its own process group
// and returns once the frontend answers health checks and the configured
// search attributes are registered. The server is stopped when ctx is
// cancelled or Stop is called; use Done/Err to learn about unexpected exits.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*TemporalServer, error) {
	opts, saTypes, err := normalizeTemporalOptions(opts)
	if err != nil {
		return nil, err
	}
	log := opts.Logger

	if err := checkExecutable(opts.BinPath); err != nil {
		return nil, err
	}
	if err := checkPortFree(opts.Host, opts.Port, "frontend"); err != nil {
		return nil, err
	}
	if opts.UIPort > 0 {
		if err := checkPortFree(opts.Host, opts.UIPort, "web UI"); err != nil {
			return nil, err
		}
	}
	if opts.DBFile != "" {
		if err := os.MkdirAll(filepath.Dir(opts.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("temporal: creating directory for DB file %s: %w", opts.DBFile, err)
		}
	}

	args := temporalArgs(opts)
	s := &TemporalServer{
		opts: opts,
		tail: newTailBuffer(logTailBytes),
		log:  log,
		done: make(chan struct{}),
	}
	var out io.Writer = s.tail
	if opts.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(opts.LogFile), 0o755); err != nil {
			return nil, fmt.Errorf("temporal: creating directory for log file %s: %w", opts.LogFile, err)
		}
		f, err := os.OpenFile(opts.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("temporal: opening log file: %w", err)
		}
		fmt.Fprintf(f, "\n=== %s mif devenv: %s %s\n", time.Now().Format(time.RFC3339), opts.BinPath, strings.Join(args, " "))
		s.logFile = f
		out = &teeWriter{a: f, b: s.tail}
	}

	cmd := exec.Command(opts.BinPath, args...)
	cmd.Env = temporalEnv(os.Environ())
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group so that Stop can signal everything the CLI may
		// spawn, and so that a Ctrl-C in the terminal reaches us (and we stop
		// the child in order) rather than racing with the child.
		Setpgid: true,
		// If this process dies without running Stop (SIGKILL, crash), the
		// kernel terminates the child instead of leaving it orphaned. (Linux
		// ties this to the spawning OS thread, which the Go runtime only
		// retires when a goroutine exits while locked to it.)
		Pdeathsig: syscall.SIGTERM,
	}
	// Don't wait forever on the output pipes if something keeps them open.
	cmd.WaitDelay = 5 * time.Second
	s.cmd = cmd

	log.Info("starting temporal dev server",
		zap.String("bin", opts.BinPath), zap.Strings("args", args))
	if err := cmd.Start(); err != nil {
		s.closeLog()
		return nil, fmt.Errorf("temporal: starting %s: %w", opts.BinPath, err)
	}
	s.pid = cmd.Process.Pid
	go s.wait()

	if err := s.waitReady(ctx, saTypes); err != nil {
		// Never leave the child behind on a failed start.
		stopCtx, cancel := context.WithTimeout(context.Background(), temporalStopGrace)
		defer cancel()
		if stopErr := s.Stop(stopCtx); stopErr != nil {
			log.Warn("stopping temporal dev server after failed start", zap.Error(stopErr))
		}
		return nil, err
	}

	go func() {
		select {
		case <-ctx.Done():
			stopCtx, cancel := context.WithTimeout(context.Background(), temporalStopGrace)
			defer cancel()
			if err := s.Stop(stopCtx); err != nil {
				log.Warn("stopping temporal dev server", zap.Error(err))
			}
		case <-s.done:
		}
	}()

	log.Info("temporal dev server ready",
		zap.String("address", s.Address()), zap.String("ui", s.UIURL()),
		zap.String("namespace", opts.Namespace), zap.String("db", opts.DBFile),
		zap.Int("pid", s.pid))
	return s, nil
}

// Address is the frontend host:port to give to client.Options.HostPort.
func (s *TemporalServer) Address() string {
	return net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
}

// UIURL is the Web UI base URL, or "" when the UI is disabled.
func (s *TemporalServer) UIURL() string {
	if s.opts.UIPort <= 0 {
		return ""
	}
	return "http://" + net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.UIPort))
}

// Done is closed once the child process has exited (for any reason).
func (s *TemporalServer) Done() <-chan struct{} { return s.done }

// Err is nil while the server runs and after a requested stop (Stop or
// cancellation of the StartTemporal context). After an unexpected exit it
// describes the exit status and ends with the tail of the child's output.
func (s *TemporalServer) Err() error {
	select {
	case <-s.done:
		return s.exitErr
	default:
		return nil
	}
}

// Stop sends SIGTERM to the child's process group and waits for it to exit.
// If ctx ends first (or, when ctx has no deadline, after 15s) the group is
// SIGKILLed. Stop always waits for the child to be reaped; it is safe to call
// several times and concurrently.
func (s *TemporalServer) Stop(ctx context.Context) error {
	s.stopRequested.Store(true)
	select {
	case <-s.done:
		return nil
	default:
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, temporalStopGrace)
		defer cancel()
	}
	s.log.Info("stopping temporal dev server", zap.Int("pid", s.pid))
	_ = syscall.Kill(-s.pid, syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
	}
	s.log.Warn("temporal dev server did not stop in time, killing it", zap.Int("pid", s.pid))
	_ = syscall.Kill(-s.pid, syscall.SIGKILL)
	<-s.done
	return fmt.Errorf("temporal dev server (pid %d) did not exit after SIGTERM (%v); killed", s.pid, ctx.Err())
}

// wait reaps the child and records why it exited.
func (s *TemporalServer) wait() {
	waitErr := s.cmd.Wait()
	// The group leader is gone; make sure nothing else of the group survives.
	_ = syscall.Kill(-s.pid, syscall.SIGKILL)
	s.closeLog()
	if !s.stopRequested.Load() {
		status := "exit status 0"
		if waitErr != nil {
			status = waitErr.Error()
		}
		s.exitErr = fmt.Errorf("temporal dev server (pid %d) exited unexpectedly: %s%s", s.pid, status, s.tailForError())
		s.log.Error("temporal dev server exited unexpectedly", zap.Error(s.exitErr))
	} else {
		s.log.Info("temporal dev server stopped", zap.Int("pid", s.pid))
	}
	close(s.done)
}

func (s *TemporalServer) closeLog() {
	if s.logFile != nil {
		_ = s.logFile.Close()
	}
}

func (s *TemporalServer) tailForError() string {
	t := strings.TrimSpace(s.tail.String())
	if t == "" {
		return ""
	}
	return "\n--- temporal output (tail) ---\n" + t
}

// waitReady polls the frontend until it is healthy, then makes sure the
// search attributes exist. It fails early if the child exits.
func (s *TemporalServer) waitReady(ctx context.Context, saTypes map[string]enumspb.IndexedValueType) error {
	ctx, cancel := context.WithTimeout(ctx, temporalStartTimeout)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()

	failure := func(lastErr error) error {
		select {
		case <-s.done:
			// wait() sets exitErr (with the output tail) before closing done.
			if s.exitErr != nil {
				return fmt.Errorf("temporal dev server failed to start: %w", s.exitErr)
			}
			return fmt.Errorf("temporal dev server exited during startup%s", s.tailForError())
		default:
		}
		if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			return fmt.Errorf("temporal dev server at %s not healthy in time (last error: %v)%s",
				s.Address(), lastErr, s.tailForError())
		}
		return fmt.Errorf("waiting for temporal dev server at %s: %w (last error: %v)", s.Address(), ctx.Err(), lastErr)
	}

	var (
		c       client.Client
		lastErr error
	)
	for c == nil {
		attemptCtx, attemptCancel := context.WithTimeout(ctx, 3*time.Second)
		cl, err := client.DialContext(attemptCtx, client.Options{
			HostPort:  s.Address(),
			Namespace: s.opts.Namespace,
			Logger:    logging.NewTemporalQuiet(s.log.Named("temporal-sdk")), // chatty while the server boots
		})
		if err == nil {
			if _, err = cl.CheckHealth(attemptCtx, &client.CheckHealthRequest{}); err == nil {
				_, err = cl.WorkflowService().DescribeNamespace(attemptCtx,
					&workflowservice.DescribeNamespaceRequest{Namespace: s.opts.Namespace})
			}
			if err != nil {
				cl.Close()
			} else {
				c = cl
			}
		}
		attemptCancel()
		if err != nil {
			lastErr = err
			select {
			case <-ctx.Done():
				return failure(lastErr)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	defer c.Close()

	if err := ensureSearchAttributes(ctx, c, s.opts.Namespace, saTypes); err != nil {
		if ctx.Err() != nil {
			return failure(err)
		}
		return err
	}
	return nil
}

// ensureSearchAttributes registers the missing custom search attributes of
// ns. The CLI's --search-attribute flag only applies when the namespace is
// created, i.e. not on an existing SQLite file, hence this second pass.
func ensureSearchAttributes(ctx context.Context, c client.Client, ns string, want map[string]enumspb.IndexedValueType) error {
	if len(want) == 0 {
		return nil
	}
	resp, err := c.OperatorService().ListSearchAttributes(ctx,
		&operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return fmt.Errorf("temporal: listing search attributes of namespace %q: %w", ns, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		have, ok := resp.GetCustomAttributes()[name]
		if !ok {
			if sys, isSys := resp.GetSystemAttributes()[name]; isSys {
				return fmt.Errorf("temporal: search attribute %q is a system attribute (%s)", name, sys)
			}
			missing[name] = typ
			continue
		}
		if have != typ {
			return fmt.Errorf("temporal: search attribute %q already registered in namespace %q as %s, want %s (remove the DB file to reset)",
				name, ns, have, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        ns,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("temporal: adding search attributes %v to namespace %q: %w", sortedKeys(missing), ns, err)
	}
	return nil
}

func normalizeTemporalOptions(opts TemporalOptions) (TemporalOptions, map[string]enumspb.IndexedValueType, error) {
	if opts.BinPath == "" {
		opts.BinPath = DefaultTemporalBinPath
	}
	if opts.Host == "" {
		opts.Host = DefaultTemporalHost
	}
	if opts.Port == 0 {
		opts.Port = DefaultTemporalPort
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return opts, nil, fmt.Errorf("temporal: invalid port %d", opts.Port)
	}
	if opts.UIPort == 0 {
		opts.UIPort = min(opts.Port+1000, 65535)
	}
	if opts.UIPort > 65535 {
		return opts, nil, fmt.Errorf("temporal: invalid UI port %d", opts.UIPort)
	}
	if opts.UIPort == opts.Port {
		return opts, nil, fmt.Errorf("temporal: UI port and frontend port are both %d", opts.Port)
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultTemporalNamespace
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	saTypes := make(map[string]enumspb.IndexedValueType, len(opts.SearchAttributes))
	for name, typ := range opts.SearchAttributes {
		if name == "" || strings.ContainsAny(name, "= \t\n") {
			return opts, nil, fmt.Errorf("temporal: invalid search attribute name %q", name)
		}
		t, ok := parseIndexedValueType(typ)
		if !ok {
			return opts, nil, fmt.Errorf("temporal: search attribute %q: unknown type %q (want Text, Keyword, Int, Double, Bool, Datetime or KeywordList)", name, typ)
		}
		saTypes[name] = t
	}
	return opts, saTypes, nil
}

func parseIndexedValueType(s string) (enumspb.IndexedValueType, bool) {
	for name, v := range enumspb.IndexedValueType_shorthandValue {
		if v != 0 && strings.EqualFold(name, s) {
			return enumspb.IndexedValueType(v), true
		}
	}
	return 0, false
}

// temporalEnv is the dev server's environment: ours without the Go runtime's collector settings
// (GOGC, GOMEMLIMIT), which tune mif's process. The dev server keeps its defaults: under a stream
// of creates a GOGC of 400 given to it cost a fifth of the creates per second (README, Load testing).
func temporalEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			out = append(out, kv)
		}
	}
	return out
}

// temporalArgs builds the `temporal server start-dev` command line.
func temporalArgs(opts TemporalOptions) []string {
	args := []string{
		"server", "start-dev",
		"--ip", opts.Host,
		"--port", strconv.Itoa(opts.Port),
		"--log-level", "warn",
		// Eager starts (orchestration.Interventions.Start): the start's answer carries the
		// workflow's first task to the worker of the process that started it, which saves the
		// server a task-queue round and a transaction per create.
		"--dynamic-config-value", "system.enableEagerWorkflowStart=true",
	}
	if opts.Namespace != DefaultTemporalNamespace { // "default" is always created
		args = append(args, "--namespace", opts.Namespace)
	}
	if opts.DBFile != "" {
		// Write-ahead log with a sync at checkpoints rather than a rollback journal with a full
		// fsync per commit: every workflow start, task and update is a commit, and the default
		// capped creates at a few per second on this kind of machine (README, Load testing). A
		// killed server loses nothing committed; only an OS crash or power loss can lose the
		// last transactions, acceptable for the dev server (production runs a Temporal cluster).
		args = append(args, "--db-filename", opts.DBFile,
			"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal")
	}
	if opts.UIPort > 0 {
		args = append(args, "--ui-port", strconv.Itoa(opts.UIPort))
	} else {
		args = append(args, "--headless")
	}
	for _, name := range sortedKeys(opts.SearchAttributes) {
		t, _ := parseIndexedValueType(opts.SearchAttributes[name])
		args = append(args, "--search-attribute", name+"="+shorthand(t))
	}
	return args
}

func shorthand(t enumspb.IndexedValueType) string {
	for name, v := range enumspb.IndexedValueType_shorthandValue {
		if enumspb.IndexedValueType(v) == t {
			return name
		}
	}
	return t.String()
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("temporal CLI not found at %s: run `make tools`", path)
	}
	return nil
}

func checkPortFree(host string, port int, what string) error {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("temporal: %s port %d on %s is already in use (another Temporal dev server still running?): %w",
			what, port, host, err)
	}
	return l.Close()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// teeWriter writes to a (best effort, e.g. a full disk must not kill the
// child through a broken pipe) and b.
type teeWriter struct{ a, b io.Writer }

func (w *teeWriter) Write(p []byte) (int, error) {
	_, _ = w.a.Write(p)
	return w.b.Write(p)
}
