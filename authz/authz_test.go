package authz

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/mifmaroc/mif/casbin"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/poll"
)

func TestReadOwnGrantsReadButNothingElse(t *testing.T) {
	a, err := NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	if !a.Allowed(domain.RoleClient, "interventions:read") || !a.Allowed(domain.RoleClient, "interventions:read_own") {
		t.Fatal("client must read its own interventions")
	}
	if a.Allowed(domain.RoleClient, "interventions:update") || a.Allowed(domain.RoleClient, "users:read") {
		t.Fatal("read_own must not open anything else")
	}
	if !a.Allowed(domain.RoleAdmin, "whatever:anything") {
		t.Fatal("admin has *")
	}
	// OwnOnly names the routes whose rows SQL must narrow: read reached only through read_own.
	for _, c := range []struct {
		role domain.Role
		perm Permission
		want bool
	}{
		{domain.RoleClient, "interventions:read", true}, {domain.RoleTechnicien, "techniciens:read", true},
		{domain.RoleTechnicien, "interventions:read", false}, {domain.RoleAdmin, "interventions:read", false},
		{domain.RoleClient, "interventions:rate", false}, {domain.RoleClient, "users:read", false},
	} {
		if got := a.OwnOnly(c.role, c.perm); got != c.want {
			t.Errorf("OwnOnly(%s, %s) = %v", c.role, c.perm, got)
		}
	}
}

func TestBrokenPoliciesAreRefused(t *testing.T) {
	a, err := NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	broken := map[string]string{
		"empty":          "",
		"comments only":  "# nothing\n",
		"missing action": "p, admin, users\n",
		"unknown role":   "p, responsabel, users, read\n",
		"extra field":    "p, admin, users, read, now\n",
	}
	for name, policy := range broken {
		if err := a.Replace(casbin.Model, policy); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := a.Replace("[request_definition]\nr = sub\n", casbin.Policy); err == nil {
		t.Error("broken model accepted")
	}
	// The policy in force is still the shipped one.
	if !a.Allowed(domain.RoleTechnicien, "interventions:update_status") {
		t.Fatal("previous policy lost")
	}
}

func TestPermissionsOfARole(t *testing.T) {
	a, err := New(casbin.Model, "p, technicien, interventions, read\np, technicien, planning, read\np, admin, *, *\n")
	if err != nil {
		t.Fatal(err)
	}
	got := a.Permissions(domain.RoleTechnicien)
	if len(got) != 2 || got[0] != "interventions:read" || got[1] != "planning:read" {
		t.Fatalf("permissions %v", got)
	}
	if p := a.Permissions(domain.RoleClient); len(p) != 0 {
		t.Fatalf("client %v", p)
	}
}

func TestResolveFiles(t *testing.T) {
	if f := ResolveFiles(config.Casbin{ModelFile: "/m.conf", PolicyFile: "/p.csv"}); f.Model != "/m.conf" || f.Policy != "/p.csv" {
		t.Fatalf("configured files %+v", f)
	}
	// Tests run in authz/, where casbin/ does not exist: the embedded copies are used.
	if f := ResolveFiles(config.Casbin{}); f.Model != "" || f.Policy != "" {
		t.Fatalf("defaults %+v", f)
	}
	a, err := Load(Files{})
	if err != nil || !a.Allowed(domain.RoleResponsable, "users:create") {
		t.Fatalf("embedded load: %v", err)
	}
}

// TestWatchReloadsAndKeepsThePolicyOnError edits a policy file on disk while Watch polls it.
func TestWatchReloadsAndKeepsThePolicyOnError(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.csv")
	write := func(s string, mtime time.Time) {
		if err := os.WriteFile(policy, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		// Explicit mtimes: two writes within the file system's timestamp resolution still differ.
		if err := os.Chtimes(policy, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Hour)
	write("p, admin, *, *\np, client, interventions, read_own\n", base)
	files := Files{Policy: policy}
	a, err := Load(files)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), logs, zap.InfoLevel))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Watch(ctx, files, 10*time.Millisecond, log); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		poll.Until(t, what, func() error {
			if !cond() {
				return errors.New("not yet")
			}
			return nil
		})
	}
	if a.Allowed(domain.RoleClient, "equipements:read") {
		t.Fatal("not granted yet")
	}
	write("p, admin, *, *\np, client, interventions, read_own\np, client, equipements, read_own\n", base.Add(time.Minute))
	waitFor("the new grant", func() bool { return a.Allowed(domain.RoleClient, "equipements:read") })

	write("p, admin, *\n", base.Add(2*time.Minute)) // broken: refused, previous policy stays
	waitFor("the refusal log line", func() bool { return strings.Contains(logs.String(), "policy change refused") })
	if !a.Allowed(domain.RoleClient, "equipements:read") || !a.Allowed(domain.RoleAdmin, "users:delete") {
		t.Fatal("a broken file replaced the policy")
	}
}

// syncBuffer is a log sink that the watcher goroutine writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Sync() error { return nil }

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
