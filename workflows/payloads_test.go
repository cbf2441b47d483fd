package workflows_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

// TestHistoryPayloadsKeepTheirKeys pins the JSON of the values that Temporal histories (and the
// API's workflow answers) carry: workflow and activity inputs and results, update arguments and
// query results. Running workflows decode what older code encoded, so renaming a Go field must keep
// its JSON key (a json tag); the expected texts below were produced by the code before the types
// moved out of storage and before their fields were renamed.
func TestHistoryPayloadsKeepTheirKeys(t *testing.T) {
	at := time.Date(2026, 11, 26, 16, 23, 37, 0, time.UTC)
	id, n := int64(7), 30
	s := "texte"
	for _, c := range []struct {
		name string
		v    any
		want string
	}{
		{"TransitionInput", activities.TransitionInput{TransitionWrite: transitionWrite(at, &id, &n, &s)},
			`{"InterventionID":1,"EventKey":"intervention/x/transition/1","From":"planifiee","To":"en_cours","Action":"demarrage","ActeurID":7,"At":"2026-11-26T16:23:37Z","TechnicienID":7,"DatePlanifiee":"2026-11-26T16:23:37Z","DureeEstimee":90,"Rapport":"texte","TempsPasse":30,"Notes":"n","Motif":"texte","RequireFree":true}`},
		{"TransitionInput without RequireFree", activities.TransitionInput{TransitionWrite: transitionWriteMinimal()},
			`{"InterventionID":1,"EventKey":"k","From":"ouverte","To":"annulee","Action":"annulation","ActeurID":null,"At":"0001-01-01T00:00:00Z","TechnicienID":null,"DatePlanifiee":null,"DureeEstimee":0,"Rapport":null,"TempsPasse":null,"Notes":"","Motif":null}`},
		{"FindTechnicienResult", findTechnicienResult(at),
			`{"Technicien":{"TechnicienID":3,"UserID":4,"Nom":"Dubois","Prenom":"Marie","Actives":2,"Charge":240},"Candidates":5,"Start":"2026-11-26T16:23:37Z"}`},
		{"OverdueResult", overdueResult(&id),
			`{"Interventions":[{"ID":1,"WorkflowID":"intervention/x","Statut":"en_cours","TechnicienID":7}]}`},
		{"TransitionRequest", workflows.TransitionRequest{Acteur: workflows.Acteur{UserID: 2, Role: domain.RoleResponsable}, Vers: domain.StatutTerminee, TechnicienID: &id, Rapport: &s},
			`{"Acteur":{"user_id":2,"role":"responsable"},"To":"terminee","TechnicienID":7,"DatePlanifiee":null,"DureeEstimee":0,"Rapport":"texte","TempsPasse":null,"Notes":"","Motif":null}`},
		{"InterventionState", interventionState(at, &id),
			`{"intervention_id":1,"statut":"en_cours","created":true,"en_retard":true,"technicien_id":7,"sla":{"echeance":"2026-11-26T16:23:37Z","source":"contrat","en_pause":false,"restant_secondes":null},"niveau_escalade":1,"timers_en_attente":[{"nom":"sla","echeance":"2026-11-26T16:23:37Z"}],"historique":[{"de":"planifiee","vers":"en_cours","action":"demarrage","date":"2026-11-26T16:23:37Z","acteur_id":7}]}`},
	} {
		got, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestHistoryPayloadsDecodeTheirOldForm(t *testing.T) {
	// What older code wrote must decode into today's types with nothing lost: re-encoded, the
	// same text comes out.
	at := time.Date(2026, 11, 26, 16, 23, 37, 0, time.UTC)
	id := int64(7)
	for name, c := range map[string]struct {
		dst  any
		text string
	}{
		"TransitionInput":      {&activities.TransitionInput{}, `{"InterventionID":1,"EventKey":"k","From":"en_cours","To":"terminee","Action":"cloture","ActeurID":7,"At":"2026-11-26T16:23:37Z","TechnicienID":null,"DatePlanifiee":null,"DureeEstimee":0,"Rapport":"ok","TempsPasse":null,"Notes":"","Motif":null}`},
		"FindTechnicienResult": {&activities.FindTechnicienResult{}, `{"Technicien":{"TechnicienID":3,"UserID":4,"Nom":"Dubois","Prenom":"Marie","Actives":2,"Charge":240},"Candidates":5,"Start":null}`},
		"OverdueResult":        {&activities.OverdueResult{}, `{"Interventions":[{"ID":1,"WorkflowID":"intervention/x","Statut":"en_cours","TechnicienID":null}]}`},
		"InterventionState": {&workflows.InterventionState{}, func() string {
			b, _ := json.Marshal(interventionState(at, &id))
			return string(b)
		}()},
	} {
		if err := json.Unmarshal([]byte(c.text), c.dst); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := json.Marshal(c.dst)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.text {
			t.Errorf("%s:\n got %s\nwant %s", name, got, c.text)
		}
	}
}

// The values above, built with today's field names.

func transitionWrite(at time.Time, id *int64, n *int, s *string) domain.TransitionWrite {
	return domain.TransitionWrite{
		InterventionID: 1, EventKey: "intervention/x/transition/1", De: domain.StatutPlanifiee, Vers: domain.StatutEnCours,
		Action: "demarrage", ActeurID: id, Date: at, TechnicienID: id, DatePlanifiee: &at, DureeEstimee: 90,
		Rapport: s, TempsPasse: n, Notes: "n", Motif: s, RequireFree: true,
	}
}

func transitionWriteMinimal() domain.TransitionWrite {
	return domain.TransitionWrite{InterventionID: 1, EventKey: "k", De: domain.StatutOuverte, Vers: domain.StatutAnnulee, Action: "annulation"}
}

func findTechnicienResult(at time.Time) activities.FindTechnicienResult {
	return activities.FindTechnicienResult{
		Technicien: &domain.TechnicienCandidate{TechnicienID: 3, UserID: 4, Nom: "Dubois", Prenom: "Marie", Actives: 2, Charge: 240},
		Candidates: 5, Start: &at,
	}
}

func overdueResult(id *int64) activities.OverdueResult {
	return activities.OverdueResult{Interventions: []domain.InterventionWorkflowRef{
		{ID: 1, WorkflowID: "intervention/x", Statut: domain.StatutEnCours, TechnicienID: id},
	}}
}

func interventionState(at time.Time, id *int64) workflows.InterventionState {
	return workflows.InterventionState{
		InterventionID: 1, Statut: domain.StatutEnCours, Cree: true, EnRetard: true, TechnicienID: id,
		SLA:            workflows.SLAState{Echeance: &at, Source: "contrat"},
		NiveauEscalade: 1, TimersEnAttente: []workflows.TimerEnAttente{{Nom: "sla", Echeance: at}},
		Historique: []workflows.Transition{{De: domain.StatutPlanifiee, Vers: domain.StatutEnCours, Action: "demarrage", Date: at, ActeurID: id}},
	}
}
