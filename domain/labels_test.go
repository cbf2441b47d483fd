package domain

import (
	"testing"
	"time"
)

// TestEveryValueHasAFrenchLabel: a new status, priority or type cannot reach an e-mail or a
// report as its raw identifier.
func TestEveryValueHasAFrenchLabel(t *testing.T) {
	check := func(kind, raw, got string, ok bool) {
		t.Helper()
		if !ok || got == "" || got == raw {
			t.Errorf("%s %q has no French label (got %q)", kind, raw, got)
		}
	}
	for _, s := range StatutsIntervention {
		_, ok := statutLabels[s]
		check("statut", string(s), s.Label(), ok)
	}
	for _, p := range Priorites {
		_, ok := prioriteLabels[p]
		check("priorité", string(p), p.Label(), ok)
	}
	for _, ty := range TypesIntervention {
		_, ok := typeLabels[ty]
		check("type", string(ty), ty.Label(), ok)
	}
	for _, s := range StatutsEquipement {
		_, ok := statutEquipementLabels[s]
		check("statut d'équipement", string(s), s.Label(), ok)
	}
	for _, s := range StatutsPlanning {
		_, ok := statutPlanningLabels[s]
		check("statut de planning", string(s), s.Label(), ok)
	}
	if got := StatutIntervention("inconnu").Label(); got != "inconnu" {
		t.Errorf("unknown value reads %q", got)
	}
	if StatutEnCours.Label() != "En cours" || PrioriteCritique.Label() != "Critique" || TypePreventive.Label() != "Préventive" {
		t.Error("labels changed")
	}
}

func TestInterventionSummary(t *testing.T) {
	got := InterventionSummary(42, "Réparation fuite hydraulique", PrioriteHaute, "Presse PH-001", "Cimenterie Atlas")
	if got != "n°42 — Réparation fuite hydraulique — haute — Presse PH-001 — Cimenterie Atlas" {
		t.Fatal(got)
	}
	if got := InterventionSummary(0, "Graissage", PrioriteBasse, "Tour T-2", " "); got != "Graissage — basse — Tour T-2" {
		t.Fatal(got)
	}
}

func TestLocalTimeIsLabelled(t *testing.T) {
	t.Parallel()
	casa, err := time.LoadLocation("Africa/Casablanca")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		loc  *time.Location
		want string
	}{
		{casa, "01/12/2026 09:30 (heure de Casablanca)"},
		{nil, "01/12/2026 08:30 (UTC)"},
		{time.FixedZone("Ailleurs", 3600), "01/12/2026 09:30 (Ailleurs)"},
	} {
		if got := LocalTime(at, c.loc); got != c.want {
			t.Errorf("LocalTime(%v) = %q, want %q", c.loc, got, c.want)
		}
	}
}
