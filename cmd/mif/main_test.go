package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestEveryTestIsParallel: the commands read their configuration through a lookup (testEnv), never
// the process's environment, so their tests run in parallel.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}

// testConns is the pool of a command run by a test (MIF_DB_MAX_OPEN_CONNS): with the LISTEN
// connection of the notifications and the migration lock, it stays within what testdb reserves
// for a database (testdb.DefaultConns), unless the test reserves more.
const testConns = "2"

// testEnv is the environment a command run by a test sees: vars and nothing else (the process's
// environment is shared by parallel tests, and a developer's shell should not change a test).
func testEnv(vars map[string]string) config.Lookup {
	m := map[string]string{"MIF_DB_MAX_OPEN_CONNS": testConns}
	maps.Copy(m, vars)
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func freeAddr(t *testing.T) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String(), l.Addr().(*net.TCPAddr).Port
}

func temporalCLI(t *testing.T) string {
	if p := os.Getenv("MIF_TEMPORAL_CLI"); p != "" {
		return p
	}
	p, _ := filepath.Abs("../../bin/temporal")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("temporal CLI not found at %s: run `make tools`", p)
	}
	return p
}

// syncBuffer collects a command's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startDev runs `mif dev` until the returned stop function is called, and waits until it is ready.
func startDev(t *testing.T, env config.Lookup, apiURL string) (stop func() error, out *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"dev"}, env, out) }()
	err := poll.Wait(func() error {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("mif dev exited before being ready: %v\n%s", err, out.String())
		default:
		}
		// The banner first: a port handed out by freeAddr may be answered by another test's
		// server, whose readiness is not this process's.
		if !strings.Contains(out.String(), "/docs") {
			return errors.New("no banner yet")
		}
		res, err := http.Get(apiURL + "/api/v1/health/ready")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("readiness %d", res.StatusCode)
		}
		return nil
	}, poll.Timeout(3*time.Minute)) // a cold boot (migrations, dev server, demo data) on a machine the suite keeps busy
	if err != nil {
		cancel()
		t.Fatalf("mif dev not ready: %v\n%s", err, out.String())
	}
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("mif dev did not stop within 30s")
		}
	}, out
}

func postJSON(t *testing.T, url, token string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// `make run` is `mif dev`: from nothing (no database, no Temporal server) to a platform where a
// login and a create work; Ctrl-C stops everything, child process included; a second start keeps
// the data and seeds nothing twice.
func TestDevUpStopUpAgain(t *testing.T) {
	t.Parallel()
	admin := testdb.Admin(t)
	// mif dev creates its database itself: its connections (pool, LISTEN, migrations, the
	// creation) come from the budget all the same.
	testdb.Reserve(t, 6)
	dbName := "mif_devtest_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	t.Cleanup(func() { _, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + dbName + ` WITH (FORCE)`) })
	httpAddr, _ := freeAddr(t)
	_, temporalPort := freeAddr(t)
	_, uiPort := freeAddr(t)
	dataDir := t.TempDir()
	env := testEnv(map[string]string{
		"DATABASE_URL":                 testdb.DatabaseURL(testdb.AdminURL(), dbName),
		"MIF_DB_MAX_OPEN_CONNS":        "3",
		"MIF_HTTP_ADDR":                httpAddr,
		"MIF_TEMPORAL_DEV_PORT":        fmt.Sprint(temporalPort),
		"MIF_TEMPORAL_UI_PORT":         fmt.Sprint(uiPort),
		"MIF_DATA_DIR":                 dataDir,
		"MIF_TEMPORAL_CLI":             temporalCLI(t),
		"MIF_LOG_LEVEL":                "warn",
		"TEMPORAL_ADDRESS":             "",
		"MIF_BOOTSTRAP_ADMIN_EMAIL":    "chef@mif.ma",
		"MIF_BOOTSTRAP_ADMIN_PASSWORD": "Premier#Admin2026",
	})
	api := "http://" + httpAddr

	stop, out := startDev(t, env, api)
	for _, want := range []string{"/docs", fmt.Sprintf("127.0.0.1:%d", uiPort), "responsable@mif.ma", demo.Password} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner does not mention %q:\n%s", want, out.String())
		}
	}
	if res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", uiPort)); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("Temporal Web UI not answering: %v", err)
	}
	status, login := postJSON(t, api+"/api/v1/auth/login", "", map[string]string{"email": "responsable@mif.ma", "password": demo.Password})
	if status != http.StatusOK {
		t.Fatalf("login: %d %v", status, login)
	}
	token := login["access_token"].(string)
	status, created := postJSON(t, api+"/api/v1/interventions", token, map[string]any{
		"titre": "Contrôle presse", "description": "Bruit anormal au démarrage", "type_intervention": "corrective",
		"priorite": "normale", "equipement_id": 1,
	})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, created)
	}
	if status, _ := postJSON(t, api+"/api/v1/auth/login", "", map[string]string{"email": "chef@mif.ma", "password": "Premier#Admin2026"}); status != http.StatusOK {
		t.Fatalf("bootstrap admin login: %d", status)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, out.String())
	}
	// Everything is down: API and the Temporal child process.
	for _, addr := range []string{httpAddr, fmt.Sprintf("127.0.0.1:%d", temporalPort)} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Fatalf("%s still listening after stop", addr)
		}
	}

	stop, out = startDev(t, env, api)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("second stop: %v", err)
		}
	}()
	status, login = postJSON(t, api+"/api/v1/auth/login", "", map[string]string{"email": "responsable@mif.ma", "password": demo.Password})
	if status != http.StatusOK {
		t.Fatalf("login after restart: %d\n%s", status, out.String())
	}
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/interventions/%v", api, created["id"]), nil)
	req.Header.Set("Authorization", "Bearer "+login["access_token"].(string))
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("intervention lost across restarts: %v %v", err, res)
	}
	res.Body.Close()
	var users int
	conn, err := openDB(testdb.DatabaseURL(testdb.AdminURL(), dbName))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRow(`SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if want := len(demo.Accounts()) + 1; users != want {
		t.Fatalf("users after two starts = %d, want %d (seeding must be idempotent)", users, want)
	}
}

func TestBadConfigurationNamesTheVariable(t *testing.T) {
	t.Parallel()
	env := testEnv(map[string]string{"MIF_HTTP_ADDR": "eight-thousand", "MIF_JWT_ACCESS_TTL": "forever"})
	err := run(context.Background(), []string{"serve"}, env, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "MIF_HTTP_ADDR") || !strings.Contains(err.Error(), "MIF_JWT_ACCESS_TTL") {
		t.Fatalf("want an error naming both variables, got %v", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, env, &bytes.Buffer{}); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	env := testEnv(map[string]string{"DATABASE_URL": testdb.NewEmptyURL(t)})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "up"}, env, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "pending") {
		t.Fatalf("pending migrations after up:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate", "down"}, env, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "pending") != 1 {
		t.Fatalf("want exactly one pending migration after down:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"migrate", "sideways"}, env, &out); err == nil {
		t.Fatal("unknown migrate action accepted")
	}
}

func openDB(url string) (*sql.DB, error) { return sql.Open("postgres", url) }

func TestBootstrapAdminPasswordPolicy(t *testing.T) {
	t.Parallel()
	env := testEnv(map[string]string{
		"DATABASE_URL":                 testdb.NewURL(t),
		"MIF_JWT_ALGORITHM":            "HS256",
		"MIF_JWT_SECRET":               strings.Repeat("s", 32),
		"MIF_BOOTSTRAP_ADMIN_EMAIL":    "chef@mif.ma",
		"MIF_BOOTSTRAP_ADMIN_PASSWORD": "password",
	})
	err := run(context.Background(), []string{"serve"}, env, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "MIF_BOOTSTRAP_ADMIN_PASSWORD") || !strings.Contains(err.Error(), "majuscule") {
		t.Fatalf("weak bootstrap password accepted or badly reported: %v", err)
	}
}

func TestAdminCreateUser(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	env := testEnv(map[string]string{"DATABASE_URL": url})
	ctx := context.Background()
	var out bytes.Buffer
	err := runAdmin(ctx, []string{"create-user", "-email", "chef@mif.ma", "-role", "responsable", "-password-stdin"}, env, strings.NewReader("faible\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "majuscule") || !strings.Contains(err.Error(), "caractères") {
		t.Fatalf("weak password: %v", err)
	}
	if err := runAdmin(ctx, []string{"create-user", "-email", "c@mif.ma", "-role", "client"}, env, strings.NewReader(""), &out); err == nil {
		t.Fatal("client account without -client-id accepted")
	}
	if err := runAdmin(ctx, []string{"create-user", "-email", "x@mif.ma", "-role", "boss"}, env, strings.NewReader(""), &out); err == nil {
		t.Fatal("unknown role accepted")
	}
	out.Reset()
	if err := runAdmin(ctx, []string{"create-user", "-email", "Chef@MIF.ma", "-role", "technicien", "-nom", "Naciri"}, env, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	_, generated, ok := strings.Cut(out.String(), "password (shown once): ")
	if !ok {
		t.Fatalf("no generated password in %q", out.String())
	}
	generated = strings.TrimSpace(generated)
	if err := authn.ValidatePassword(generated, "chef@mif.ma"); err != nil {
		t.Fatalf("generated password breaks the policy: %v", err)
	}
	conn, err := openDB(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var hash string
	var techniciens int
	if err := conn.QueryRow(`SELECT u.password_hash, count(t.id) FROM users u LEFT JOIN techniciens t ON t.user_id = u.id
		WHERE u.email = 'chef@mif.ma' GROUP BY u.password_hash`).Scan(&hash, &techniciens); err != nil {
		t.Fatal(err)
	}
	if !authn.CheckPassword(&hash, generated) || techniciens != 1 {
		t.Fatalf("stored account: password ok=%v, technicien profiles=%d", authn.CheckPassword(&hash, generated), techniciens)
	}
	if c, err := bcrypt.Cost([]byte(hash)); err != nil || c != authn.BcryptCost {
		t.Fatalf("the command hashed at cost %d (%v), want authn.BcryptCost", c, err)
	}
	err = runAdmin(ctx, []string{"create-user", "-email", "chef@mif.ma", "-role", "admin"}, env, strings.NewReader(""), &out)
	if err == nil || !strings.Contains(err.Error(), "existe déjà") {
		t.Fatalf("duplicate e-mail: %v", err)
	}
}
