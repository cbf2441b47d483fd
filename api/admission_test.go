package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/storage"
)

// admissionServer is a Server whose router is replaced by h behind the admission middleware.
func admissionServer(t *testing.T, c config.Admission, h http.HandlerFunc) (*Server, *httptest.Server) {
	t.Helper()
	s := newRouteTestServer(t, nil)
	s.admission = newAdmission(c)
	ts := httptest.NewServer(withRequestID(s.admit(h)))
	t.Cleanup(ts.Close)
	return s, ts
}

// blocker is a handler that holds its requests until released, announcing each arrival.
type blocker struct {
	arrived chan string
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{arrived: make(chan string, 16), release: make(chan struct{})}
}

func (b *blocker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("hold") != "" {
		b.arrived <- r.Method + " " + r.URL.Path
		<-b.release
	}
	w.WriteHeader(http.StatusOK)
}

// send runs one request in the background and delivers its answer.
func send(t *testing.T, method, url string) <-chan *http.Response {
	t.Helper()
	out := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(method, url, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", method, url, err)
			close(out)
			return
		}
		_ = res.Body.Close()
		out <- res
	}()
	return out
}

func do(t *testing.T, method, url string) (*http.Response, Problem) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var p Problem
	if res.StatusCode != http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
			t.Fatalf("%s %s: %d, body is not a problem: %v", method, url, res.StatusCode, err)
		}
	}
	return res, p
}

func assertOverloaded(t *testing.T, what string, res *http.Response, p Problem) {
	t.Helper()
	if res.StatusCode != http.StatusServiceUnavailable || p.Code != CodeOverloaded || res.Header.Get("Retry-After") != "1" ||
		res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s: %d %q Retry-After %q, want 503 overloaded with Retry-After 1", what, res.StatusCode, p.Code, res.Header.Get("Retry-After"))
	}
}

// TestAdmissionRefusesWritesPastCapacityWhileReadsPass: with the write slot taken, one more
// write waits its bounded time and gets 503 overloaded with Retry-After; reads have their own
// slots and are served meanwhile; once the slot is free, writes are served again.
func TestAdmissionRefusesWritesPastCapacityWhileReadsPass(t *testing.T) {
	t.Parallel()
	b := newBlocker()
	_, ts := admissionServer(t, config.Admission{Reads: 2, Writes: 1, Queue: 4, Wait: 20 * time.Millisecond, RetryAfter: time.Second}, b.ServeHTTP)

	held := send(t, http.MethodPost, ts.URL+"/api/v1/interventions?hold=1")
	<-b.arrived
	res, p := do(t, http.MethodPost, ts.URL+"/api/v1/interventions")
	assertOverloaded(t, "second write", res, p)
	if res, _ := do(t, http.MethodGet, ts.URL+"/api/v1/interventions"); res.StatusCode != http.StatusOK {
		t.Fatalf("read while writes are full: %d", res.StatusCode)
	}
	if res, _ := do(t, http.MethodGet, ts.URL+"/api/v1/health/ready"); res.StatusCode != http.StatusOK {
		t.Fatalf("health check while writes are full: %d", res.StatusCode)
	}
	close(b.release)
	if res := <-held; res == nil || res.StatusCode != http.StatusOK {
		t.Fatalf("held write: %v", res)
	}
	if res, _ := do(t, http.MethodDelete, ts.URL+"/api/v1/interventions/1"); res.StatusCode != http.StatusOK {
		t.Fatalf("write after the slot was freed: %d", res.StatusCode)
	}
}

// TestAdmissionQueueIsBounded: with the slot taken and the queue full, one more request is
// refused at once (its wait would otherwise last an hour: the test would time out), and the
// queued one is served when the slot frees.
func TestAdmissionQueueIsBounded(t *testing.T) {
	t.Parallel()
	b := newBlocker()
	s, ts := admissionServer(t, config.Admission{Reads: 1, Writes: 1, Queue: 1, Wait: time.Hour, RetryAfter: time.Second}, b.ServeHTTP)

	held := send(t, http.MethodGet, ts.URL+"/api/v1/equipements?hold=1")
	<-b.arrived
	queued := send(t, http.MethodGet, ts.URL+"/api/v1/equipements")
	poll.Until(t, "one read waiting", func() error {
		if n := s.admission.reads.waiting.Load(); n != 1 {
			return fmt.Errorf("%d waiting", n)
		}
		return nil
	})
	res, p := do(t, http.MethodGet, ts.URL+"/api/v1/equipements")
	assertOverloaded(t, "read past the queue", res, p)
	close(b.release)
	for name, ch := range map[string]<-chan *http.Response{"held": held, "queued": queued} {
		if res := <-ch; res == nil || res.StatusCode != http.StatusOK {
			t.Fatalf("%s read: %v", name, res)
		}
	}
}

// TestAdmissionServesEveryoneWithinCapacity: as many concurrent requests as slots are all served.
func TestAdmissionServesEveryoneWithinCapacity(t *testing.T) {
	t.Parallel()
	const n = 8
	b := newBlocker()
	_, ts := admissionServer(t, config.Admission{Reads: n, Writes: n, Queue: 0, Wait: 0, RetryAfter: time.Second}, b.ServeHTTP)
	var answers []<-chan *http.Response
	for i := 0; i < n; i++ {
		answers = append(answers, send(t, http.MethodGet, ts.URL+"/api/v1/techniciens?hold=1"), send(t, http.MethodPatch, ts.URL+"/api/v1/techniciens/1?hold=1"))
	}
	for i := 0; i < 2*n; i++ {
		<-b.arrived // all 2n are in flight at once
	}
	close(b.release)
	for _, ch := range answers {
		if res := <-ch; res == nil || res.StatusCode != http.StatusOK {
			t.Fatalf("request within capacity: %v", res)
		}
	}
}

// TestAdmissionReadWaitingForTheDatabasePoolGets503: a read that cannot get a database
// connection (the pool's only one is held by a transaction) is abandoned at its time budget and
// answered 503 overloaded with Retry-After, not left hanging nor answered 500.
func TestAdmissionReadWaitingForTheDatabasePoolGets503(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t, testdb.Conns(1))
	db, err := storage.Open(context.Background(), url, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	store := storage.New(db)
	var s *Server
	s, ts := admissionServer(t, config.Admission{Reads: 4, Writes: 4, Queue: 4, Wait: time.Second, ReadTimeout: 50 * time.Millisecond, RetryAfter: time.Second},
		func(w http.ResponseWriter, r *http.Request) {
			if _, err := store.DashboardStats(r.Context(), domain.Principal{Role: domain.RoleAdmin}, time.Now()); err != nil {
				s.fail(w, r, err)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
	if _, err := store.DashboardStats(context.Background(), domain.Principal{Role: domain.RoleAdmin}, time.Now()); err != nil {
		t.Fatal(err) // the pool works
	}
	tx, err := db.Begin() // takes the pool's only connection
	if err != nil {
		t.Fatal(err)
	}
	res, p := do(t, http.MethodGet, ts.URL+"/api/v1/dashboard/stats")
	_ = tx.Rollback()
	assertOverloaded(t, "read without a connection", res, p)
}
