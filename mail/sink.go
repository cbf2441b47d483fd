package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the sink accepted, parsed.
type Received struct {
	ID         int       `json:"id"`
	ReceivedAt time.Time `json:"recu_le"`
	From       string    `json:"de"`
	To         []string  `json:"a"`
	Subject    string    `json:"sujet"`
	Text       string    `json:"texte"`
	HTML       string    `json:"html"`
	// AuthUser is who authenticated with AUTH PLAIN ("" without authentication).
	AuthUser string `json:"auth_user"`
	TLS      bool   `json:"tls"`
	Raw      []byte `json:"-"`
}

// SinkOptions configures a sink. The zero value accepts everything in clear text.
type SinkOptions struct {
	// Username/Password, when set, are required (AUTH PLAIN) before MAIL FROM.
	Username, Password string
	// TLS offers STARTTLS with a self-signed certificate for 127.0.0.1/localhost; the sink's
	// ClientTLSConfig trusts it.
	TLS bool
	// Keep bounds the messages kept in memory (oldest dropped); default 200.
	Keep int
}

// Sink is an in-process SMTP server that keeps what it receives in memory: the dev mail
// catcher behind GET /dev/mail, and the real SMTP server of the tests.
type Sink struct {
	srv      *smtp.Server
	ln       net.Listener
	opts     SinkOptions
	clientTC *tls.Config

	mu     sync.Mutex
	msgs   []Received
	nextID int
	notify chan struct{}
}

// StartSink listens on addr ("127.0.0.1:0" for any free port) and serves until Close.
func StartSink(addr string, opts SinkOptions) (*Sink, error) {
	if opts.Keep <= 0 {
		opts.Keep = 200
	}
	s := &Sink{opts: opts, notify: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &sinkSession{sink: s, tls: isTLS}, nil
	}))
	srv.Domain = "localhost"
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = discardLogger{}
	if opts.TLS {
		serverTC, clientTC, err := selfSigned()
		if err != nil {
			return nil, err
		}
		srv.TLSConfig, s.clientTC = serverTC, clientTC
	} else {
		// Without TLS the dev sink still accepts AUTH so that a configured username works.
		srv.AllowInsecureAuth = true
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mail: sink listen %s: %w", addr, err)
	}
	s.srv, s.ln = srv, ln
	go func() { _ = srv.Serve(ln) }()
	return s, nil
}

// Addr is host:port the sink listens on.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// ClientTLSConfig trusts the sink's certificate (nil without TLS).
func (s *Sink) ClientTLSConfig() *tls.Config { return s.clientTC }

// Close stops the server.
func (s *Sink) Close() error { return s.srv.Close() }

// Messages returns the messages received, oldest first.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Wait blocks until at least n messages have been received (or ctx ends) and returns them.
func (s *Sink) Wait(ctx context.Context, n int) ([]Received, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Received(nil), s.msgs...)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.notify
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Messages(), fmt.Errorf("mail: %d message(s) received, %d awaited: %w", len(s.Messages()), n, ctx.Err())
		}
	}
}

func (s *Sink) add(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	r.ID = s.nextID
	s.msgs = append(s.msgs, r)
	if len(s.msgs) > s.opts.Keep {
		s.msgs = s.msgs[len(s.msgs)-s.opts.Keep:]
	}
	close(s.notify)
	s.notify = make(chan struct{})
}

type sinkSession struct {
	sink     *Sink
	tls      bool
	authUser string
	from     string
	to       []string
}

func (ss *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if ss.sink.opts.Username != "" && (username != ss.sink.opts.Username || password != ss.sink.opts.Password) {
			return smtp.ErrAuthFailed
		}
		ss.authUser = username
		return nil
	}), nil
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.opts.Username != "" && ss.authUser == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rec, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "message illisible: " + err.Error()}
	}
	rec.From, rec.To, rec.AuthUser, rec.TLS, rec.ReceivedAt = ss.from, append([]string(nil), ss.to...), ss.authUser, ss.tls, time.Now()
	ss.sink.add(rec)
	return nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

// Parse reads a message: decoded subject and the text and HTML parts of a multipart/alternative
// body (or a single-part body).
func Parse(raw []byte) (Received, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return Received{}, err
	}
	rec := Received{Subject: subject, Raw: raw}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return Received{}, err
	}
	readPart := func(ct, cte string, body io.Reader) error {
		if strings.EqualFold(cte, "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			rec.Text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			rec.HTML = string(b)
		}
		return nil
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return rec, readPart(mt, m.Header.Get("Content-Transfer-Encoding"), m.Body)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return rec, nil
		}
		if err != nil {
			return Received{}, err
		}
		if err := readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
			return Received{}, err
		}
	}
}

// selfSigned makes a throw-away certificate for 127.0.0.1 and localhost, and a client config
// that trusts exactly it.
func selfSigned() (server, client *tls.Config, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "mif mail sink"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client, nil
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}
