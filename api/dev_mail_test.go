package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/mail"
)

func devMailServer(t *testing.T, sink *mail.Sink) string {
	t.Helper()
	cfg, err := config.Load(config.ModeDev, func(k string) (string, bool) {
		v, ok := map[string]string{"MIF_JWT_ALGORITHM": "HS256", "MIF_JWT_SECRET": "dev-mail-secret-dev-mail-secret-012345"}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Deps{Config: cfg, Log: zap.NewNop(), DevMail: sink})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func get(t *testing.T, url, accept string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestDevMailShowsWhatTheSinkReceived: in dev mode the API shows the SMTP sink's inbox at
// /dev/mail; without a sink (production) the route does not exist.
func TestDevMailShowsWhatTheSinkReceived(t *testing.T) {
	t.Parallel()
	sink, err := mail.StartSink("127.0.0.1:0", mail.SinkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sender, err := mail.NewSender(config.SMTP{Addr: sink.Addr(), From: "MIF Maroc <noreply@mif.ma>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(context.Background(), mail.Message{To: []*netmail.Address{{Address: "technicien@mif.ma"}},
		Subject: "[MIF] Intervention <assignée>", Text: "Bonjour Marie", HTML: "<p>Bonjour Marie</p>"}); err != nil {
		t.Fatal(err)
	}
	url := devMailServer(t, sink)
	status, _, body := get(t, url+"/dev/mail", "application/json")
	var msgs []mail.Received
	if err := json.Unmarshal([]byte(body), &msgs); status != http.StatusOK || err != nil || len(msgs) != 1 ||
		msgs[0].Subject != "[MIF] Intervention <assignée>" || msgs[0].To[0] != "technicien@mif.ma" || msgs[0].Text != "Bonjour Marie" {
		t.Fatalf("json: %d %v %s", status, err, body)
	}
	status, h, body := get(t, url+"/dev/mail", "")
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "[MIF] Intervention &lt;assignée&gt;") || strings.Contains(body, "<assignée>") ||
		// The HTML part is shown, rendered in a sandboxed frame (escaped into srcdoc, never inline).
		!strings.Contains(body, `<iframe sandbox`) || !strings.Contains(body, `srcdoc="&lt;p&gt;Bonjour Marie&lt;/p&gt;"`) {
		t.Fatalf("html: %d %s", status, body)
	}

	if status, _, _ := get(t, devMailServer(t, nil)+"/dev/mail", ""); status != http.StatusNotFound {
		t.Fatalf("without a sink: %d", status)
	}
}
