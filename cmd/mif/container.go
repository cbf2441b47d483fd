package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/documents"
)

// runHealthcheck is the container health probe (the image is distroless: no shell, no curl).
// It asks this process's own HTTP server, on MIF_HTTP_ADDR's port, for path (readiness by
// default) and fails unless the answer is 2xx.
func runHealthcheck(ctx context.Context, args []string, lookup config.Lookup, out io.Writer) error {
	path := "/api/v1/health/ready"
	if len(args) > 0 {
		path = args[0]
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("healthcheck: %q is not a path", path)
	}
	addr, _ := lookup("MIF_HTTP_ADDR")
	if addr == "" {
		addr = ":8000"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: MIF_HTTP_ADDR: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+path, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	fmt.Fprintf(out, "%d %s\n", res.StatusCode, strings.TrimSpace(string(body)))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("healthcheck: %s answered %d", path, res.StatusCode)
	}
	return nil
}

// Secret file names written by `mif init-secrets`, read through the _FILE variables.
const (
	secretJWTKey        = "jwt.pem"        // MIF_JWT_PRIVATE_KEY_FILE
	secretFernetKeys    = "fernet"         // FERNET_KEYS_FILE
	secretAdminPassword = "admin_password" // MIF_BOOTSTRAP_ADMIN_PASSWORD_FILE
)

// runInitSecrets creates, in dir, whichever of the platform's secrets is missing: an RSA key
// for our tokens, a Fernet key for the documents and the bootstrap administrator's password. It
// never replaces an existing file, so running it at every `docker compose up` is safe and keys
// survive upgrades. The password is printed once, when it is created.
func runInitSecrets(args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: mif init-secrets DIR")
	}
	dir := args[0]
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("init-secrets: %w", err)
	}
	keyPath := filepath.Join(dir, secretJWTKey)
	if !exists(keyPath) {
		// NewTokens creates the key file when it is missing (the path `mif dev` uses too).
		if _, err := authn.NewTokens(config.JWT{Algorithm: "RS256"}, keyPath); err != nil {
			return fmt.Errorf("init-secrets: %w", err)
		}
		fmt.Fprintf(out, "created %s (RSA key of our access tokens)\n", keyPath)
	}
	fernetPath := filepath.Join(dir, secretFernetKeys)
	if !exists(fernetPath) {
		k, err := documents.GenerateKey()
		if err != nil {
			return fmt.Errorf("init-secrets: %w", err)
		}
		if err := writeSecret(fernetPath, k); err != nil {
			return err
		}
		fmt.Fprintf(out, "created %s (Fernet key of the documents: keep a copy, encrypted files need it)\n", fernetPath)
	}
	pwPath := filepath.Join(dir, secretAdminPassword)
	if !exists(pwPath) {
		pw, err := generatePassword() // admin.go
		if err != nil {
			return err
		}
		if err := writeSecret(pwPath, pw); err != nil {
			return err
		}
		fmt.Fprintf(out, "created %s; the bootstrap administrator's password is: %s\n", pwPath, pw)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func writeSecret(path, value string) error {
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		return fmt.Errorf("init-secrets: %w", err)
	}
	return nil
}
