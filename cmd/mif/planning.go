package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mifmaroc/mif/planner/routing"
)

const planningUsage = `usage:
  mif planning solve PROBLEM.json [--time 30s] [--iterations N] [--seed S] [-o SOLUTION.json]
      plan the routes of a problem file (mif-routing-problem/0) and write the solution;
      --time caps the wall-clock time (0: none), --iterations the search iterations (0: none).
      The answer depends only on the problem, the seed and the iterations done (reported in the
      solution as "iterations"): --iterations with that count reproduces a time-capped run.
  mif planning convert-solomon FILE [--objective vehicles,distance|distance] [--distances auto|double|trunc1] [-o PROBLEM.json]
      convert a Solomon VRPTW text file; auto means trunc1 (arcs truncated to one decimal) for
      the distance objective and double for vehicles,distance, the conventions of published results
  mif planning check PROBLEM.json SOLUTION.json
      re-simulate a solution against its problem and list every constraint it breaks
`

// exitError carries the exit status of a command: 2 for bad input or usage.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error { return &exitError{code: 2, err: err} }

// exitCode is the process status for an error returned by run.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}

func runPlanning(ctx context.Context, args []string, out, log io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(log, planningUsage)
		return badInput(errors.New("planning: missing subcommand"))
	}
	switch args[0] {
	case "solve":
		return planningSolve(ctx, args[1:], out, log)
	case "convert-solomon":
		return planningConvert(args[1:], out)
	case "check":
		return planningCheck(args[1:], out)
	case "help", "-h", "--help":
		fmt.Fprint(out, planningUsage)
		return nil
	}
	fmt.Fprint(log, planningUsage)
	return badInput(fmt.Errorf("planning: unknown subcommand %q", args[0]))
}

// parseArgs parses flags placed before, between or after the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, positional int) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, badInput(fmt.Errorf("planning %s: %w", fs.Name(), err))
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != positional {
		return nil, badInput(fmt.Errorf("planning %s: expected %d file argument(s), got %d (mif planning help)", fs.Name(), positional, len(pos)))
	}
	return pos, nil
}

func readProblem(path string) (*routing.Problem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(err)
	}
	p, err := routing.Parse(data)
	if err != nil {
		return nil, badInput(fmt.Errorf("%s:\n%w", path, err))
	}
	return p, nil
}

func writeJSON(v any, path string, out io.Writer) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if path == "" || path == "-" {
		_, err = out.Write(data)
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func planningSolve(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("solve", flag.ContinueOnError)
	limit := fs.Duration("time", 30*time.Second, "wall-clock cap (0: none)")
	iterations := fs.Int("iterations", 0, "iteration cap (0: none)")
	seed := fs.Uint64("seed", 1, "random seed")
	output := fs.String("o", "", "solution file (default: standard output)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if *iterations < 0 || *limit < 0 {
		return badInput(errors.New("planning solve: --time and --iterations must not be negative"))
	}
	p, err := readProblem(pos[0])
	if err != nil {
		return err
	}
	runCtx := ctx
	if *limit > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, *limit)
		defer cancel()
	}
	started := time.Now()
	sol, err := routing.Solve(runCtx, p, routing.Options{Seed: *seed, Iterations: *iterations})
	if err != nil {
		return badInput(err)
	}
	stopped := "the search settled"
	switch {
	case *iterations > 0 && sol.Iterations >= *iterations:
		stopped = "iteration cap"
	case ctx.Err() != nil:
		stopped = "interrupted"
	case runCtx.Err() != nil:
		stopped = "time cap"
	}
	fmt.Fprintf(log, "%s: %d routes, distance %.2f, duration %.2f, %d unassigned; seed %d, %d iterations in %s (%s)\n",
		cmpOr(p.Name, filepath.Base(pos[0])), sol.Vehicles, sol.Distance, sol.Duration, len(sol.Unassigned), *seed, sol.Iterations,
		time.Since(started).Round(time.Millisecond), stopped)
	return writeJSON(sol, *output, out)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func planningConvert(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("convert-solomon", flag.ContinueOnError)
	objective := fs.String("objective", "vehicles,distance", "objective: vehicles,distance or distance")
	distances := fs.String("distances", "auto", "auto, double or trunc1")
	name := fs.String("name", "", "problem name (default: the file name)")
	output := fs.String("o", "", "problem file (default: standard output)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return badInput(err)
	}
	obj := strings.Split(*objective, ",")
	conv := *distances
	if conv == "auto" {
		conv = routing.DistancesDouble
		if len(obj) == 1 && obj[0] == routing.ObjDistance {
			conv = routing.DistancesTrunc1
		}
	}
	if *name == "" {
		*name = strings.TrimSuffix(filepath.Base(pos[0]), filepath.Ext(pos[0]))
	}
	p, err := routing.ParseSolomon(data, routing.SolomonOptions{Name: *name, Objective: obj, Distances: conv})
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", pos[0], err))
	}
	return writeJSON(p, *output, out)
}

func planningCheck(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	pos, err := parseArgs(fs, args, 2)
	if err != nil {
		return err
	}
	p, err := readProblem(pos[0])
	if err != nil {
		return err
	}
	data, err := os.ReadFile(pos[1])
	if err != nil {
		return badInput(err)
	}
	var sol routing.Solution
	if err := json.Unmarshal(data, &sol); err != nil {
		return badInput(fmt.Errorf("%s: %w", pos[1], err))
	}
	if err := routing.Check(p, &sol); err != nil {
		return err
	}
	fmt.Fprintf(out, "feasible: %d routes, distance %.2f, duration %.2f, %d unassigned\n", len(sol.Routes), sol.Distance, sol.Duration, len(sol.Unassigned))
	return nil
}
