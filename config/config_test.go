package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsInDev(t *testing.T) {
	c, err := Load(ModeDev, env(nil))
	if err != nil {
		t.Fatalf("dev defaults must be valid: %v", err)
	}
	if c.HTTPAddr != ":8000" || c.Temporal.Address != "" || c.LogFormat != "console" || c.JWT.AccessTTL != 15*time.Minute {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if len(c.CORSOrigins) != 2 || c.CORSOrigins[0] != "http://localhost:3000" {
		t.Fatalf("cors defaults: %v", c.CORSOrigins)
	}
}

func TestProductionNeedsAKey(t *testing.T) {
	_, err := Load(ModeProd, env(nil))
	if err == nil || !strings.Contains(err.Error(), "MIF_JWT_PRIVATE_KEY_FILE") {
		t.Fatalf("want an error naming MIF_JWT_PRIVATE_KEY_FILE, got %v", err)
	}
	c, err := Load(ModeProd, env(map[string]string{"MIF_JWT_ALGORITHM": "hs256", "MIF_JWT_SECRET": strings.Repeat("s", 32)}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Temporal.Address != "127.0.0.1:7233" || c.LogFormat != "json" || c.JWT.Algorithm != "HS256" {
		t.Fatalf("unexpected prod config: %+v", c)
	}
}

func TestEveryBadValueIsNamed(t *testing.T) {
	_, err := Load(ModeDev, env(map[string]string{
		"DATABASE_URL":              "mysql://x",
		"MIF_HTTP_ADDR":             "8000",
		"MIF_DB_MAX_OPEN_CONNS":     "many",
		"MIF_LOG_LEVEL":             "verbose",
		"MIF_JWT_ACCESS_TTL":        "15",
		"TEMPORAL_ADDRESS":          "nohost",
		"MIF_SMTP_STARTTLS":         "perhaps",
		"MIF_CORS_ORIGINS":          "localhost",
		"MIF_SLA_CRITIQUE":          "-1h",
		"MIF_JWT_ALGORITHM":         "HS256",
		"MIF_JWT_SECRET":            "short",
		"MIF_BOOTSTRAP_ADMIN_EMAIL": "admin@mif.ma",
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{"DATABASE_URL", "MIF_HTTP_ADDR", "MIF_DB_MAX_OPEN_CONNS", "MIF_LOG_LEVEL",
		"MIF_JWT_ACCESS_TTL", "TEMPORAL_ADDRESS", "MIF_SMTP_STARTTLS", "MIF_CORS_ORIGINS", "MIF_SLA_CRITIQUE",
		"MIF_JWT_SECRET", "MIF_BOOTSTRAP_ADMIN_PASSWORD"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	_, err := Load(ModeDev, env(map[string]string{"MIF_SMTP_PASSWORD_FILE": "/nonexistent/secret"}))
	if err == nil || !strings.Contains(err.Error(), "MIF_SMTP_PASSWORD_FILE") {
		t.Fatalf("want an error naming MIF_SMTP_PASSWORD_FILE, got %v", err)
	}
	if strings.Contains(err.Error(), "/nonexistent") {
		// the path is not secret, but keep messages short and free of OS noise
		t.Logf("message: %v", err)
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := Load(ModeDev, env(map[string]string{"MIF_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[0].String() != "10.0.0.0/8" || c.TrustedProxies[1].String() != "192.168.1.7/32" {
		t.Fatalf("trusted proxies = %v", c.TrustedProxies)
	}
	if _, err := Load(ModeDev, env(map[string]string{"MIF_TRUSTED_PROXIES": "lb.internal"})); err == nil || !strings.Contains(err.Error(), "MIF_TRUSTED_PROXIES") {
		t.Fatalf("want an error naming MIF_TRUSTED_PROXIES, got %v", err)
	}
}

func TestDebugListenerOnlyOnLoopback(t *testing.T) {
	c, err := Load(ModeDev, env(nil))
	if err != nil || c.DebugAddr != "" {
		t.Fatalf("the debug listener must be off by default: %q, %v", c.DebugAddr, err)
	}
	for _, ok := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:6060", "127.0.0.2:0"} {
		if c, err := Load(ModeDev, env(map[string]string{"MIF_DEBUG_ADDR": ok})); err != nil || c.DebugAddr != ok {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{":6060", "0.0.0.0:6060", "10.0.0.1:6060", "example.com:6060", "6060", "[::]:6060"} {
		if _, err := Load(ModeDev, env(map[string]string{"MIF_DEBUG_ADDR": bad})); err == nil || !strings.Contains(err.Error(), "MIF_DEBUG_ADDR") {
			t.Errorf("%s accepted: %v", bad, err)
		}
	}
}
