// Package documents keeps uploaded files and generated reports: an on-disk store addressed by
// opaque keys, Fernet encryption at rest with several keys (the first encrypts, every one
// decrypts), content sniffing against an allow-list, file-name sanitising, SHA-256 checksums,
// and the PDF report of an intervention. It performs no SQL: storage keeps the rows.
package documents

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fernet/fernet-go"
)

// ErrNoKeys means no Fernet key is configured, so nothing can be encrypted or decrypted.
var ErrNoKeys = errors.New("documents: aucune clé FERNET_KEYS configurée")

// ErrIntegrity means stored bytes do not decrypt with any key or do not match their checksum:
// the file was altered or its key is gone. Callers must never hand such bytes out.
var ErrIntegrity = errors.New("documents: intégrité du fichier compromise")

// Keyring holds the Fernet keys: Keys[0] encrypts, all of them decrypt. A key's ID is a short
// fingerprint stored next to each encrypted document, so rotation knows which files still use
// an old key without decrypting them.
type Keyring struct {
	keys []*fernet.Key
	ids  []string
}

// ParseKeys builds a Keyring from url-safe base64 keys (32 bytes each), the encrypting key first.
func ParseKeys(encoded []string) (*Keyring, error) {
	if len(encoded) == 0 {
		return nil, ErrNoKeys
	}
	k := &Keyring{}
	for i, s := range encoded {
		b, err := base64.URLEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("documents: clé Fernet n°%d invalide (32 octets en base64 url-safe attendus)", i+1)
		}
		var key fernet.Key
		copy(key[:], b)
		k.keys = append(k.keys, &key)
		sum := sha256.Sum256(b)
		k.ids = append(k.ids, hex.EncodeToString(sum[:6]))
	}
	return k, nil
}

// GenerateKey returns a new random key, url-safe base64 encoded.
func GenerateKey() (string, error) {
	var k fernet.Key
	if err := k.Generate(); err != nil {
		return "", fmt.Errorf("documents: generate key: %w", err)
	}
	return k.Encode(), nil
}

// DevKeys returns the keys to use in dev mode when FERNET_KEYS is empty: the key kept in path,
// created on first use (mode 0600), so that files encrypted yesterday still open today.
func DevKeys(path string) ([]string, error) {
	if b, err := os.ReadFile(path); err == nil {
		return []string{strings.TrimSpace(string(b))}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("documents: read dev key: %w", err)
	}
	key, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("documents: dev key dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("documents: write dev key: %w", err)
	}
	return []string{key}, nil
}

// CurrentKeyID is the fingerprint of the encrypting key.
func (k *Keyring) CurrentKeyID() string { return k.ids[0] }

// Encrypt seals plain with the first key and returns the token and that key's ID.
func (k *Keyring) Encrypt(plain []byte) (token []byte, keyID string, err error) {
	tok, err := fernet.EncryptAndSign(plain, k.keys[0])
	if err != nil {
		return nil, "", fmt.Errorf("documents: encrypt: %w", err)
	}
	return tok, k.ids[0], nil
}

// Decrypt opens a token with whichever key sealed it; ErrIntegrity when none does (altered
// bytes or a key no longer configured).
func (k *Keyring) Decrypt(token []byte) ([]byte, error) {
	// No TTL: documents are kept for years; Fernet's timestamp only matters for rotation.
	plain := fernet.VerifyAndDecrypt(token, 0, k.keys)
	if plain == nil {
		return nil, ErrIntegrity
	}
	return plain, nil
}

// Checksum is the hex SHA-256 of b.
func Checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
