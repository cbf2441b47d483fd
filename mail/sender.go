package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"go.opentelemetry.io/otel/trace"

	"github.com/mifmaroc/mif/config"
)

// ErrDisabled means no SMTP server is configured (MIF_SMTP_ADDR empty).
var ErrDisabled = errors.New("mail: envoi d'e-mails désactivé (MIF_SMTP_ADDR vide)")

// Sender delivers messages to the configured SMTP relay, one connection per message (the
// volume is small, and a fresh connection never trips over a relay's idle timeout).
type Sender struct {
	cfg  config.SMTP
	from *mail.Address
	// TLSConfig verifies the relay's certificate for STARTTLS; nil uses the system roots and the
	// relay's host name. Tests set it to trust their sink's certificate.
	TLSConfig *tls.Config
	// Timeout bounds one delivery (dial to QUIT).
	Timeout time.Duration
	// tracer records each delivery as a span (tracing.go); nil records nothing.
	tracer trace.Tracer
}

// NewSender checks the sender address and builds a Sender.
func NewSender(cfg config.SMTP) (*Sender, error) {
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: MIF_SMTP_FROM %q: %w", cfg.From, err)
	}
	return &Sender{cfg: cfg, from: from, Timeout: 30 * time.Second}, nil
}

// From is the sender address.
func (s *Sender) From() *mail.Address { return s.from }

// Enabled reports whether a relay is configured.
func (s *Sender) Enabled() bool { return s.cfg.Addr != "" }

// send delivers m (Send, tracing.go, wraps it in a span). Errors say which step failed; SMTP
// errors keep their code so that callers can tell a permanent refusal (5xx) from a temporary one.
func (s *Sender) send(ctx context.Context, m Message) error {
	if !s.Enabled() {
		return ErrDisabled
	}
	if m.From == nil {
		m.From = s.from
	}
	raw, err := m.Bytes(time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mail: connect %s: %w", s.cfg.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	var c *smtp.Client
	if s.cfg.StartTLS {
		tc := s.TLSConfig
		if tc == nil {
			tc = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if c, err = smtp.NewClientStartTLS(conn, tc); err != nil {
			_ = conn.Close()
			return fmt.Errorf("mail: STARTTLS with %s: %w", s.cfg.Addr, err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if s.cfg.Username != "" {
		// PLAIN sends the password as is: only over TLS, or to a relay on this machine.
		if _, isTLS := c.TLSConnectionState(); !isTLS && !isLoopback(host) {
			return fmt.Errorf("mail: refusing AUTH PLAIN without TLS to %s (set MIF_SMTP_STARTTLS=true)", s.cfg.Addr)
		}
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return fmt.Errorf("mail: AUTH: %w", err)
		}
	}
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = a.Address
	}
	if err := c.SendMail(m.From.Address, to, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("mail: quit: %w", err)
	}
	return nil
}

// Permanent reports whether err is an SMTP refusal that retrying will not change (5xx).
func Permanent(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code >= 500
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
