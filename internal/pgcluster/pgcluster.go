// Package pgcluster runs a throwaway PostgreSQL cluster for fault tests: its own data directory
// and port, stopped and started by the test, never the shared cluster other tests use.
package pgcluster

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq" // the driver of the readiness check

	"github.com/mifmaroc/mif/internal/poll"
)

// BinDir holds initdb and pg_ctl (MIF_PG_BIN overrides it).
const BinDir = "/usr/lib/postgresql/15/bin"

// Cluster is a running (or stopped) throwaway cluster.
type Cluster struct {
	t    testing.TB
	bin  string
	data string
	port int
	cred *syscall.Credential // the postgres account, when the tests run as root
}

// Start creates a cluster in a temporary directory, starts it on a free port and removes it when
// t ends. A missing PostgreSQL installation fails the test (loudly, as every missing service).
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin := os.Getenv("MIF_PG_BIN")
	if bin == "" {
		bin = BinDir
	}
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		t.Fatalf("pgcluster: initdb not found in %s (set MIF_PG_BIN): %v", bin, err)
	}
	root, err := os.MkdirTemp("", "mif-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	c := &Cluster{t: t, bin: bin, data: filepath.Join(root, "data")}
	if os.Geteuid() == 0 { // initdb refuses to run as root: run the cluster as postgres
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgcluster: running as root needs a postgres account: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if c.port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")
	c.Restart()
	t.Cleanup(func() { _ = c.pgctl("stop", "-m", "immediate") })
	return c
}

// URL is the connection string of the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Stop stops the cluster at once (connections are cut, as in a crash or a failover).
func (c *Cluster) Stop() {
	c.t.Helper()
	if err := c.pgctl("stop", "-m", "immediate"); err != nil {
		c.t.Fatalf("pgcluster: stop: %v", err)
	}
}

// Restart starts the cluster on its port and returns once it accepts connections.
func (c *Cluster) Restart() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=40", c.port)
	if err := c.pgctl("start", "-w", "-t", "60", "-o", opts, "-l", filepath.Join(filepath.Dir(c.data), "log")); err != nil {
		log, _ := os.ReadFile(filepath.Join(filepath.Dir(c.data), "log"))
		c.t.Fatalf("pgcluster: start: %v\n%s", err, log)
	}
	poll.Until(c.t, "the throwaway cluster accepting connections", func() error {
		db, err := sql.Open("postgres", c.URL())
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return db.PingContext(ctx)
	})
}

func (c *Cluster) pgctl(args ...string) error {
	return c.exec("pg_ctl", append([]string{"-D", c.data}, args...)...)
}

func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	if err := c.exec(name, args...); err != nil {
		c.t.Fatalf("pgcluster: %v", err)
	}
}

func (c *Cluster) exec(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %v: %w\n%s", name, args, err, out.String())
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
