package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// The API answers a create once its row, historique and outbox entry are written and its
// workflow is started; the workflow then runs its first task (the create activity, the SLA timer,
// the escalation) at the pace of Temporal and the worker. The rate that matters for a sustained
// load is that end-to-end one: a create counts once its workflow answers its query with the row.

// Uptake is how fast the run's accepted creates went through Temporal.
type Uptake struct {
	Accepted int `json:"accepted"`
	// Checked are the last accepted creates (in sending order) whose workflows were watched: the
	// task queue is served about in order, so when they have run their create the earlier ones
	// have too.
	Checked int `json:"checked"`
	// SpanS runs from the first create sent to the moment the last checked workflow answered
	// with its row; AfterRunS from the end of the sends to that moment.
	SpanS     float64 `json:"span_s"`
	AfterRunS float64 `json:"after_run_s"`
	Rate      float64 `json:"rate_per_s"`
}

// uptakeChecked is how many of the last accepted creates are watched.
const uptakeChecked = 10

// measureUptake waits (at most wait) until the workflows of the last accepted creates have run
// their create, and gives the end-to-end rate. It returns nil when the run accepted no create.
func measureUptake(ctx context.Context, c *client, token func() string, samples []sample, sendsEnded time.Time, wait time.Duration) (*Uptake, error) {
	var accepted []sample
	for _, s := range samples {
		if s.endpoint == epCreate.Name && (s.code == 201 || s.code == 202) && s.location != "" {
			accepted = append(accepted, s)
		}
	}
	if len(accepted) == 0 {
		return nil, nil
	}
	slices.SortFunc(accepted, func(a, b sample) int { return a.start.Compare(b.start) })
	watched := accepted[max(0, len(accepted)-uptakeChecked):]
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var (
		mu   sync.Mutex
		last time.Time
		errs []error
		wg   sync.WaitGroup
	)
	for _, s := range watched {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at, err := waitTakenUp(ctx, c, token, s.location)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if at.After(last) {
				last = at
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("uptake of %d of the last %d creates not seen within %s: %w", len(errs), len(watched), wait, errs[0])
	}
	span := last.Sub(accepted[0].start)
	return &Uptake{Accepted: len(accepted), Checked: len(watched), SpanS: round2(span.Seconds()),
		AfterRunS: round2(last.Sub(sendsEnded).Seconds()), Rate: perSecond(len(accepted), span)}, nil
}

// waitTakenUp asks the intervention's workflow state until it shows the row, and tells when.
// Answers other than that one (503 while the platform is busy, a query the workflow cannot answer
// before its first task) are asked again.
func waitTakenUp(ctx context.Context, c *client, token func() string, location string) (time.Time, error) {
	var last error
	for {
		var st struct {
			Source  string `json:"source"`
			Created bool   `json:"created"`
		}
		_, err := c.do(ctx, "GET", location+"/workflow", token(), nil, &st)
		switch {
		case err == nil && st.Source == "workflow" && st.Created:
			return time.Now(), nil
		case err == nil:
			last = fmt.Errorf("%s: workflow state %+v", location, st)
		default:
			last = err
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%w (last answer: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func reportUptake(out io.Writer, u *Uptake) {
	fmt.Fprintf(out, "creates through Temporal: %d accepted, the last %d taken up by their workflows %.1f s after the sends ended: %.2f creates/s end to end (over %.1f s)\n",
		u.Accepted, u.Checked, u.AfterRunS, u.Rate, u.SpanS)
}
