package domain

import "testing"

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
