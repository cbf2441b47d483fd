package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/planner/routing"
)

// A Solomon-layout instance: a depot and four customers.
const tinySolomon = "TINY\r\n\r\nVEHICLE\r\nNUMBER     CAPACITY\r\n  3         20\r\n\r\nCUSTOMER\r\n" +
	"CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\r\n \r\n" +
	"    0      40         50          0          0       1000          0\r\n" +
	"    1      45         68         10        100        300         10\r\n" +
	"    2      45         70         10        100        300         10\r\n" +
	"    3      20         30         10          0        500         10\r\n" +
	"    4      60         30         15          0        900         10\r\n"

func TestPlanningCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "TINY.txt")
	if err := os.WriteFile(src, []byte(tinySolomon), 0o644); err != nil {
		t.Fatal(err)
	}
	problem := filepath.Join(dir, "tiny.json")
	var out bytes.Buffer
	if err := run(ctx, []string{"planning", "convert-solomon", src, "--objective", "distance", "-o", problem}, testEnv(nil), &out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(problem)
	if err != nil {
		t.Fatal(err)
	}
	p, err := routing.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "TINY" || len(p.Tasks) != 4 || len(p.Technicians) != 3 || p.Travel.Metric != routing.MetricMatrix || p.Objective[0] != "distance" {
		t.Fatalf("converted %+v", p)
	}

	solve := func(name string) []byte {
		t.Helper()
		path := filepath.Join(dir, name)
		// Flags before and after the file.
		if err := run(ctx, []string{"planning", "solve", "--seed", "7", problem, "--iterations", "300", "--time", "0", "-o", path}, testEnv(nil), &out); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first, second := solve("a.json"), solve("b.json")
	if !bytes.Equal(first, second) {
		t.Fatal("same problem, seed and iterations, different solutions")
	}
	var sol routing.Solution
	if err := json.Unmarshal(first, &sol); err != nil {
		t.Fatal(err)
	}
	if err := routing.Check(p, &sol); err != nil || sol.Seed != 7 || sol.Iterations != 300 || len(sol.Unassigned) != 0 {
		t.Fatalf("solution %+v: %v", sol, err)
	}
	out.Reset()
	if err := run(ctx, []string{"planning", "check", problem, filepath.Join(dir, "a.json")}, testEnv(nil), &out); err != nil || !strings.HasPrefix(out.String(), "feasible") {
		t.Fatalf("check: %v %q", err, out.String())
	}
	// A broken solution is reported by check (status 1, not a usage error).
	sol.Routes[0].StartTimes[0] = -1000
	broken, _ := json.Marshal(sol)
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), broken, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"planning", "check", problem, filepath.Join(dir, "broken.json")}, testEnv(nil), &out); err == nil || exitCode(err) != 1 ||
		!strings.Contains(err.Error(), "infeasible solution") {
		t.Fatalf("check of a broken solution: %v", err)
	}
}

func TestPlanningSolveBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	src := `{"format": "mif-routing-problem/0", "travel": {"metric": "euclidean", "speed": 1},
	  "sites": [{"id": "0", "x": 0, "y": 0}],
	  "technicians": [{"id": "1", "start_site": "0", "end_site": "0", "shifts": [{"start": 0, "end": 100}]}],
	  "tasks": [{"id": "a", "site": "0", "duration": 5, "windows": [{"start": 0, "end": 10}]},
	            {"id": "b", "site": "0", "duration": 5, "windows": [{"start": 0, "end": "ten"}]}],
	  "objective": ["distance"]}`
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(ctx, []string{"planning", "solve", bad}, testEnv(nil), &out)
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "tasks[1].windows[0].end: expected a number, got a string") {
		t.Fatalf("got %v (exit %d)", err, exitCode(err))
	}
	if out.Len() != 0 {
		t.Fatalf("wrote %q for a bad problem", out.String())
	}
	for _, args := range [][]string{
		{"planning", "solve"},
		{"planning", "solve", bad, "--iterations", "many"},
		{"planning", "solve", filepath.Join(dir, "missing.json")},
		{"planning", "frobnicate"},
	} {
		if err := run(ctx, args, testEnv(nil), &out); exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d), want exit 2", args, err, exitCode(err))
		}
	}
	// An infeasible problem is not an error: every task comes back with its reason.
	src = strings.Replace(src, `"end": "ten"`, `"end": 10`, 1)
	src = strings.Replace(src, `"end": 100}`, `"end": 2}`, 1)
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"planning", "solve", bad, "--time", "5s"}, testEnv(nil), &out); err != nil {
		t.Fatal(err)
	}
	var sol routing.Solution
	if err := json.Unmarshal(out.Bytes(), &sol); err != nil || len(sol.Unassigned) != 2 || sol.Unassigned[0].Reason == "" {
		t.Fatalf("infeasible: %v %s", err, out.String())
	}
}
