package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/migrations"
	"github.com/mifmaroc/mif/storage"
)

// runAdmin holds the operator commands. `mif admin create-user` creates an account from the
// command line (a site without OIDC, or an administrator locked out of the API).
func runAdmin(ctx context.Context, args []string, env config.Lookup, in io.Reader, out io.Writer) error {
	if len(args) == 0 || args[0] != "create-user" {
		return errors.New("admin: usage: mif admin create-user -email E -role R [-nom N] [-prenom P] [-username U] [-client-id ID] [-password-stdin]")
	}
	fs := flag.NewFlagSet("create-user", flag.ContinueOnError)
	fs.SetOutput(out)
	email := fs.String("email", "", "e-mail address (required)")
	role := fs.String("role", "", "admin, responsable, technicien or client (required)")
	nom := fs.String("nom", "", "family name")
	prenom := fs.String("prenom", "", "given name")
	username := fs.String("username", "", "optional login name")
	clientID := fs.Int64("client-id", 0, "client company of a client account")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (otherwise one is generated and printed once)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}

	var v domain.Validator
	v.Check(strings.Contains(*email, "@"), "email", "adresse e-mail attendue")
	v.Check(domain.Role(*role).Valid(), "role", "admin, responsable, technicien ou client")
	v.Check((*clientID > 0) == (domain.Role(*role) == domain.RoleClient), "client-id", "obligatoire pour un client, interdit sinon")
	if err := v.Err(); err != nil {
		return err
	}
	password, generated := "", false
	if *fromStdin {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("admin: read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		var err error
		if password, err = generatePassword(); err != nil {
			return err
		}
		generated = true
	}
	if err := authn.ValidatePassword(password, *email); err != nil {
		return err
	}

	cfg, err := config.Load(config.ModeDev, env) // only the database is needed
	if err != nil {
		return err
	}
	db, err := storage.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrations.Up(ctx, db.DB); err != nil {
		return err
	}
	hash, err := authn.HashPassword(password)
	if err != nil {
		return err
	}
	n := storage.NewUser{Email: *email, PasswordHash: &hash, Nom: *nom, Prenom: *prenom, Role: domain.Role(*role)}
	if *username != "" {
		n.Username = username
	}
	if *clientID > 0 {
		n.ClientID = clientID
	}
	u, err := storage.New(db).CreateUser(ctx, n, nil)
	if err != nil {
		var ce *domain.ConflictError
		if errors.As(err, &ce) {
			return errors.New("admin: " + ce.Reason)
		}
		return err
	}
	fmt.Fprintf(out, "user %d created: %s (%s)\n", u.ID, u.Email, u.Role)
	if generated {
		fmt.Fprintf(out, "password (shown once): %s\n", password)
	}
	return nil
}

// generatePassword makes a 20-character password that satisfies the policy.
func generatePassword() (string, error) {
	const (
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower  = "abcdefghijkmnopqrstuvwxyz"
		digits = "23456789"
		all    = upper + lower + digits + authn.PasswordSymbols
	)
	pick := func(set string) (byte, error) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return 0, err
		}
		return set[n.Int64()], nil
	}
	b := make([]byte, 0, 20)
	for _, set := range []string{upper, lower, digits, authn.PasswordSymbols} {
		c, err := pick(set)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	for len(b) < 20 {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	// Shuffle so that the guaranteed classes are not always first.
	for i := len(b) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		b[i], b[j.Int64()] = b[j.Int64()], b[i]
	}
	return string(b), nil
}
