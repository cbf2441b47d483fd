package api

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mifmaroc/mif/config"
)

// Admission control: past capacity, a request waits a bounded time for a slot of its class and
// is then refused with 503, Retry-After and the code "overloaded" — never a 500, never an
// unbounded queue. Reads (GET, HEAD) and writes (everything else) have their own slots, so that
// reads stay fast while creates queue behind the workflow engine. Health checks and the
// notification stream (long-lived, bounded per user elsewhere) are not counted.

// errOverloaded is the cause of the context of an admitted read that outlived
// config.Admission.ReadTimeout (waiting for a database connection included).
var errOverloaded = errors.New("api: overloaded")

// gate bounds one class of requests: slots in flight, and how many may wait for one.
type gate struct {
	slots   chan struct{} // nil: no limit
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
}

func newGate(inFlight, queue int, wait time.Duration) *gate {
	g := &gate{queue: int64(queue), wait: wait}
	if inFlight > 0 {
		g.slots = make(chan struct{}, inFlight)
	}
	return g
}

// enter takes a slot, waiting at most g.wait (and never once the queue is full or ctx ends);
// false means refused. A true answer must be followed by leave.
func (g *gate) enter(ctx context.Context) bool {
	if g.slots == nil {
		return true
	}
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	if g.waiting.Add(1) > g.queue {
		g.waiting.Add(-1)
		return false
	}
	defer g.waiting.Add(-1)
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (g *gate) leave() {
	if g.slots != nil {
		<-g.slots
	}
}

// admission holds the two gates and the settings of the refusals.
type admission struct {
	reads, writes *gate
	readTimeout   time.Duration
	retryAfter    string
}

func newAdmission(c config.Admission) *admission {
	retry := int(c.RetryAfter / time.Second)
	if retry < 1 {
		retry = 1
	}
	return &admission{
		reads:       newGate(c.Reads, c.Queue, cmp.Or(c.ReadWait, c.Wait)),
		writes:      newGate(c.Writes, c.Queue, c.Wait),
		readTimeout: c.ReadTimeout,
		retryAfter:  strconv.Itoa(retry),
	}
}

// exempt: requests that are never refused for load (probes must tell the truth about the
// process, a stream holds its request for as long as the user reads).
func exempt(path string) bool {
	return strings.HasPrefix(path, "/api/v1/health") || strings.HasSuffix(path, "/notifications/stream")
}

// admit is the admission middleware (see the comment at the top of the file).
func (s *Server) admit(next http.Handler) http.Handler {
	a := s.admission
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exempt(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		g := a.writes
		if read {
			g = a.reads
		}
		if !g.enter(r.Context()) {
			s.metrics.overloaded(read)
			a.refuse(w, r)
			return
		}
		defer g.leave()
		if read && a.readTimeout > 0 {
			ctx, cancel := context.WithTimeoutCause(r.Context(), a.readTimeout, errOverloaded)
			defer cancel()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// refuse answers 503 overloaded with Retry-After.
func (a *admission) refuse(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", a.retryAfter)
	problemCode(w, r, http.StatusServiceUnavailable, CodeOverloaded,
		"service surchargé : trop de requêtes en cours, réessayez dans "+a.retryAfter+" s")
}

// overloadedRead tells whether r's context ended because the read outlived its time budget.
func overloadedRead(r *http.Request) bool {
	return r.Context().Err() != nil && errors.Is(context.Cause(r.Context()), errOverloaded)
}
