package routing

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Benchmarks (never timed tests). `make bench-planner` runs them on one core with a 30 s budget
// per instance:
//
//	MIF_BENCH_TIME=30s GOMAXPROCS=1 go test ./planner/routing/ -run '^$' -bench 'Solomon|Week' -benchtime 1x -timeout 3h
//
// Solomon's instances are read from MIF_SOLOMON_DIR, or from shared/benchmarks/planner/solomon
// in a parent directory of the package (../shared from the repository, as on the lead's
// machine); they are not part of the repository.

func benchBudget() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("MIF_BENCH_TIME")); err == nil && d > 0 {
		return d
	}
	return 10 * time.Second
}

func solomonDir() string {
	if d := os.Getenv("MIF_SOLOMON_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "shared", "benchmarks", "planner", "solomon")
		if _, err := os.Stat(filepath.Join(cand, "BKS.md")); err == nil {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

type bks struct {
	instance, objective, convention string
	vehicles                        int
	distance                        float64
}

// readBKS reads the table of BKS.md: | instance | objective | convention | vehicles | distance | source |.
func readBKS(path string) ([]bks, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []bks
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 7 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		v, err1 := strconv.Atoi(cells[4])
		d, err2 := strconv.ParseFloat(cells[5], 64)
		if err1 != nil || err2 != nil {
			continue // header and separator rows
		}
		out = append(out, bks{instance: cells[1], objective: cells[2], convention: cells[3], vehicles: v, distance: d})
	}
	return out, sc.Err()
}

type solomonResult struct {
	row        bks
	vehicles   int
	distance   float64
	gap        float64
	seconds    float64
	iterations int
}

func BenchmarkSolomon(b *testing.B) {
	dir := solomonDir()
	if dir == "" {
		b.Skip("Solomon's instances not found: set MIF_SOLOMON_DIR (see bench_test.go)")
	}
	rows, err := readBKS(filepath.Join(dir, "BKS.md"))
	if err != nil {
		b.Fatal(err)
	}
	budget := benchBudget()
	var results []solomonResult
	for _, row := range rows {
		data, err := os.ReadFile(filepath.Join(dir, row.instance+".txt"))
		if err != nil {
			b.Logf("%s: %v", row.instance, err)
			continue
		}
		objective := strings.Split(row.objective, ",")
		p, err := ParseSolomon(data, SolomonOptions{Name: row.instance, Objective: objective, Distances: row.convention})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(row.objective+"/"+row.instance, func(b *testing.B) {
			var res solomonResult
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), budget)
				start := time.Now()
				sol, err := Solve(ctx, p, Options{Seed: 1})
				elapsed := time.Since(start)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				if err := Check(p, sol); err != nil {
					b.Fatal(err)
				}
				if len(sol.Unassigned) > 0 {
					b.Fatalf("%d customers unassigned", len(sol.Unassigned))
				}
				res = solomonResult{row: row, vehicles: sol.Vehicles, distance: sol.Distance,
					gap: roundGap(100 * (sol.Distance - row.distance) / row.distance), seconds: elapsed.Seconds(), iterations: sol.Iterations}
			}
			b.ReportMetric(res.gap, "gap%")
			b.ReportMetric(float64(res.vehicles), "vehicles")
			b.ReportMetric(res.distance, "distance")
			b.ReportMetric(res.seconds, "s/solve")
			results = append(results, res)
		})
	}
	var tab strings.Builder
	fmt.Fprintf(&tab, "budget %v per instance\n\n", budget)
	tab.WriteString("| instance | objective | BKS vehicles | BKS distance | vehicles | distance | gap | time | iterations |\n|---|---|---|---|---|---|---|---|---|\n")
	var sum float64
	n := 0
	for _, r := range results {
		fmt.Fprintf(&tab, "| %s | %s (%s) | %d | %.2f | %d | %.2f | %+.2f %% | %.1f s | %d |\n", r.row.instance, r.row.objective, r.row.convention,
			r.row.vehicles, r.row.distance, r.vehicles, r.distance, r.gap, r.seconds, r.iterations)
		if r.row.objective == ObjDistance && !strings.Contains(r.row.instance, ".") {
			sum += r.gap
			n++
		}
	}
	if n > 0 {
		fmt.Fprintf(&tab, "\nmean gap, distance objective, 100 customers: %+.2f %% over %d instances\n", sum/float64(n), n)
	}
	// Sub-benchmarks hide their parent's log: the summary goes to the standard output.
	fmt.Print("\n" + tab.String() + "\n")
}

// BenchmarkWeek plans a generated week: 50 technicians (5 shifts each) and 1000 interventions
// around seven Moroccan cities, within the budget. The iteration-capped variant measures the
// search's pace independently of the clock.
func BenchmarkWeek(b *testing.B) {
	p := genWeek(1, 50, 1000)
	// The weekly planning's own objective (travel time, then duration, then balance) on the
	// same week, to compare the pace of the search.
	weekly := *p
	weekly.Objective = []string{ObjTravelTime, ObjDuration, ObjBalance}
	static := 0
	in, err := compile(p)
	if err != nil {
		b.Fatal(err)
	}
	for i := range in.tasks {
		if len(in.tasks[i].compat) == 0 {
			static++
		}
	}
	for _, c := range []struct {
		name string
		p    *Problem
		opt  Options
		cap  time.Duration
	}{
		{"construction", p, Options{Seed: 1, Iterations: 1}, 0},
		{"iterations=20000", p, Options{Seed: 1, Iterations: 20000}, 0},
		{"budget", p, Options{Seed: 1}, benchBudget()},
		{"weekly-objective/iterations=20000", &weekly, Options{Seed: 1, Iterations: 20000}, 0},
		{"weekly-objective/budget", &weekly, Options{Seed: 1}, benchBudget()},
	} {
		p := c.p
		b.Run(c.name, func(b *testing.B) {
			var sol *Solution
			var elapsed time.Duration
			for b.Loop() {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if c.cap > 0 {
					ctx, cancel = context.WithTimeout(ctx, c.cap)
				}
				start := time.Now()
				sol, err = Solve(ctx, p, c.opt)
				elapsed = time.Since(start)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
			}
			if err := Check(p, sol); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(sol.Unassigned)-static), "unassigned-placeable")
			b.ReportMetric(float64(static), "unassigned-impossible")
			b.ReportMetric(float64(sol.Vehicles), "routes")
			b.ReportMetric(sol.Distance, "km")
			b.ReportMetric(float64(sol.Iterations), "iterations")
			balance := ""
			if sol.Balance != nil {
				balance = fmt.Sprintf(", balance %.3f", *sol.Balance)
			}
			b.Logf("%s: %d served, %d unassigned (%d impossible for any technician), %d routes, %.0f km, %.0f min driving, %.0f min on the road and at work%s, %d iterations in %.1f s",
				c.name, len(p.Tasks)-len(sol.Unassigned), len(sol.Unassigned), static, sol.Vehicles, sol.Distance, sol.TravelTime, sol.Duration, balance, sol.Iterations, elapsed.Seconds())
		})
	}
}

// roundGap keeps float noise (827.3000000001 against 827.3) out of the table.
func roundGap(g float64) float64 {
	if g > -1e-6 && g < 1e-6 {
		return 0
	}
	return g
}
