package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// account is a logged-in user whose access token is kept fresh for the whole run.
type account struct {
	Email   string
	Role    string
	UserID  int64
	token   atomic.Pointer[string]
	refresh string
	expires time.Time
}

func (a *account) Token() string { return *a.token.Load() }

// client talks to the API for set-up: logins, discovery, refreshes (not measured).
type client struct {
	base *url.URL
	http *http.Client
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	User         struct {
		ID   int64  `json:"id"`
		Role string `json:"role"`
	} `json:"user"`
}

func (c *client) do(ctx context.Context, method, path, token string, body any, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %.300s", method, path, res.Status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return res.Header, nil
}

func (c *client) login(ctx context.Context, email, password string) (*account, error) {
	var t tokenAnswer
	if _, err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, &t); err != nil {
		return nil, err
	}
	a := &account{Email: email, Role: t.User.Role, UserID: t.User.ID}
	a.set(t)
	return a, nil
}

func (a *account) set(t tokenAnswer) {
	tok := t.AccessToken
	a.token.Store(&tok)
	a.refresh = t.RefreshToken
	a.expires = time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
}

// refreshAt is when a token valid until expires is renewed: at 80 % of its life left behind, and
// at least a minute before it ends.
func refreshAt(issued, expires time.Time) time.Time {
	life := expires.Sub(issued)
	at := issued.Add(life * 8 / 10)
	if latest := expires.Add(-time.Minute); at.After(latest) {
		at = latest
	}
	if at.Before(issued) {
		at = issued
	}
	return at
}

// keepFresh renews the account's access token before it expires, until ctx ends: refresh
// (rotating the refresh token), or a new login when the refresh fails.
func (c *client) keepFresh(ctx context.Context, a *account, password string) {
	for {
		issued := time.Now()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(refreshAt(issued, a.expires))):
		}
		var t tokenAnswer
		_, err := c.do(ctx, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.refresh}, &t)
		if err == nil {
			a.set(t)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		log.Printf("refresh of %s failed (%v); logging in again", a.Email, err)
		fresh, err := c.login(ctx, a.Email, password)
		if err != nil {
			log.Printf("login of %s failed: %v", a.Email, err)
			time.Sleep(5 * time.Second)
			continue
		}
		a.token.Store(fresh.token.Load())
		a.refresh, a.expires = fresh.refresh, fresh.expires
	}
}

// seedAccounts are the demo accounts of `mif seed`, used first and when discovery fails.
var seedAccounts = map[string][]string{
	"admin":       {"admin@mif.ma"},
	"responsable": {"responsable@mif.ma"},
	"technicien":  {"technicien@mif.ma", "technicien2@mif.ma", "technicien3@mif.ma"},
	"client":      {"client@cimatlas.ma", "client@laiteriesouss.ma"},
}

// discoverAccounts logs in up to perRole accounts of each role in roles (bcrypt-heavy, so once,
// up front): the demo seed's first, then active accounts of that role listed by the admin
// (the volume data set's, which share the demo password).
func (c *client) discoverAccounts(ctx context.Context, admin, password string, roles []string, perRole int) (map[string][]*account, error) {
	candidates := map[string][]string{}
	for _, r := range roles {
		candidates[r] = slices.Clone(seedAccounts[r])
	}
	adm, err := c.login(ctx, admin, password)
	if err != nil {
		log.Printf("discovery: login of %s failed (%v); using the demo seed's accounts only", admin, err)
	} else {
		for _, r := range roles {
			var users []struct {
				Email string `json:"email"`
			}
			q := url.Values{"role": {r}, "is_active": {"true"}, "limit": {strconv.Itoa(min(200, perRole+10))}}
			if _, err := c.do(ctx, http.MethodGet, "/api/v1/users?"+q.Encode(), adm.Token(), nil, &users); err != nil {
				log.Printf("discovery of %s accounts: %v", r, err)
				continue
			}
			for _, u := range users {
				if !slices.Contains(candidates[r], u.Email) {
					candidates[r] = append(candidates[r], u.Email)
				}
			}
		}
	}
	out := map[string][]*account{}
	for _, r := range roles {
		// Logins one at a time: each costs the server a bcrypt (about a quarter of a core-second).
		for _, email := range candidates[r] {
			if len(out[r]) >= perRole {
				break
			}
			if adm != nil && email == adm.Email && r == "admin" {
				out[r] = append(out[r], adm)
				continue
			}
			a, err := c.login(ctx, email, password)
			if err != nil {
				log.Printf("login of %s: %v", email, err)
				continue
			}
			out[r] = append(out[r], a)
		}
		if len(out[r]) == 0 {
			return nil, fmt.Errorf("no %s account could log in (password from -password)", r)
		}
	}
	return out, nil
}

// equipementIDs lists the equipment an intervention may be created on (not retired), reading the
// list as the given account.
func (c *client) equipementIDs(ctx context.Context, token string, maxIDs int) ([]int64, error) {
	var ids []int64
	for offset := 0; len(ids) < maxIDs; offset += 200 {
		var page []struct {
			ID     int64  `json:"id"`
			Statut string `json:"statut"`
		}
		h, err := c.do(ctx, http.MethodGet, "/api/v1/equipements?limit=200&offset="+strconv.Itoa(offset), token, nil, &page)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.Statut != "retire" {
				ids = append(ids, e.ID)
			}
		}
		total, _ := strconv.Atoi(strings.TrimSpace(h.Get("X-Total-Count")))
		if len(page) == 0 || offset+200 >= total {
			break
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no equipment to create interventions on")
	}
	return ids, nil
}
