package documents

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/mifmaroc/mif/domain"
)

// FileStore keeps blobs under one directory, addressed by opaque keys that it generates: a
// user's file name never reaches the file system, so it cannot traverse or overwrite anything.
type FileStore struct {
	dir string
}

// NewFileStore uses dir; directories are created (mode 0700) on the first write, so merely
// starting the API leaves no trace on disk.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, fmt.Errorf("documents: MIF_DOCUMENTS_DIR is empty")
	}
	return &FileStore{dir: dir}, nil
}

var validKey = regexp.MustCompile(`^[0-9a-f]{2}/[0-9a-f]{32}$`)

// NewKey returns a fresh opaque key ("ab/ab…", 128 random bits, sharded by its first byte so no
// directory grows too large).
func NewKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:2] + "/" + h
}

func (s *FileStore) path(key string) (string, error) {
	if !validKey.MatchString(key) {
		return "", fmt.Errorf("documents: clé de stockage invalide %q", key)
	}
	return filepath.Join(s.dir, filepath.FromSlash(key)), nil
}

// Put writes data under key atomically: a temporary file in the same directory, fsync, then
// rename, so a crash leaves either the old content or the new one, never half a file.
func (s *FileStore) Put(key string, data []byte) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("documents: put: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("documents: put: %w", err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }() // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("documents: put: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("documents: put: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("documents: put: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("documents: put: %w", err)
	}
	return nil
}

// Get reads the blob stored under key; domain.ErrNotFound when there is none.
func (s *FileStore) Get(key string) ([]byte, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("documents: get: %w", domain.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("documents: get: %w", err)
	}
	return b, nil
}

// Delete removes the blob stored under key (no error when it is already gone).
func (s *FileStore) Delete(key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("documents: delete: %w", err)
	}
	return nil
}

// IsMissing reports whether err means the stored file does not exist.
func IsMissing(err error) bool { return errors.Is(err, domain.ErrNotFound) }
