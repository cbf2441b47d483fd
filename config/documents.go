package config

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Documents configures file storage and notification delivery details owned by the documents
// and notifications area.
type Documents struct {
	// Dir holds the stored files, named by opaque keys.
	Dir string
	// MaxBytes bounds one upload (413 beyond).
	MaxBytes int64
	// DevKeyFile keeps the Fernet key that dev mode generates when FERNET_KEYS is empty.
	DevKeyFile string
	// DigestWindow groups notifications: events for one user closer than this become one digest
	// e-mail instead of one e-mail each.
	DigestWindow time.Duration
}

// documents reads the MIF_DOCUMENTS_* variables and checks every FERNET_KEYS entry (32 bytes
// of url-safe base64, as Fernet defines keys), so a bad key stops start-up rather than the
// first upload.
func (r *reader) documents(c *Config) Documents {
	dataDir := c.DataDir
	if len(c.FernetKeys) == 0 {
		// FERNET_KEYS_FILE: the keys from a Docker/Kubernetes secret file.
		for _, k := range strings.Split(r.secret("FERNET_KEYS"), ",") {
			if k = strings.TrimSpace(k); k != "" {
				c.FernetKeys = append(c.FernetKeys, k)
			}
		}
	}
	d := Documents{
		Dir:          r.str("MIF_DOCUMENTS_DIR", filepath.Join(dataDir, "documents")),
		MaxBytes:     int64(r.intRange("MIF_DOCUMENT_MAX_BYTES", 20<<20, 1024, 1<<30)),
		DevKeyFile:   filepath.Join(dataDir, "fernet.key"),
		DigestWindow: r.duration("MIF_NOTIFICATION_DIGEST_WINDOW", 5*time.Minute),
	}
	for i, k := range c.FernetKeys {
		b, err := base64.URLEncoding.DecodeString(k)
		if err != nil || len(b) != 32 {
			r.fail("FERNET_KEYS", fmt.Sprintf("key #%d is not 32 bytes of url-safe base64 (generate one with: mif documents generate-key)", i+1))
		}
	}
	if d.DigestWindow < 0 || d.DigestWindow > 24*time.Hour {
		r.fail("MIF_NOTIFICATION_DIGEST_WINDOW", "must be between 0 (no digest) and 24h")
	}
	return d
}
