package domain

import (
	"errors"
	"fmt"
	"testing"
)

func TestTransitionsTable(t *testing.T) {
	allowed := map[StatutIntervention][]StatutIntervention{
		StatutOuverte:   {StatutPlanifiee, StatutAnnulee},
		StatutPlanifiee: {StatutOuverte, StatutPlanifiee, StatutEnCours, StatutAnnulee},
		StatutEnCours:   {StatutEnAttente, StatutTerminee, StatutAnnulee},
		StatutEnAttente: {StatutEnCours, StatutTerminee, StatutAnnulee},
	}
	for _, from := range StatutsIntervention {
		for _, to := range StatutsIntervention {
			want := false
			for _, s := range allowed[from] {
				want = want || s == to
			}
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
			err := CheckTransition(from, to)
			if want != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidTransition)) {
				t.Errorf("CheckTransition(%s, %s) = %v", from, to, err)
			}
		}
	}
	for _, final := range []StatutIntervention{StatutTerminee, StatutAnnulee} {
		for _, to := range StatutsIntervention {
			if CanTransition(final, to) {
				t.Errorf("%s is final but may move to %s", final, to)
			}
		}
	}
}

func TestTarget(t *testing.T) {
	for _, c := range []struct {
		action LifecycleAction
		vers   StatutIntervention
		want   StatutIntervention
	}{
		{ActionAssign, "", StatutPlanifiee},
		{ActionStart, "", StatutEnCours},
		{ActionPause, "", StatutEnAttente},
		{ActionResume, "", StatutEnCours},
		{ActionComplete, StatutAnnulee, StatutTerminee}, // the request's statut only counts for ActionStatut
		{ActionCancel, "", StatutAnnulee},
		{ActionStatut, StatutEnAttente, StatutEnAttente},
		{ActionStatut, "", ""},
	} {
		if got := Target(c.action, c.vers); got != c.want {
			t.Errorf("Target(%s, %q) = %q, want %q", c.action, c.vers, got, c.want)
		}
	}
}

func TestNeedsOf(t *testing.T) {
	fields := func(ns []Need) (out []string) {
		for _, n := range ns {
			out = append(out, n.Field+" "+n.Purpose)
		}
		return out
	}
	for _, c := range []struct {
		action LifecycleAction
		vers   StatutIntervention
		want   string
	}{
		{ActionComplete, "", "[rapport pour clôturer]"},
		{ActionCancel, "", "[motif pour annuler]"},
		{ActionStatut, StatutTerminee, "[rapport pour clôturer]"},
		{ActionStatut, StatutAnnulee, "[motif pour annuler]"},
		{ActionStatut, StatutEnCours, "[]"},
		{ActionAssign, "", "[]"},
		{ActionPause, "", "[]"},
	} {
		if got := fmt.Sprint(fields(NeedsOf(c.action, c.vers))); got != c.want {
			t.Errorf("NeedsOf(%s, %q) = %s, want %s", c.action, c.vers, got, c.want)
		}
	}
}

func TestDecide(t *testing.T) {
	tech, other := int64(5), int64(6)
	var (
		ok        = error(nil)
		invalid   = ErrInvalidTransition
		forbidden = ErrForbidden
		missing   = errors.New("validation")
	)
	manager := func(r LifecycleRequest) LifecycleRequest { r.Role = RoleResponsable; return r }
	assigned := func(r LifecycleRequest) LifecycleRequest {
		r.Role, r.ActeurTechnicienID, r.TechnicienID = RoleTechnicien, &tech, &tech
		return r
	}
	stranger := func(r LifecycleRequest) LifecycleRequest {
		r.Role, r.ActeurTechnicienID, r.TechnicienID = RoleTechnicien, &other, &tech
		return r
	}
	req := func(a LifecycleAction, s StatutIntervention, fields ...string) LifecycleRequest {
		return LifecycleRequest{Action: a, Statut: s, TypeIntervention: TypeCorrective, Fields: fields}
	}
	statut := func(s, vers StatutIntervention, fields ...string) LifecycleRequest {
		r := req(ActionStatut, s, fields...)
		r.Vers = vers
		return r
	}
	for _, c := range []struct {
		name       string
		req        LifecycleRequest
		want       error
		historique string
	}{
		{"assign an open one", req(ActionAssign, StatutOuverte), ok, "assignation"},
		{"re-plan", manager(req(ActionAssign, StatutPlanifiee)), ok, "assignation"},
		{"assign started work", req(ActionAssign, StatutEnCours), invalid, ""},
		{"a technicien assigns", assigned(req(ActionAssign, StatutOuverte)), forbidden, ""},
		{"start planned work", assigned(req(ActionStart, StatutPlanifiee)), ok, "demarrage"},
		{"start an open one", req(ActionStart, StatutOuverte), invalid, ""},
		{"start paused work (that is resume)", req(ActionStart, StatutEnAttente), invalid, ""},
		{"another technicien starts", stranger(req(ActionStart, StatutPlanifiee)), forbidden, ""},
		{"an unassigned intervention, a technicien", func() LifecycleRequest {
			r := assigned(req(ActionStart, StatutPlanifiee))
			r.TechnicienID = nil
			return r
		}(), forbidden, ""},
		{"a technicien without a profile", func() LifecycleRequest {
			r := assigned(req(ActionStart, StatutPlanifiee))
			r.ActeurTechnicienID = nil
			return r
		}(), forbidden, ""},
		{"pause", assigned(req(ActionPause, StatutEnCours)), ok, "pause"},
		{"pause paused work", req(ActionPause, StatutEnAttente), invalid, ""},
		{"resume", req(ActionResume, StatutEnAttente), ok, "reprise"},
		{"resume running work", req(ActionResume, StatutEnCours), invalid, ""},
		{"complete with a report", assigned(req(ActionComplete, StatutEnCours, "rapport")), ok, "cloture"},
		{"complete paused work", req(ActionComplete, StatutEnAttente, "rapport"), ok, "cloture"},
		{"complete without a report", req(ActionComplete, StatutEnCours), missing, ""},
		{"complete preventive work without a report", func() LifecycleRequest {
			r := req(ActionComplete, StatutEnCours)
			r.TypeIntervention = TypePreventive
			return r
		}(), ok, "cloture"},
		{"complete planned work", req(ActionComplete, StatutPlanifiee, "rapport"), invalid, ""},
		{"cancel", req(ActionCancel, StatutEnCours), ok, "annulation"},
		{"cancel a finished one", req(ActionCancel, StatutTerminee), invalid, ""},
		{"the assigned technicien cancels", assigned(req(ActionCancel, StatutEnCours)), forbidden, ""},
		{"statut to en_cours from en_attente", statut(StatutEnAttente, StatutEnCours), ok, "reprise"},
		{"statut to en_cours from planifiee", assigned(statut(StatutPlanifiee, StatutEnCours)), ok, "demarrage"},
		{"statut to terminee without a report (the API asks for it)", statut(StatutEnCours, StatutTerminee), ok, "cloture"},
		{"statut to planifiee by a technicien", assigned(statut(StatutOuverte, StatutPlanifiee)), forbidden, ""},
		{"statut to ouverte from planifiee (that is unassign)", manager(statut(StatutPlanifiee, StatutOuverte)), ok, "desassignation"},
		{"statut to ouverte from en_cours", statut(StatutEnCours, StatutOuverte), invalid, ""},
		{"unassign planned work", manager(req(ActionUnassign, StatutPlanifiee)), ok, "desassignation"},
		{"unassign started work", req(ActionUnassign, StatutEnCours), invalid, ""},
		{"unassign an open one", req(ActionUnassign, StatutOuverte), invalid, ""},
		{"the assigned technicien unassigns", assigned(req(ActionUnassign, StatutPlanifiee)), forbidden, ""},
		{"statut unknown", statut(StatutPlanifiee, "fermee"), missing, ""},
		{"statut absent", statut(StatutPlanifiee, ""), missing, ""},
		// The order of the checks: an invalid transition is reported before the actor's right.
		{"a stranger asks an invalid transition", stranger(req(ActionResume, StatutEnCours)), invalid, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := Decide(c.req)
			var ve *ValidationError
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want == missing && !errors.As(err, &ve):
				t.Fatalf("want a validation error, got %v", err)
			case c.want != nil && c.want != missing && !errors.Is(err, c.want):
				t.Fatalf("want %v, got %v", c.want, err)
			}
			if err == nil && (d.Historique != c.historique || d.De != c.req.Statut || d.Vers != Target(c.req.Action, c.req.Vers)) {
				t.Fatalf("decision %+v, want historique %q", d, c.historique)
			}
		})
	}
}

func TestDecideMessages(t *testing.T) {
	_, err := Decide(LifecycleRequest{Action: ActionComplete, Statut: StatutEnCours, TypeIntervention: TypeCorrective})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "rapport" || ve.Fields[0].Message != "obligatoire pour clôturer" {
		t.Fatalf("%#v", err)
	}
	_, err = Decide(LifecycleRequest{Action: ActionStart, Statut: StatutOuverte})
	if err == nil || err.Error() != "transition interdite: ouverte → en_cours" {
		t.Fatalf("%v", err)
	}
	if _, err := Decide(LifecycleRequest{Action: "fermer", Statut: StatutOuverte}); err == nil {
		t.Fatal("an unknown action was decided")
	}
}

// TestEveryActionHasARule keeps the table complete: each action the workflow registers has a
// rule, and every transition a rule reaches exists.
func TestEveryActionHasARule(t *testing.T) {
	for _, a := range []LifecycleAction{ActionAssign, ActionStart, ActionPause, ActionResume, ActionComplete, ActionCancel, ActionStatut, ActionUnassign} {
		r, ok := Rule(a)
		if !ok {
			t.Fatalf("no rule for %s", a)
		}
		for _, de := range r.De {
			if !CanTransition(de, r.Vers) {
				t.Errorf("%s starts from %s, which cannot move to %s", a, de, r.Vers)
			}
		}
	}
	for _, tr := range Transitions {
		if tr.Historique == "" || (tr.Who != Managers && tr.Who != ManagersOrAssigned) {
			t.Errorf("incomplete transition rule %+v", tr)
		}
	}
}
