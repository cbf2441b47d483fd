// Package mail sends the platform's e-mails through SMTP (github.com/emersion/go-smtp: AUTH
// PLAIN, STARTTLS), renders them from French templates with an HTML part and a text
// alternative, and offers an in-process SMTP sink for `mif dev` and tests.
package mail

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*
var templateFS embed.FS

// Templates are parsed once; a broken template fails at start-up, not when mail goes out.
type Templates struct {
	html *htmltemplate.Template
	text *texttemplate.Template
}

// LoadTemplates parses the embedded templates.
func LoadTemplates() (*Templates, error) {
	h, err := htmltemplate.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("mail: html templates: %w", err)
	}
	t, err := texttemplate.ParseFS(templateFS, "templates/*.txt")
	if err != nil {
		return nil, fmt.Errorf("mail: text templates: %w", err)
	}
	return &Templates{html: h, text: t}, nil
}

// Item is one notification in an e-mail. The fields after Date describe the intervention it is
// about (empty otherwise), with French labels and local dates.
type Item struct {
	Titre   string
	Message string
	Type    string
	Date    string

	Lien         string // the intervention's page in the frontend
	Intervention string // "n°42 — Réparation fuite hydraulique"
	Equipement   string
	Site         string
	Priorite     string
	Statut       string
	Technicien   string
	DateLimite   string
}

// NotificationData fills the notification template: one item is a plain notification, several
// make a digest.
type NotificationData struct {
	Prenom  string
	Subject string
	AppURL  string
	Items   []Item
}

// Message is an e-mail ready to send.
type Message struct {
	From    *mail.Address
	To      []*mail.Address
	Subject string
	Text    string
	HTML    string
	// MessageID is stable per logical message when set by the caller (retries reuse it, so a
	// receiving system can spot a duplicate); generated otherwise.
	MessageID string
}

// Notification renders the notification e-mail for data.
func (t *Templates) Notification(data NotificationData) (text, html string, err error) {
	var tb, hb bytes.Buffer
	if err := t.text.ExecuteTemplate(&tb, "notification.txt", data); err != nil {
		return "", "", fmt.Errorf("mail: render text: %w", err)
	}
	if err := t.html.ExecuteTemplate(&hb, "notification.html", data); err != nil {
		return "", "", fmt.Errorf("mail: render html: %w", err)
	}
	return tb.String(), hb.String(), nil
}

// Bytes encodes m as an RFC 5322 message: multipart/alternative with the text part first (the
// fallback) and the HTML part last (preferred), both UTF-8 quoted-printable.
func (m Message) Bytes(now time.Time) ([]byte, error) {
	if m.From == nil || len(m.To) == 0 {
		return nil, fmt.Errorf("mail: message without sender or recipient")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ ct, content string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", part.ct)
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	id := m.MessageID
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	domain := "mif.local"
	if at := strings.LastIndex(m.From.Address, "@"); at >= 0 {
		domain = m.From.Address[at+1:]
	}
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = a.String()
	}
	var out bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&out, "%s: %s\r\n", k, v) }
	hdr("From", m.From.String())
	hdr("To", strings.Join(to, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+id+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	hdr("Auto-Submitted", "auto-generated")
	out.WriteString("\r\n")
	out.Write(body.Bytes())
	return out.Bytes(), nil
}
