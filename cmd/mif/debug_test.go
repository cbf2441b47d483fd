package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDebugListenerServesPprof: the debug listener answers pprof; it is its own handler, not the
// API's (which never serves /debug/pprof).
func TestDebugListenerServesPprof(t *testing.T) {
	srv := httptest.NewServer(debugServer("127.0.0.1:0").Handler)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("pprof: %d %.200s", res.StatusCode, body)
	}
	res, err = http.Get(srv.URL + "/api/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("the debug listener serves other paths: %d", res.StatusCode)
	}
}
