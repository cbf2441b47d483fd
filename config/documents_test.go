package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDocumentsDefaults(t *testing.T) {
	c, err := Load(ModeDev, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Documents.Dir != ".data/documents" || c.Documents.MaxBytes != 20<<20 || c.Documents.DevKeyFile != ".data/fernet.key" || c.Documents.DigestWindow != 5*time.Minute {
		t.Fatalf("defaults: %+v", c.Documents)
	}
}

func TestDocumentsFromEnv(t *testing.T) {
	key := "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=" // 32 bytes, url-safe base64
	c, err := Load(ModeDev, env(map[string]string{
		"MIF_DOCUMENTS_DIR": "/srv/docs", "MIF_DOCUMENT_MAX_BYTES": "4096",
		"FERNET_KEYS": key + ", " + key, "MIF_NOTIFICATION_DIGEST_WINDOW": "0s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Documents.Dir != "/srv/docs" || c.Documents.MaxBytes != 4096 || len(c.FernetKeys) != 2 || c.Documents.DigestWindow != 0 {
		t.Fatalf("got %+v keys=%v", c.Documents, c.FernetKeys)
	}
}

func TestFernetKeysFromFile(t *testing.T) {
	key := "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	f := filepath.Join(t.TempDir(), "fernet")
	if err := os.WriteFile(f, []byte(key+",\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(ModeDev, env(map[string]string{"FERNET_KEYS_FILE": f}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.FernetKeys) != 1 || c.FernetKeys[0] != key {
		t.Fatalf("keys = %v", c.FernetKeys)
	}
}

func TestDocumentsBadValues(t *testing.T) {
	_, err := Load(ModeDev, env(map[string]string{
		"FERNET_KEYS":                    "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=,tooshort",
		"MIF_DOCUMENT_MAX_BYTES":         "12",
		"MIF_NOTIFICATION_DIGEST_WINDOW": "48h",
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{"FERNET_KEYS: key #2", "MIF_DOCUMENT_MAX_BYTES", "MIF_NOTIFICATION_DIGEST_WINDOW"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error lacks %q: %v", name, err)
		}
	}
}
