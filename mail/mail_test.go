package mail

import (
	"context"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/config"
)

func render(t *testing.T, items ...Item) (string, string) {
	t.Helper()
	tpl, err := LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	text, html, err := tpl.Notification(NotificationData{Prenom: "Youssef", AppURL: "http://localhost:8000", Items: items})
	if err != nil {
		t.Fatal(err)
	}
	return text, html
}

// TestSendThroughSTARTTLSAndAuth delivers a message to a real SMTP server (the sink) over
// STARTTLS with AUTH PLAIN, and checks what the server parsed.
func TestSendThroughSTARTTLSAndAuth(t *testing.T) {
	sink, err := StartSink("127.0.0.1:0", SinkOptions{Username: "mif", Password: "s3cret", TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	s, err := NewSender(config.SMTP{Addr: sink.Addr(), Username: "mif", Password: "s3cret", From: "MIF Maroc <noreply@mif.ma>", StartTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	s.TLSConfig = sink.ClientTLSConfig()
	text, html := render(t, Item{Titre: "Intervention assignée", Message: "L'intervention « Fuite » vous a été assignée <b>maintenant</b>", Type: "info", Date: "26/11/2026 10:00"})
	msg := Message{To: []*mail.Address{{Name: "Youssef Alami", Address: "technicien@mif.ma"}}, Subject: "[MIF] Intervention assignée — été", Text: text, HTML: html}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := sink.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := got[0]
	if !r.TLS || r.AuthUser != "mif" {
		t.Fatalf("tls=%v auth=%q: STARTTLS and AUTH PLAIN expected", r.TLS, r.AuthUser)
	}
	if r.From != "noreply@mif.ma" || len(r.To) != 1 || r.To[0] != "technicien@mif.ma" {
		t.Fatalf("envelope %q → %v", r.From, r.To)
	}
	if r.Subject != "[MIF] Intervention assignée — été" {
		t.Fatalf("subject %q", r.Subject)
	}
	if !strings.Contains(r.Text, "Bonjour Youssef") || !strings.Contains(r.Text, "« Fuite »") || strings.Contains(r.Text, "&lt;") {
		t.Fatalf("text part:\n%s", r.Text)
	}
	// The HTML part escapes the message: no markup injected through a notification.
	if !strings.Contains(r.HTML, "&lt;b&gt;maintenant&lt;/b&gt;") || !strings.Contains(r.HTML, `lang="fr"`) {
		t.Fatalf("html part:\n%s", r.HTML)
	}
}

func TestSendRefusals(t *testing.T) {
	sink, err := StartSink("127.0.0.1:0", SinkOptions{Username: "mif", Password: "s3cret", TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	msg := Message{To: []*mail.Address{{Address: "a@mif.ma"}}, Subject: "x", Text: "x", HTML: "x"}

	bad, _ := NewSender(config.SMTP{Addr: sink.Addr(), Username: "mif", Password: "wrong", From: "noreply@mif.ma", StartTLS: true})
	bad.TLSConfig = sink.ClientTLSConfig()
	if err := bad.Send(context.Background(), msg); err == nil || !Permanent(err) {
		t.Fatalf("wrong password: %v (permanent=%v)", err, Permanent(err))
	}
	// Without the sink's certificate in the trust store, STARTTLS must fail rather than go on in
	// clear text.
	untrusted, _ := NewSender(config.SMTP{Addr: sink.Addr(), Username: "mif", Password: "s3cret", From: "noreply@mif.ma", StartTLS: true})
	if err := untrusted.Send(context.Background(), msg); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	noAuth, _ := NewSender(config.SMTP{Addr: sink.Addr(), From: "noreply@mif.ma", StartTLS: true})
	noAuth.TLSConfig = sink.ClientTLSConfig()
	if err := noAuth.Send(context.Background(), msg); err == nil {
		t.Fatal("a sink requiring AUTH must refuse an anonymous sender")
	}
	off, _ := NewSender(config.SMTP{From: "noreply@mif.ma"})
	if err := off.Send(context.Background(), msg); err != ErrDisabled {
		t.Fatalf("disabled: %v", err)
	}
	if len(sink.Messages()) != 0 {
		t.Fatalf("nothing should have been delivered: %+v", sink.Messages())
	}
}

func TestDigestTemplate(t *testing.T) {
	text, html := render(t,
		Item{Titre: "Intervention assignée", Message: "A", Type: "info", Date: "d1"},
		Item{Titre: "SLA dépassé", Message: "B", Type: "warning", Date: "d2"},
		Item{Titre: "Intervention terminée", Message: "C", Type: "success", Date: "d3"})
	for _, want := range []string{"Vous avez 3 nouvelles notifications", "- SLA dépassé", "Intervention terminée"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(html, "<li") != 3 {
		t.Errorf("html should list 3 items:\n%s", html)
	}
}
