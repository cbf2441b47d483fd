package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mifmaroc/mif/webhook"
)

func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_764_000_000, 0)
	body := []byte(`{"id":1}`)
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, "1764000000")
	h.Set(webhook.HeaderSignature, webhook.Sign(secret, now, body))
	if err := webhook.Verify(secret, h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, check := range map[string]func() error{
		"tampered body": func() error { return webhook.Verify(secret, h, []byte(`{"id":2}`), now, time.Minute) },
		"other secret":  func() error { return webhook.Verify(secret+"x", h, body, now, time.Minute) },
		"stale":         func() error { return webhook.Verify(secret, h, body, now.Add(time.Hour), 5*time.Minute) },
	} {
		if check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestGuardRefusesInternalDestinations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := webhook.NewGuard(nil)
	for _, u := range []string{"ftp://example.com/x", "http://127.0.0.1:8000/", "http://localhost/", "http://[::1]/", "http://10.1.2.3/",
		"http://192.168.1.1/", "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/", "http://user:pw@example.com/", "/relative"} {
		if err := g.CheckURL(ctx, u); !errors.Is(err, webhook.ErrRefused) {
			t.Errorf("%s: %v, want refused", u, err)
		}
	}
	if err := g.CheckURL(ctx, "https://93.184.215.14/hook"); err != nil {
		t.Errorf("a public address: %v", err)
	}
	allowed := webhook.NewGuard([]string{"127.0.0.1", "10.0.0.0/8", "intranet.local"})
	for _, u := range []string{"http://127.0.0.1:9/", "http://10.9.8.7/", "http://intranet.local/hook"} {
		if err := allowed.CheckURL(ctx, u); err != nil {
			t.Errorf("%s allowed by the list: %v", u, err)
		}
	}
}

// TestGuardChecksTheConnectedAddress: the client refuses to connect to a loopback server unless
// allowed, whatever the URL said at subscription time.
func TestGuardChecksTheConnectedAddress(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	res, err := webhook.NewGuard(nil).Client(5*time.Second).Post(srv.URL, "application/json", nil)
	if err == nil {
		res.Body.Close()
		t.Fatal("connected to a loopback server")
	}
	if !errors.Is(err, webhook.ErrRefused) {
		t.Fatalf("refused for another reason: %v", err)
	}
	res, err = webhook.NewGuard([]string{"127.0.0.1"}).Client(5*time.Second).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", res.StatusCode)
	}
}
