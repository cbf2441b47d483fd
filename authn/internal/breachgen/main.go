// Command breachgen builds authn/breached_passwords.txt from a breached-password list given in
// frequency order, one password a line (see authn/breached_passwords.NOTICE for the source used
// and its licence):
//
//	go run ./authn/internal/breachgen SOURCE.txt > authn/breached_passwords.txt
//
// It keeps, lower-cased, sorted and without duplicates:
//   - every password of the list that the policy would otherwise accept in some capitalisation:
//     at least 10 characters (at most 72 bytes) with two letters, a digit and one of the
//     policy's symbols, or at least 15 characters (the passphrase rule);
//   - the most common passwords (the first -bases lines, 4 characters or more), which the
//     check also finds inside trivial variants (capitals, digits and symbols around them, common
//     letter substitutions).
//
// Lines with control characters or invalid UTF-8 are dropped: no password can contain them.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// symbols are the policy's (authn.PasswordSymbols); the generator does not import authn so that
// the data it writes never depends on the code that reads it.
const symbols = "!@#$%^&*()-_+=[]{};:,.?/|"

func main() {
	bases := flag.Int("bases", 100000, "how many of the most common passwords to keep as bases for variants")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: breachgen [-bases N] SOURCE.txt > breached_passwords.txt")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *bases); err != nil {
		fmt.Fprintln(os.Stderr, "breachgen:", err)
		os.Exit(1)
	}
}

func run(path string, bases int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	keep := map[string]struct{}{}
	sc := bufio.NewScanner(f)
	for rank := 0; sc.Scan(); rank++ {
		p := strings.TrimRight(sc.Text(), "\r")
		if !utf8.ValidString(p) || strings.ContainsFunc(p, unicode.IsControl) {
			continue
		}
		n := utf8.RuneCountInString(p)
		if fitsPolicy(p, n) || rank < bases && n >= 4 {
			keep[strings.ToLower(p)] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	out := make([]string, 0, len(keep))
	for p := range keep {
		out = append(out, p)
	}
	slices.Sort(out)
	w := bufio.NewWriter(os.Stdout)
	for _, p := range out {
		fmt.Fprintln(w, p)
	}
	return w.Flush()
}

// fitsPolicy: the policy would accept some capitalisation of p but for the breached check.
func fitsPolicy(p string, runes int) bool {
	if runes < 10 || len(p) > 72 {
		return false
	}
	if runes >= 15 {
		return true
	}
	var letters int
	var digit, symbol bool
	for _, r := range p {
		switch {
		case unicode.IsLetter(r) && unicode.ToUpper(r) != unicode.ToLower(r):
			letters++
		case unicode.IsDigit(r):
			digit = true
		case strings.ContainsRune(symbols, r):
			symbol = true
		}
	}
	return letters >= 2 && digit && symbol
}
