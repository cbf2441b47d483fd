package documents

import (
	"fmt"

	"go.opentelemetry.io/otel/trace"
)

// Vault puts the file store and the keys together: what goes in is encrypted when asked, what
// comes out is decrypted and checked against its checksum.
type Vault struct {
	files *FileStore
	keys  *Keyring // nil when FERNET_KEYS is empty: plain files only
	// tracer records the *Context operations as spans (tracing.go); nil records nothing.
	tracer trace.Tracer
}

// NewVault builds a vault; keys may be nil (then encrypted storage fails with ErrNoKeys).
func NewVault(files *FileStore, keys *Keyring) *Vault { return &Vault{files: files, keys: keys} }

// Open builds a vault over dir with the given keys (none allowed: then only plain files).
func Open(dir string, keys []string) (*Vault, error) {
	fs, err := NewFileStore(dir)
	if err != nil {
		return nil, err
	}
	var kr *Keyring
	if len(keys) > 0 {
		if kr, err = ParseKeys(keys); err != nil {
			return nil, err
		}
	}
	return NewVault(fs, kr), nil
}

// Blob says where and how content was stored.
type Blob struct {
	Key       string // opaque storage key (documents.chemin_fichier)
	Encrypted bool
	KeyID     string // fingerprint of the encrypting key; empty for plain files
	Checksum  string // SHA-256 of the plaintext
	Size      int64  // plaintext size
}

// Put stores plain under a fresh key, encrypted when encrypt is true.
func (v *Vault) Put(plain []byte, encrypt bool) (Blob, error) {
	b := Blob{Key: NewKey(), Checksum: Checksum(plain), Size: int64(len(plain))}
	data := plain
	if encrypt {
		if v.keys == nil {
			return Blob{}, ErrNoKeys
		}
		tok, id, err := v.keys.Encrypt(plain)
		if err != nil {
			return Blob{}, err
		}
		data, b.Encrypted, b.KeyID = tok, true, id
	}
	if err := v.files.Put(b.Key, data); err != nil {
		return Blob{}, err
	}
	return b, nil
}

// Get returns the plaintext stored under key, decrypted when encrypted, and checks it against
// checksum. Altered bytes give ErrIntegrity, never the altered content.
func (v *Vault) Get(key string, encrypted bool, checksum string) ([]byte, error) {
	data, err := v.files.Get(key)
	if err != nil {
		return nil, err
	}
	if encrypted {
		if v.keys == nil {
			return nil, ErrNoKeys
		}
		if data, err = v.keys.Decrypt(data); err != nil {
			return nil, err
		}
	}
	if Checksum(data) != checksum {
		return nil, ErrIntegrity
	}
	return data, nil
}

// Reencrypt re-seals the file under key with the current first key, in place (atomic replace),
// after checking its checksum. Running it twice is harmless: any configured key decrypts.
func (v *Vault) Reencrypt(key, checksum string) (keyID string, err error) {
	if v.keys == nil {
		return "", ErrNoKeys
	}
	plain, err := v.Get(key, true, checksum)
	if err != nil {
		return "", fmt.Errorf("documents: re-encrypt %s: %w", key, err)
	}
	tok, id, err := v.keys.Encrypt(plain)
	if err != nil {
		return "", err
	}
	if err := v.files.Put(key, tok); err != nil {
		return "", err
	}
	return id, nil
}

// CurrentKeyID is the fingerprint of the encrypting key ("" without keys).
func (v *Vault) CurrentKeyID() string {
	if v.keys == nil {
		return ""
	}
	return v.keys.CurrentKeyID()
}

// Delete removes a stored file.
func (v *Vault) Delete(key string) error { return v.files.Delete(key) }
