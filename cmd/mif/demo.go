package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/demo"
)

const demoUsage = `usage: mif demo --volume N [--seed S] [--force] [--no-workflows] [--attach-timeout D]`

// runDemo is `mif demo --volume N`: the demo seed plus a volume data set of N interventions over
// two years (demo.GenerateVolume), then the workflows of its open interventions and the preventive
// cycles of its equipment, run by a worker of this process until they are in place, so that
// `mif dev` (or `mif serve`) starts on a settled installation. The Temporal dev server of
// `mif dev` is started on MIF_DATA_DIR for the time of it, unless TEMPORAL_ADDRESS names one.
func runDemo(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	volume := fs.Int("volume", 0, "number of interventions to generate (required, at least 100)")
	seed := fs.Int64("seed", 1, "seed of the generator: the same seed and volume give the same data")
	force := fs.Bool("force", false, "write even into a database holding data that is not demo data")
	noWorkflows := fs.Bool("no-workflows", false, "do not start the open interventions' workflows (no Temporal needed; see the README)")
	attachTimeout := fs.Duration("attach-timeout", 10*time.Minute, "how long the workflows may take to be in place")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *volume < demo.MinVolume || fs.NArg() > 0 {
		return fmt.Errorf("%s\n(--volume: at least %d)", demoUsage, demo.MinVolume)
	}
	a, err := newApp(ctx, config.ModeDev)
	if err != nil {
		return err
	}
	defer a.close()
	res, err := demo.GenerateVolume(ctx, a.store, demo.VolumeOptions{
		Interventions: *volume, Seed: *seed, Force: *force,
		SLA: a.cfg.SLA, PreventiveLeadTime: a.cfg.Workflows.PreventiveLeadTime, Timezone: a.cfg.Workflows.Timezone,
	})
	if errors.Is(err, demo.ErrNotDemoDatabase) {
		return fmt.Errorf("%w\n(demo data: the demo seed's rows, and accounts or clients under @%s, equipment with serial %s…; --force writes anyway)",
			err, demo.DemoDomain, demo.SerialPrefix)
	}
	if err != nil {
		return err
	}
	if res.Generated {
		fmt.Fprintf(out, "volume data set generated in %s (seed %d):\n", res.Elapsed.Round(time.Millisecond), res.Seed)
		tables := make([]string, 0, len(res.Rows))
		for t := range res.Rows {
			tables = append(tables, t)
		}
		slices.Sort(tables)
		for _, t := range tables {
			fmt.Fprintf(out, "  %-24s %8d\n", t, res.Rows[t])
		}
	} else {
		fmt.Fprintf(out, "this volume data set (seed %d, %d interventions) is already there: nothing written\n", res.Seed, res.Interventions)
	}
	if *noWorkflows {
		fmt.Fprintln(out, "workflows not started (--no-workflows): the open interventions answer reads, lifecycle calls on them are refused until `mif demo` runs again without it")
		return nil
	}
	return a.attachDemoWorkflows(ctx, out, *attachTimeout)
}

// attachDemoWorkflows starts Temporal if needed and a worker, then the open interventions'
// workflows and the preventive cycles, and waits until the worker has taken them up.
func (a *app) attachDemoWorkflows(ctx context.Context, out io.Writer, timeout time.Duration) error {
	began := time.Now()
	if a.cfg.Temporal.Address == "" {
		_, stop, err := a.startDevTemporal(ctx)
		if err != nil {
			return fmt.Errorf("%w (is `mif dev` running? then set TEMPORAL_ADDRESS to its server)", err)
		}
		defer stop()
	}
	if err := a.dialTemporal(ctx); err != nil {
		return err
	}
	acts, err := a.workerActivities()
	if err != nil {
		return err
	}
	w := a.wf.NewWorker(acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer w.Stop()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	n, err := demo.AttachWorkflows(wctx, a.wf.Interventions, a.store, true)
	if err != nil {
		return err
	}
	// The preventive cycles (one workflow per equipment with a frequency), started a few at a
	// time: a thousand one after the other take minutes on a dev server.
	ids, err := a.store.PreventiveEquipementIDs(wctx)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(wctx)
	for chunk := range slices.Chunk(ids, max(1, len(ids)/8+1)) {
		g.Go(func() error {
			_, err := a.wf.Preventive.Ensure(gctx, chunk)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(out, "workflows of %d open interventions and %d preventive cycles in place in %s\n", n, len(ids), time.Since(began).Round(time.Millisecond))
	return nil
}
