package authz

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mifmaroc/mif/domain"
)

// The vocabulary of policy lines: the objects and actions the routes' permissions are made of
// (api/routes.go declares them; a test checks every route against these lists). A policy line
// naming anything else is a typo that would grant nothing, or not what was meant.
var (
	Objects = []string{"users", "techniciens", "interventions", "equipements", "planning", "documents",
		"notifications", "reports", "historique", "clients", "contrats", "profile", "admin", "sites",
		"pieces", "stocks", "zones", "compteurs", "demandes", "webhooks", "checklists"}
	Actions = []string{"read", "read_own", "create", "update", "delete", "update_status", "upload",
		"assign", "generate", "rate", "cancel", "rotate_keys", "send", "read_all", "health",
		"transfer", "reserve", "record", "triage"}
)

// KnownObject and KnownAction tell whether a permission's parts belong to the vocabulary ("*" is
// every object or action).
func KnownObject(obj string) bool { return obj == "*" || slices.Contains(Objects, obj) }
func KnownAction(act string) bool { return act == "*" || slices.Contains(Actions, act) }

// PolicyError lists every bad line of a policy file, each with the file and line number, as an
// editor or CI shows them ("casbin/policy.csv:37: …").
type PolicyError struct {
	File  string
	Lines []LineError
}

// LineError is one refused line.
type LineError struct {
	Line    int
	Text    string
	Problem string
}

func (e *PolicyError) Error() string {
	var b strings.Builder
	b.WriteString("authz: policy refused:")
	for _, l := range e.Lines {
		fmt.Fprintf(&b, "\n  %s:%d: %s (%q)", e.File, l.Line, l.Problem, l.Text)
	}
	return b.String()
}

// lintPolicy checks every line of a policy file before Casbin reads it: Casbin accepts lines it
// then ignores or misreads (a missing comma makes "users read" one object; a line of the wrong
// arity may even panic). Blank lines and # comments are skipped; "p" lines must be
// "p, role, object, action" with a known role, object and action; "g" lines "g, role, role".
func lintPolicy(file, text string) error {
	perr := &PolicyError{File: file}
	bad := func(n int, line, format string, args ...any) {
		perr.Lines = append(perr.Lines, LineError{Line: n, Text: line, Problem: fmt.Sprintf(format, args...)})
	}
	rules := 0
	for i, raw := range strings.Split(text, "\n") {
		n, line := i+1, strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		if slices.ContainsFunc(fields, func(f string) bool { return strings.ContainsAny(f, " \t") }) {
			bad(n, line, "virgule manquante : un champ contient un espace")
			continue
		}
		if slices.Contains(fields, "") {
			bad(n, line, "champ vide")
			continue
		}
		switch fields[0] {
		case "p":
			if len(fields) != 4 {
				bad(n, line, "%d champs au lieu de 4 (p, rôle, objet, action)", len(fields))
				continue
			}
			if !domain.Role(fields[1]).Valid() {
				bad(n, line, "rôle inconnu %q", fields[1])
			}
			if !KnownObject(fields[2]) {
				bad(n, line, "objet inconnu %q", fields[2])
			}
			if !KnownAction(fields[3]) {
				bad(n, line, "action inconnue %q", fields[3])
			}
		case "g":
			if len(fields) != 3 {
				bad(n, line, "%d champs au lieu de 3 (g, rôle, rôle hérité)", len(fields))
				continue
			}
			for _, r := range fields[1:] {
				if !domain.Role(r).Valid() {
					bad(n, line, "rôle inconnu %q", r)
				}
			}
		default:
			bad(n, line, "type de règle %q inconnu (p ou g)", fields[0])
			continue
		}
		rules++
	}
	if len(perr.Lines) > 0 {
		return perr
	}
	if rules == 0 {
		return errors.New("authz: policy refused: " + file + ": aucune règle")
	}
	return nil
}
