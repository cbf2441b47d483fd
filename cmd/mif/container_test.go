package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/devenv"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/workflows"
)

func TestInitSecretsCreatesWhatIsMissingOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	var out bytes.Buffer
	if err := runInitSecrets([]string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	pw := read(secretAdminPassword)
	if !strings.Contains(out.String(), pw) {
		t.Fatalf("the password is not shown:\n%s", out.String())
	}
	if err := authn.ValidatePassword(pw, "admin@mif.ma"); err != nil {
		t.Fatalf("generated password refused by the policy: %v", err)
	}
	// The files are what the platform reads through the _FILE variables.
	if _, err := authn.NewTokens(config.JWT{Algorithm: "RS256", PrivateKeyFile: filepath.Join(dir, secretJWTKey), AccessTTL: time.Minute}, ""); err != nil {
		t.Fatalf("jwt.pem: %v", err)
	}
	if _, err := documents.ParseKeys([]string{read(secretFernetKeys)}); err != nil {
		t.Fatalf("fernet: %v", err)
	}
	for _, name := range []string{secretJWTKey, secretFernetKeys, secretAdminPassword} {
		if st, _ := os.Stat(filepath.Join(dir, name)); st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s readable by others: %v", name, st.Mode())
		}
	}
	// A second run keeps everything and shows no password.
	key := read(secretJWTKey)
	out.Reset()
	if err := runInitSecrets([]string{dir}, &out); err != nil {
		t.Fatal(err)
	}
	if read(secretAdminPassword) != pw || read(secretJWTKey) != key || out.Len() != 0 {
		t.Fatalf("second run changed something or spoke: %q", out.String())
	}
}

func TestHealthcheckCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/health/ready" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	lookup := func(k string) (string, bool) {
		if k == "MIF_HTTP_ADDR" {
			return ":" + port, true
		}
		return "", false
	}
	if err := runHealthcheck(context.Background(), []string{"/api/v1/health"}, lookup, io.Discard); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	if err := runHealthcheck(context.Background(), nil, lookup, io.Discard); err == nil {
		t.Fatal("a 503 readiness passed the health check")
	}
}

// `mif worker` started before Temporal is up waits for it (MIF_STARTUP_TIMEOUT), then serves its
// health and metrics on MIF_HTTP_ADDR, as the compose healthcheck and Prometheus expect.
func TestWorkerWaitsForTemporalThenServesHealthAndMetrics(t *testing.T) {
	httpAddr, _ := freeAddr(t)
	_, temporalPort := freeAddr(t)
	t.Setenv("DATABASE_URL", testdb.NewURL(t))
	t.Setenv("TEMPORAL_ADDRESS", fmt.Sprintf("127.0.0.1:%d", temporalPort))
	t.Setenv("MIF_HTTP_ADDR", httpAddr)
	t.Setenv("MIF_JWT_ALGORITHM", "HS256")
	t.Setenv("MIF_JWT_SECRET", strings.Repeat("k", 32))
	key, err := documents.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FERNET_KEYS", key)
	t.Setenv("MIF_DOCUMENTS_DIR", t.TempDir())
	t.Setenv("MIF_SCHEDULES_ENABLED", "false")
	t.Setenv("MIF_STARTUP_TIMEOUT", "2m")
	t.Setenv("MIF_LOG_LEVEL", "error")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"worker"}, io.Discard) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("worker did not stop within 30s")
		}
	}()

	// Temporal comes up after the worker: the worker must still be waiting, not gone.
	time.Sleep(time.Second)
	select {
	case err := <-done:
		t.Fatalf("the worker gave up before Temporal started: %v", err)
	default:
	}
	srv, err := devenv.StartTemporal(context.Background(), devenv.TemporalOptions{
		BinPath: temporalCLI(t), Port: temporalPort, UIPort: -1, SearchAttributes: workflows.SearchAttributeTypes(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 20*time.Second)
		defer stop()
		_ = srv.Stop(stopCtx)
	}()

	lookup := func(k string) (string, bool) { return os.LookupEnv(k) }
	deadline := time.Now().Add(90 * time.Second)
	for runHealthcheck(context.Background(), nil, lookup, io.Discard) != nil {
		select {
		case err := <-done:
			t.Fatalf("worker exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker never became ready")
		}
		time.Sleep(200 * time.Millisecond)
	}
	res, err := http.Get("http://" + httpAddr + "/api/v1/health/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`temporal_num_pollers{`, `poller_type="workflow_task"`, `mif_interventions{`, `go_sql_open_connections{db_name="mif"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("worker metrics lack %s", want)
		}
	}
}
