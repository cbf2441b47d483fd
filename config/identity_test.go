package config

import (
	"strings"
	"testing"
	"time"
)

func TestIdentityDefaults(t *testing.T) {
	c, err := Load(ModeDev, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	id := c.Identity
	if id.OIDC.Enabled() || id.OIDC.RoleClaim != "mif_role" || id.OIDC.AcceptProviderTokens || id.OIDC.StateTTL != 10*time.Minute {
		t.Fatalf("oidc defaults %+v", id.OIDC)
	}
	b := id.BruteForce
	if b.Window != 15*time.Minute || b.FreeAttempts != 3 || b.LockThreshold != 10 || b.BaseDelay != time.Second ||
		b.IPFreeAttempts != 20 || b.IPLockThreshold != 100 || b.LockDuration != 15*time.Minute {
		t.Fatalf("brute-force defaults %+v", b)
	}
	if id.Casbin.ReloadInterval != 5*time.Second || id.Casbin.PolicyFile != "" {
		t.Fatalf("casbin defaults %+v", id.Casbin)
	}
}

func TestIdentityOIDCSettings(t *testing.T) {
	c, err := Load(ModeProd, env(map[string]string{
		"MIF_JWT_ALGORITHM": "HS256", "MIF_JWT_SECRET": strings.Repeat("s", 32),
		"MIF_OIDC_ISSUER": "https://login.mif.ma/realms/mif", "MIF_OIDC_CLIENT_ID": "mif-api",
		"MIF_OIDC_CLIENT_SECRET": "s3cret", "MIF_OIDC_REDIRECT_URL": "https://api.mif.ma/api/v1/auth/oidc/callback",
		"MIF_OIDC_ROLE_CLAIM": "groups", "MIF_OIDC_ACCEPT_PROVIDER_TOKENS": "true", "MIF_OIDC_SCOPES": "openid, email",
	}))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Identity.OIDC
	if !o.Enabled() || o.ClientSecret != "s3cret" || o.RoleClaim != "groups" || !o.AcceptProviderTokens || len(o.Scopes) != 2 {
		t.Fatalf("oidc %+v", o)
	}
}

func TestIdentityBadValuesAreNamed(t *testing.T) {
	_, err := Load(ModeProd, env(map[string]string{
		"MIF_JWT_ALGORITHM": "HS256", "MIF_JWT_SECRET": strings.Repeat("s", 32),
		"MIF_OIDC_ISSUER":          "http://login.example.com",
		"MIF_OIDC_FRONTEND_URL":    "not a url",
		"MIF_LOGIN_FREE_ATTEMPTS":  "5",
		"MIF_LOGIN_LOCK_THRESHOLD": "4",
		"MIF_LOGIN_LOCK_DURATION":  "2h",
		"MIF_LOGIN_BASE_DELAY":     "10s",
		"MIF_LOGIN_MAX_DELAY":      "1s",
	}))
	if err == nil {
		t.Fatal("bad identity settings accepted")
	}
	for _, name := range []string{"MIF_OIDC_ISSUER", "MIF_OIDC_CLIENT_ID", "MIF_OIDC_REDIRECT_URL", "MIF_OIDC_FRONTEND_URL",
		"MIF_LOGIN_LOCK_THRESHOLD", "MIF_LOGIN_LOCK_DURATION", "MIF_LOGIN_MAX_DELAY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestSessionLimits(t *testing.T) {
	c, err := Load(ModeDev, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Identity.Sessions; s.MaxLifetime != 30*24*time.Hour || s.IdleTimeout != c.JWT.RefreshTTL {
		t.Fatalf("session defaults %+v", s)
	}
	// The idle timeout follows the refresh-token lifetime unless set.
	c, err = Load(ModeDev, env(map[string]string{"MIF_JWT_REFRESH_TTL": "48h", "MIF_SESSION_MAX_LIFETIME": "8h"}))
	if err != nil || c.Identity.Sessions.IdleTimeout != 48*time.Hour || c.Identity.Sessions.MaxLifetime != 8*time.Hour {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = Load(ModeDev, env(map[string]string{"MIF_SESSION_IDLE_TIMEOUT": "2h"}))
	if err != nil || c.Identity.Sessions.IdleTimeout != 2*time.Hour {
		t.Fatalf("%+v %v", c, err)
	}
	_, err = Load(ModeDev, env(map[string]string{"MIF_SESSION_MAX_LIFETIME": "1s", "MIF_SESSION_IDLE_TIMEOUT": "200h"}))
	if err == nil || !strings.Contains(err.Error(), "MIF_SESSION_MAX_LIFETIME") || !strings.Contains(err.Error(), "MIF_SESSION_IDLE_TIMEOUT") {
		t.Fatalf("bad session limits: %v", err)
	}
}

func TestStreamsPerUser(t *testing.T) {
	c, err := Load(ModeDev, env(nil))
	if err != nil || c.StreamsPerUser != 5 {
		t.Fatalf("default %+v %v", c, err)
	}
	if c, err = Load(ModeDev, env(map[string]string{"MIF_STREAMS_PER_USER": "2"})); err != nil || c.StreamsPerUser != 2 {
		t.Fatalf("set: %v", err)
	}
	if _, err = Load(ModeDev, env(map[string]string{"MIF_STREAMS_PER_USER": "0"})); err == nil || !strings.Contains(err.Error(), "MIF_STREAMS_PER_USER") {
		t.Fatalf("zero: %v", err)
	}
}
