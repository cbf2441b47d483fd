package authz

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/casbin"
	"github.com/mifmaroc/mif/domain"
)

// TestPolicyLinesAreRefusedWithFileAndLine: each kind of bad line is refused on reload, named by
// file and line number, every bad line at once, and the policy in force stays.
func TestPolicyLinesAreRefusedWithFileAndLine(t *testing.T) {
	t.Parallel()
	if err := lintPolicy("policy.csv", casbin.Policy); err != nil {
		t.Fatalf("the shipped policy: %v", err)
	}
	good := "# header\n\np, admin, *, *\np, client, interventions, read_own\n"
	for name, c := range map[string]struct {
		line, problem string
	}{
		"wrong arity":         {"p, responsable, users", "3 champs au lieu de 4"},
		"too many fields":     {"p, responsable, users, read, now", "5 champs au lieu de 4"},
		"missing comma":       {"p, responsable, users read", "virgule manquante"},
		"missing commas":      {"p responsable users read", "virgule manquante"},
		"unknown object":      {"p, responsable, interventionz, read", `objet inconnu "interventionz"`},
		"unknown action":      {"p, responsable, interventions, lire", `action inconnue "lire"`},
		"unknown role":        {"p, responsabel, interventions, read", `rôle inconnu "responsabel"`},
		"empty field":         {"p, responsable, , read", "champ vide"},
		"unknown rule type":   {"x, responsable, interventions, read", `type de règle "x"`},
		"role inheritance ok": {"g, responsable, technicien", ""},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "policy.csv")
		if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := Load(Files{Policy: path})
		if err != nil {
			t.Fatalf("%s: good policy: %v", name, err)
		}
		// The bad line is line 5 (after the four of good).
		if err := os.WriteFile(path, []byte(good+c.line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		err = a.Reload(Files{Policy: path})
		if c.problem == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", name, err)
			}
			continue
		}
		var perr *PolicyError
		if !errors.As(err, &perr) || len(perr.Lines) == 0 || perr.Lines[0].Line != 5 || !strings.Contains(err.Error(), path+":5: ") || !strings.Contains(err.Error(), c.problem) {
			t.Errorf("%s: %v", name, err)
		}
		if !a.Allowed(domain.RoleClient, "interventions:read") || a.Allowed(domain.RoleResponsable, "users:read") {
			t.Errorf("%s: the previous policy is not in force", name)
		}
	}
	// Every bad line is reported at once, with its own number.
	err := lintPolicy("p.csv", "p, admin, *, *\np, technicien, planing, read\n# ok\np, client, equipements\n")
	if err == nil || !strings.Contains(err.Error(), "p.csv:2: ") || !strings.Contains(err.Error(), "p.csv:4: ") {
		t.Fatalf("several bad lines: %v", err)
	}
}
