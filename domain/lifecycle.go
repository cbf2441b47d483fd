package domain

import (
	"fmt"
	"slices"
	"time"
)

// The intervention lifecycle in one place: which status may follow which (and how historique names
// the move, and who may make it), and what each lifecycle action asks for. The workflow decides
// with Decide; the API reads the same rules for its early checks.

// LifecycleAction is a lifecycle request on an intervention. Its value is the name of the
// intervention workflow's update that carries it, stored in histories: never change one.
type LifecycleAction string

const (
	ActionAssign   LifecycleAction = "assign"   // → planifiee (technicien chosen automatically when none is given)
	ActionStart    LifecycleAction = "start"    // planifiee → en_cours
	ActionPause    LifecycleAction = "pause"    // en_cours → en_attente (the SLA clock stops)
	ActionResume   LifecycleAction = "resume"   // en_attente → en_cours (the SLA clock restarts)
	ActionComplete LifecycleAction = "complete" // en_cours/en_attente → terminee
	ActionCancel   LifecycleAction = "cancel"   // any non-final status → annulee
	ActionStatut   LifecycleAction = "statut"   // to the status the request names (PATCH statut)
)

// Who says which actors may make a transition. Clients never reach the lifecycle: the routes'
// permissions keep them out before any rule here is read.
type Who int

const (
	// Managers: responsables, admins and the system (planning, preventive cycles) — not techniciens.
	Managers Who = iota + 1
	// ManagersOrAssigned: the managers and the technicien the intervention is assigned to.
	ManagersOrAssigned
)

// TransitionRule is one allowed status change.
type TransitionRule struct {
	De, Vers StatutIntervention
	// Historique is the action recorded in historique and in the workflow's timeline.
	Historique string
	Who        Who
}

// Transitions lists every allowed status change. Re-planning (planifiee → planifiee) is a new
// assignment.
var Transitions = []TransitionRule{
	{StatutOuverte, StatutPlanifiee, "assignation", Managers},
	{StatutPlanifiee, StatutPlanifiee, "assignation", Managers},
	{StatutPlanifiee, StatutEnCours, "demarrage", ManagersOrAssigned},
	{StatutEnCours, StatutEnAttente, "pause", ManagersOrAssigned},
	{StatutEnAttente, StatutEnCours, "reprise", ManagersOrAssigned},
	{StatutEnCours, StatutTerminee, "cloture", ManagersOrAssigned},
	{StatutEnAttente, StatutTerminee, "cloture", ManagersOrAssigned},
	{StatutOuverte, StatutAnnulee, "annulation", Managers},
	{StatutPlanifiee, StatutAnnulee, "annulation", Managers},
	{StatutEnCours, StatutAnnulee, "annulation", Managers},
	{StatutEnAttente, StatutAnnulee, "annulation", Managers},
}

// Need is a request field a lifecycle action cannot go without.
type Need struct {
	Field   string // rapport, motif
	Purpose string // what it is for, in the message of a refusal: "pour clôturer"
	// Decided: Decide refuses the action without the field too (the API checks every need before
	// it asks the workflow; internal callers reach the workflow directly), except for the
	// intervention types in Exempt.
	Decided bool
	Exempt  []TypeIntervention
}

// LifecycleRule is what one action does.
type LifecycleRule struct {
	Action LifecycleAction
	// Vers is the status reached; empty for ActionStatut, whose request names it.
	Vers StatutIntervention
	// De restricts the statuses the action starts from; nil: every status with a transition to Vers.
	De    []StatutIntervention
	Needs []Need
}

// LifecycleRules lists every action. ActionStatut has the rule and needs of the dedicated action
// that reaches the same status (setting the status directly obeys the same rules).
var LifecycleRules = []LifecycleRule{
	{Action: ActionAssign, Vers: StatutPlanifiee},
	{Action: ActionStart, Vers: StatutEnCours, De: []StatutIntervention{StatutPlanifiee}},
	{Action: ActionPause, Vers: StatutEnAttente},
	{Action: ActionResume, Vers: StatutEnCours, De: []StatutIntervention{StatutEnAttente}},
	{Action: ActionComplete, Vers: StatutTerminee, Needs: []Need{
		{Field: "rapport", Purpose: "pour clôturer", Decided: true, Exempt: []TypeIntervention{TypePreventive}},
	}},
	{Action: ActionCancel, Vers: StatutAnnulee, Needs: []Need{{Field: "motif", Purpose: "pour annuler"}}},
	{Action: ActionStatut},
}

// Rule returns the rule of action (ok false for an unknown action).
func Rule(action LifecycleAction) (LifecycleRule, bool) {
	i := slices.IndexFunc(LifecycleRules, func(r LifecycleRule) bool { return r.Action == action })
	if i < 0 {
		return LifecycleRule{}, false
	}
	return LifecycleRules[i], true
}

// Target is the status action moves to; vers is the status a PATCH statut request names.
func Target(action LifecycleAction, vers StatutIntervention) StatutIntervention {
	if r, ok := Rule(action); ok && r.Vers != "" {
		return r.Vers
	}
	return vers
}

// NeedsOf lists what a request for action needs; for ActionStatut, the needs of the dedicated
// action that reaches vers.
func NeedsOf(action LifecycleAction, vers StatutIntervention) []Need {
	r, _ := Rule(action)
	if action == ActionStatut {
		for _, d := range LifecycleRules {
			if d.Vers != "" && d.Vers == vers && d.Needs != nil {
				return d.Needs
			}
		}
	}
	return r.Needs
}

// transition returns the rule of de → vers.
func transition(de, vers StatutIntervention) (TransitionRule, bool) {
	i := slices.IndexFunc(Transitions, func(t TransitionRule) bool { return t.De == de && t.Vers == vers })
	if i < 0 {
		return TransitionRule{}, false
	}
	return Transitions[i], true
}

// CanTransition reports whether an intervention in status from may move to status to.
func CanTransition(from, to StatutIntervention) bool {
	_, ok := transition(from, to)
	return ok
}

// CheckTransition returns a ConflictError matching ErrInvalidTransition when from → to is not allowed.
func CheckTransition(from, to StatutIntervention) error {
	if CanTransition(from, to) {
		return nil
	}
	return invalidTransition(from, to)
}

func invalidTransition(from, to StatutIntervention) error {
	return &ConflictError{
		Reason: "transition interdite: " + string(from) + " → " + string(to),
		Err:    ErrInvalidTransition,
	}
}

// LifecycleRequest is what Decide looks at: the action asked, the intervention as it stands, who
// asks and what the request carries.
type LifecycleRequest struct {
	Action LifecycleAction
	// Vers is the status ActionStatut asks for (ignored by the other actions).
	Vers StatutIntervention

	Statut           StatutIntervention
	TypeIntervention TypeIntervention
	TechnicienID     *int64 // the assigned technicien

	Role Role // of the actor; empty for the system
	// ActeurTechnicienID is the actor's technicien profile, when the actor is a technicien.
	ActeurTechnicienID *int64

	// Fields lists the request fields that carry a value (rapport, motif...).
	Fields []string

	// An assignment's technicien, date and duration as asked (nil/0: not given), and the planning
	// as it stands, so that the same assignment sent again is recognised.
	AssignTo     *int64
	AssignAt     *time.Time
	AssignDuree  int
	PlannedAt    *time.Time
	PlannedDuree int
}

// LifecycleDecision is an accepted transition.
type LifecycleDecision struct {
	De, Vers   StatutIntervention
	Historique string
	// Noop: the request asks for what is already so (the same assignment sent again, e.g. a
	// retry without Idempotency-Key): nothing is written, the answer is the current state.
	Noop bool
}

// Decide checks a lifecycle request against the rules: the target status exists, the action may
// start from the current status, the transition is allowed, the actor may make it, and the request
// carries what the action needs. Errors are ValidationError, ConflictError (ErrInvalidTransition)
// or ErrForbidden, in that order of checking.
func Decide(req LifecycleRequest) (LifecycleDecision, error) {
	rule, ok := Rule(req.Action)
	if !ok {
		return LifecycleDecision{}, fmt.Errorf("domain: unknown lifecycle action %q", req.Action)
	}
	vers := Target(req.Action, req.Vers)
	if !vers.Valid() {
		return LifecycleDecision{}, &ValidationError{Fields: []FieldError{{Field: "statut", Message: "statut inconnu"}}}
	}
	de := req.Statut
	if rule.De != nil && !slices.Contains(rule.De, de) {
		return LifecycleDecision{}, invalidTransition(de, vers)
	}
	t, ok := transition(de, vers)
	if !ok {
		return LifecycleDecision{}, invalidTransition(de, vers)
	}
	if req.Role == RoleTechnicien {
		assigned := req.ActeurTechnicienID != nil && req.TechnicienID != nil && *req.ActeurTechnicienID == *req.TechnicienID
		if t.Who == Managers || !assigned {
			return LifecycleDecision{}, ErrForbidden
		}
	}
	for _, n := range rule.Needs {
		if n.Decided && !slices.Contains(req.Fields, n.Field) && !slices.Contains(n.Exempt, req.TypeIntervention) {
			return LifecycleDecision{}, &ValidationError{Fields: []FieldError{{Field: n.Field, Message: "obligatoire " + n.Purpose}}}
		}
	}
	return LifecycleDecision{De: de, Vers: vers, Historique: t.Historique, Noop: sameAssignment(req, de, vers)}, nil
}

// sameAssignment reports whether an assignment of planned work names the technicien it already
// has, at its date (or none given) and for its duration (or none given).
func sameAssignment(req LifecycleRequest, de, vers StatutIntervention) bool {
	if de != StatutPlanifiee || vers != StatutPlanifiee || req.AssignTo == nil || req.TechnicienID == nil || *req.AssignTo != *req.TechnicienID {
		return false
	}
	if req.AssignAt != nil && (req.PlannedAt == nil || !req.AssignAt.Equal(*req.PlannedAt)) {
		return false
	}
	return req.AssignDuree == 0 || req.AssignDuree == req.PlannedDuree
}

// TransitionWrite is one lifecycle change of an intervention, decided by its workflow and written
// by the ApplyTransition activity. It travels in Temporal histories: a renamed field keeps its JSON key.
type TransitionWrite struct {
	InterventionID int64
	// EventKey identifies the transition (workflow ID + sequence number): a retried activity
	// finds it in historique and writes nothing more.
	EventKey string
	// De and Vers keep the keys of their first names (From, To) in histories.
	De       StatutIntervention `json:"From"`
	Vers     StatutIntervention `json:"To"`
	Action   string             // historique action: assignation, demarrage, pause, reprise, cloture, annulation
	ActeurID *int64
	Date     time.Time `json:"At"` // when the workflow decided it

	TechnicienID  *int64     // assignation
	DatePlanifiee *time.Time // assignation
	DureeEstimee  int        // assignation, minutes
	Rapport       *string    // cloture
	TempsPasse    *int       // cloture, minutes
	Notes         string     // free text kept on the planning and in historique
	Motif         *string    // annulation, pause
	// RequireFree makes an assignment write nothing and report its slot taken when the
	// technicien has other active work overlapping the slot (automatic assignments: the slot
	// was free when it was searched, another assignment may have taken it since).
	RequireFree bool `json:",omitempty"`
	// Fixe marks the planning as fixed by a responsable: the route planning leaves it where it is.
	Fixe bool `json:",omitempty"`
}
