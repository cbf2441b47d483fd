package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/internal/testdb"
)

// TestDemoVolumeCommand: `mif demo --volume` writes once, says so the second time, and refuses a
// database with real data, naming what it found and the way out. (The workflows of the open
// interventions are tested in package demo; --no-workflows keeps this test free of Temporal.)
func TestDemoVolumeCommand(t *testing.T) {
	url := testdb.NewURL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("MIF_DATA_DIR", t.TempDir())
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"demo", "--volume", "150", "--seed", "4", "--no-workflows"}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "volume data set generated") || !strings.Contains(out.String(), "interventions                 150") {
		t.Fatalf("first run:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"demo", "--volume", "150", "--seed", "4", "--no-workflows"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "already there") {
		t.Fatalf("second run:\n%s", out.String())
	}
	if err := run(ctx, []string{"demo", "--volume", "150", "--seed", "5", "--no-workflows"}, &out); err == nil || !strings.Contains(err.Error(), "another volume data set") {
		t.Fatalf("another seed: %v", err)
	}
	for _, bad := range [][]string{{"demo"}, {"demo", "--volume", "10"}, {"demo", "--volume", "100", "extra"}} {
		if err := run(ctx, bad, &out); err == nil || !strings.Contains(err.Error(), "usage: mif demo") {
			t.Errorf("%v: %v", bad, err)
		}
	}

	real := testdb.NewURL(t)
	t.Setenv("DATABASE_URL", real)
	db, err := openDB(real)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO clients (nom) VALUES ('Société Réelle')`); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"demo", "--volume", "150", "--no-workflows"}, &out)
	if err == nil || !strings.Contains(err.Error(), "Société Réelle") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("real data: %v", err)
	}
}
