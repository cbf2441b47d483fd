package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/documents"
)

func TestDocumentsCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"documents", "generate-key"}, testEnv(nil), &out); err != nil {
		t.Fatal(err)
	}
	if _, err := documents.ParseKeys([]string{strings.TrimSpace(out.String())}); err != nil {
		t.Fatalf("generated key %q: %v", out.String(), err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"documents"}, testEnv(nil), &out); err == nil || !strings.Contains(out.String(), "rotate-keys") {
		t.Fatalf("no action: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"documents", "rotate-keys", "0"}, testEnv(nil), &out); err == nil || !strings.Contains(err.Error(), "batch") {
		t.Fatalf("bad batch: %v", err)
	}
	out.Reset()
	_ = run(context.Background(), []string{"help"}, testEnv(nil), &out)
	if !strings.Contains(out.String(), "documents rotate-keys") {
		t.Fatalf("usage does not list the documents command:\n%s", out.String())
	}
}

func TestVaultKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := config.Load(config.ModeDev, func(k string) (string, bool) {
		v, ok := map[string]string{"MIF_DATA_DIR": dir}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	prod := &app{mode: config.ModeProd, cfg: cfg, log: zap.NewNop()}
	if _, err := prod.vault(); err == nil || !strings.Contains(err.Error(), "FERNET_KEYS") {
		t.Fatalf("production without keys: %v", err)
	}
	dev := &app{mode: config.ModeDev, cfg: cfg, log: zap.NewNop()}
	v, err := dev.vault()
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Put([]byte("x"), true)
	if err != nil {
		t.Fatal(err)
	}
	// The next start reads the same key from the data directory.
	again, err := (&app{mode: config.ModeDev, cfg: cfg, log: zap.NewNop()}).vault()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Get(b.Key, true, b.Checksum); err != nil || string(got) != "x" {
		t.Fatalf("after restart: %q %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "fernet.key")); err != nil {
		t.Fatal(err)
	}
}
