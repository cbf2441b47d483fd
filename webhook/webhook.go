// Package webhook signs webhook deliveries and sends them without letting a subscription reach
// the platform's own network (SSRF): only http(s), and no loopback, link-local, private,
// unspecified or multicast address unless the administrator allowed the host.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Headers of a delivery.
const (
	HeaderID        = "X-MIF-Webhook-Id"        // the event's id: the same on every attempt and replay
	HeaderEvent     = "X-MIF-Webhook-Event"     // the event type, e.g. intervention.created
	HeaderTimestamp = "X-MIF-Webhook-Timestamp" // Unix seconds of this attempt
	HeaderSignature = "X-MIF-Webhook-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// NewSecret returns a fresh signing secret (shown once to the administrator).
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// Sign is the value of HeaderSignature for body sent at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a received delivery as a subscriber should: the signature matches (in constant
// time) and the timestamp is within tolerance of now (replayed captures are refused).
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(header.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return errors.New("webhook: bad timestamp")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp outside tolerance")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(header.Get(HeaderSignature))) {
		return errors.New("webhook: bad signature")
	}
	return nil
}

// ErrRefused marks a URL or address the guard refuses.
var ErrRefused = errors.New("webhook: destination refused")

// Guard decides which destinations webhooks may reach.
type Guard struct {
	hosts    map[string]bool
	prefixes []netip.Prefix
}

// NewGuard builds a guard over the administrator's allow-list: host names, IP addresses or CIDR
// prefixes that may be reached although private.
func NewGuard(allow []string) *Guard {
	g := &Guard{hosts: map[string]bool{}}
	for _, a := range allow {
		a = strings.ToLower(strings.TrimSpace(a))
		if p, err := netip.ParsePrefix(a); err == nil {
			g.prefixes = append(g.prefixes, p.Masked())
		} else if ip, err := netip.ParseAddr(a); err == nil {
			g.prefixes = append(g.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
		} else if a != "" {
			g.hosts[a] = true
		}
	}
	return g
}

// CheckURL validates a subscription URL: http or https, a host, no credentials, and every address
// the host resolves to allowed now (the delivery checks again at connection time, since DNS may
// change).
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%w: URL http(s) absolue attendue", ErrRefused)
	}
	if u.User != nil {
		return fmt.Errorf("%w: pas d'identifiants dans l'URL", ErrRefused)
	}
	host := strings.ToLower(u.Hostname())
	if g.hosts[host] {
		return nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("%w: hôte %s introuvable", ErrRefused, host)
	}
	for _, ip := range ips {
		if err := g.checkAddr(ip); err != nil {
			return err
		}
	}
	return nil
}

// checkAddr refuses internal addresses outside the allow-list.
func (g *Guard) checkAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	for _, p := range g.prefixes {
		if p.Contains(ip) {
			return nil
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || cgnat.Contains(ip) {
		return fmt.Errorf("%w: adresse interne %s (autorisez l'hôte dans MIF_WEBHOOK_ALLOW_HOSTS)", ErrRefused, ip)
	}
	return nil
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598), internal as well.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Client is an HTTP client whose every connection is checked against the guard at dial time
// (the address actually connected, so DNS rebinding cannot slip past the check at
// subscription), that never follows redirects and that uses no proxy.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			d := *dialer
			if !g.hosts[strings.ToLower(host)] {
				d.Control = func(_, address string, _ syscall.RawConn) error {
					ap, err := netip.ParseAddrPort(address)
					if err != nil {
						return fmt.Errorf("%w: %s", ErrRefused, address)
					}
					return g.checkAddr(ap.Addr())
				}
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
