package api

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mifmaroc/mif/readcache"
)

// Answers of the busiest reads (the lists and the dashboard every screen polls) are kept for a
// moment and shared by the callers that see the same data (package readcache): what a route
// with withReadCache answers depends only on the request and on the caller's visibility scope
// (role, client, technicien profile), never on who the caller is beyond that.

// withReadCache serves the route's 200 answers from the read cache.
func withReadCache() routeOption { return func(c *routeConfig) { c.readCache = true } }

// cachedRead answers from the read cache, computing (and keeping) the answer with next on a miss.
func (s *Server) cachedRead(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.readCache.Enabled() {
			next.ServeHTTP(w, r)
			return
		}
		a, _ := s.readCache.Get(readCacheKey(r), principalFrom(r.Context()).UserID, func() (*readcache.Answer, bool) {
			rec := &answerRecorder{header: http.Header{}}
			next.ServeHTTP(rec, r)
			return rec.answer(), rec.status == http.StatusOK
		})
		h := w.Header()
		for k, vs := range a.Header {
			h[k] = vs
		}
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	})
}

// readCacheKey is the request as the answer depends on it: the caller's scope, the path, the
// query in canonical order, and the representation asked for.
func readCacheKey(r *http.Request) string {
	p := principalFrom(r.Context())
	var b strings.Builder
	b.WriteString(string(p.Role))
	b.WriteByte('|')
	if p.ClientID != nil {
		b.WriteString(strconv.FormatInt(*p.ClientID, 10))
	}
	b.WriteByte('|')
	if p.TechnicienID != nil {
		b.WriteString(strconv.FormatInt(*p.TechnicienID, 10))
	}
	b.WriteByte('|')
	b.WriteString(r.URL.Path)
	b.WriteByte('?')
	b.WriteString(r.URL.Query().Encode())
	b.WriteByte('|')
	b.WriteString(r.Header.Get("Accept"))
	return b.String()
}

// answerRecorder keeps what a handler writes, to be stored and then sent.
type answerRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *answerRecorder) Header() http.Header { return rec.header }

func (rec *answerRecorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
}

func (rec *answerRecorder) Write(p []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.body.Write(p)
}

func (rec *answerRecorder) answer() *readcache.Answer {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &readcache.Answer{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}
}

// recordWrites tells the read cache about the writes of an authenticated route before their
// answer leaves: the caller never reads, after its own write, an answer from before it, and the
// others' answers are dropped soon after (writes committed elsewhere arrive through PostgreSQL's
// announcements).
func (s *Server) recordWrites(next http.Handler) http.Handler {
	if !s.readCache.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := principalFrom(r.Context()).UserID
		ww := &writeNoticer{ResponseWriter: w, written: func() { s.readCache.Written(caller) }}
		next.ServeHTTP(ww, r)
		ww.notice()
	})
}

// writeNoticer calls written once, when the answer's status is about to be sent (or when the
// handler ends without writing).
type writeNoticer struct {
	http.ResponseWriter
	written func()
	done    bool
}

func (w *writeNoticer) notice() {
	if !w.done {
		w.done = true
		w.written()
	}
}

func (w *writeNoticer) WriteHeader(code int) {
	w.notice()
	w.ResponseWriter.WriteHeader(code)
}

func (w *writeNoticer) Write(p []byte) (int, error) {
	w.notice()
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (w *writeNoticer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ReadCacheStats are the read cache's hits, misses and bypassed reads since start (tests, metrics).
func (s *Server) ReadCacheStats() (hits, misses, bypassed uint64) {
	if s.readCache == nil {
		return 0, 0, 0
	}
	return s.readCache.Stats()
}

// registerReadCacheMetrics publishes the read cache's counters as mif_read_cache_total{result}.
func (s *Server) registerReadCacheMetrics() {
	for i, result := range []string{"hit", "miss", "bypass"} {
		c := prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "mif_read_cache_total",
			Help:        "Cached reads (lists, dashboard) answered from the cache (hit), computed (miss) or going around it while its LISTEN connection is down (bypass).",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 {
			h, m, b := s.ReadCacheStats()
			return float64([]uint64{h, m, b}[i])
		})
		// A second server in the same process (tests) keeps the first one's series.
		_ = s.metrics.registry.Register(c)
	}
}
