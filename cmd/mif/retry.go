package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"
)

// Backoff of start-up retries: the first wait, and the longest.
const (
	retryFirstWait = 500 * time.Millisecond
	retryMaxWait   = 10 * time.Second
)

// retry runs attempt until it succeeds, ctx ends, or total (MIF_STARTUP_TIMEOUT) has passed,
// waiting between attempts with an exponential backoff and some jitter (replicas started together
// do not knock in step). PostgreSQL and Temporal are often still starting when `mif` starts
// (docker compose, a Kubernetes rollout, a host reboot): waiting for them here is what lets the
// platform come up in any order, where a restart loop would only add noise. total = 0 is one
// attempt.
func retry(ctx context.Context, total time.Duration, log *zap.Logger, what string, attempt func(context.Context) error) error {
	deadline := time.Now().Add(total)
	wait := retryFirstWait
	for n := 1; ; n++ {
		err := attempt(ctx)
		if err == nil {
			if n > 1 {
				log.Info(what+" ready", zap.Int("attempts", n))
			}
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			if n > 1 {
				return fmt.Errorf("%w (gave up after %d attempts in %s, MIF_STARTUP_TIMEOUT)", err, n, total)
			}
			return err
		}
		sleep := min(wait+time.Duration(rand.Int64N(int64(wait)/5+1)), left)
		log.Warn(what+" not ready, retrying", zap.Error(err), zap.Int("attempt", n), zap.Duration("next_in", sleep))
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, retryMaxWait)
	}
}
