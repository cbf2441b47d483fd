package activities

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/temporalerr"
)

// Sources of an SLA deadline.
const (
	SLASourceDateLimite = domain.DeadlineSourceDateLimite
	SLASourceContrat    = domain.DeadlineSourceContrat
	SLASourcePriorite   = domain.DeadlineSourcePriorite
	SLASourceCriticite  = domain.DeadlineSourceCriticite
)

// InterventionPolicy is what the workflow needs to time an intervention: its SLA deadline and,
// for critical or urgent work, the escalation ladder.
type InterventionPolicy struct {
	Deadline            *time.Time
	DeadlineSource      string
	Escalate            bool
	EscalateAssignAfter time.Duration
	EscalateStartAfter  time.Duration
	DefaultDuree        int // minutes, for an assignment that gives none
}

func (a *Activities) workflowsConfig() (config.SLA, config.Workflows) {
	if a.Config == nil {
		return config.DefaultSLA(), config.DefaultWorkflows()
	}
	return a.Config.SLA, a.Config.Workflows
}

// interventionPolicy computes the deadline: date_limite, else the shortest resolution SLA of the
// active contracts covering the equipment, else the configured default of the priority.
func (a *Activities) interventionPolicy(ctx context.Context, row domain.Intervention) (InterventionPolicy, error) {
	sla, wf := a.workflowsConfig()
	p := InterventionPolicy{
		Escalate:            row.Priorite == domain.PrioriteCritique || row.Urgence,
		EscalateAssignAfter: wf.EscalateAssignAfter,
		EscalateStartAfter:  wf.EscalateStartAfter,
		DefaultDuree:        wf.DefaultDuree,
	}
	var hours *int
	if row.DateLimite == nil {
		contract, err := a.Store.SLAForEquipement(ctx, row.EquipementID, row.DateCreation)
		if err != nil {
			return p, err
		}
		hours = contract.ResolutionHeures
	}
	capA, err := a.criticiteCap(ctx, row.DateLimite, hours, row.EquipementID, sla)
	if err != nil {
		return p, err
	}
	d, source := domain.Deadline(row.DateLimite, row.DateCreation, hours, row.Priorite, sla.ByPriorite(), capA)
	p.DeadlineSource = source
	p.Deadline = &d
	return p, nil
}

// TransitionInput is one lifecycle change decided by an InterventionWorkflow.
type TransitionInput struct {
	domain.TransitionWrite
}

// TransitionResult is the row after the change; Applied is false for a retried attempt.
type TransitionResult struct {
	Intervention domain.Intervention
	Applied      bool
	// SlotTaken: an assignment with RequireFree found its technicien busy then; nothing was written.
	SlotTaken bool `json:",omitempty"`
}

// ApplyTransition writes row, planning, equipment and historique in one transaction, once per
// EventKey.
func (a *Activities) ApplyTransition(ctx context.Context, in TransitionInput) (TransitionResult, error) {
	row, applied, err := a.Store.ApplyTransition(ctx, in.TransitionWrite)
	if errors.Is(err, storage.ErrSlotTaken) {
		return TransitionResult{SlotTaken: true}, nil
	}
	if err != nil {
		return TransitionResult{}, temporalerr.Wrap(err)
	}
	return TransitionResult{Intervention: row, Applied: applied}, nil
}

// FindTechnicienInput asks for the best technicien for an intervention at a given slot.
type FindTechnicienInput struct {
	InterventionID int64
	EquipementID   int64
	Start          time.Time
	Duree          int
	// Flexible lets the search move Start to the earliest free slot inside a technicien's working
	// hours (automatic assignments that asked for no precise date): an assignment "now" at 22:00
	// is planned the next working morning, not at night.
	Flexible bool
}

// FindTechnicienResult is the chosen technicien, or nil when nobody fits.
type FindTechnicienResult struct {
	Technicien *domain.TechnicienCandidate
	Candidates int
	// Start is the slot found when the search was Flexible (nil otherwise: Start stands).
	Start *time.Time
}

// flexibleHorizon bounds how far a flexible search looks for a free slot.
const flexibleHorizon = 14 * 24 * time.Hour

// FindTechnicien picks the available technicien with a matching competence and the lowest load.
// A Flexible search takes the earliest free slot in working hours (Monday to Friday) of each
// competent technicien and keeps the earliest, the lowest load breaking ties.
func (a *Activities) FindTechnicien(ctx context.Context, in FindTechnicienInput) (FindTechnicienResult, error) {
	cands, err := a.Store.CandidateTechniciens(ctx, in.EquipementID, in.Start, in.Duree, in.Flexible)
	if err != nil {
		return FindTechnicienResult{}, temporalerr.Wrap(err)
	}
	if len(cands) == 0 {
		return FindTechnicienResult{}, nil
	}
	if !in.Flexible {
		return FindTechnicienResult{Technicien: &cands[0], Candidates: len(cands)}, nil
	}
	_, wf := a.workflowsConfig()
	techs, err := a.Store.LoadPlanningTechniciens(ctx, in.Start, in.Start.Add(flexibleHorizon+24*time.Hour))
	if err != nil {
		return FindTechnicienResult{}, temporalerr.Wrap(err)
	}
	byID := make(map[int64]planner.Technicien, len(techs))
	for _, t := range techs {
		byID[t.ID] = t
	}
	res := FindTechnicienResult{}
	for i, c := range cands {
		t, ok := byID[c.TechnicienID]
		if !ok {
			continue
		}
		// The candidates are competent and available already; a re-assignment frees its own slot.
		t.Competences, t.Disponible = nil, true
		t.Busy = slices.DeleteFunc(slices.Clone(t.Busy), func(s planner.Slot) bool { return s.InterventionID == in.InterventionID })
		plan, err := planner.Solve(planner.Problem{
			WeekStart: in.Start, Location: wf.Timezone, Days: int(flexibleHorizon / (24 * time.Hour)), Now: in.Start,
			Techniciens: []planner.Technicien{t},
			Tasks:       []planner.Task{{InterventionID: in.InterventionID, Duree: in.Duree, Priorite: domain.PrioriteNormale}},
		})
		if err != nil {
			return FindTechnicienResult{}, err
		}
		if len(plan.Assignments) == 0 {
			continue
		}
		res.Candidates++
		start := plan.Assignments[0].Start
		if res.Start == nil || start.Before(*res.Start) { // cands come lowest load first
			res.Technicien, res.Start = &cands[i], &start
		}
	}
	return res, nil
}

// MarkLateInput marks an intervention late once.
type MarkLateInput struct {
	InterventionID int64
	Deadline       time.Time
	EventKey       string
}

// MarkLate sets en_retard and records it in historique (once per EventKey).
func (a *Activities) MarkLate(ctx context.Context, in MarkLateInput) (TransitionResult, error) {
	row, applied, err := a.Store.MarkInterventionLate(ctx, in.InterventionID, in.Deadline, in.EventKey)
	if err != nil {
		return TransitionResult{}, temporalerr.Wrap(err)
	}
	return TransitionResult{Intervention: row, Applied: applied}, nil
}

// RecordEscalationInput is one escalation level reached.
type RecordEscalationInput struct {
	InterventionID int64
	Level          int
	Reason         string
	EventKey       string
}

// RecordEscalation writes the level in historique, once per EventKey.
func (a *Activities) RecordEscalation(ctx context.Context, in RecordEscalationInput) error {
	return temporalerr.Wrap(a.Store.RecordEscalation(ctx, in.InterventionID, in.Level, in.Reason, in.EventKey))
}

// NotifyInterventionInput notifies about one intervention: its stakeholders (creator and
// technicien) when Stakeholders is set, plus the given roles and users.
type NotifyInterventionInput struct {
	InterventionID int64
	Stakeholders   bool
	Roles          []domain.Role
	UserIDs        []int64
	Notification   domain.NewNotification
	// Dates fill the {name} placeholders of the notification's message (NotifyInput.Dates).
	Dates map[string]time.Time `json:",omitempty"`
}

// NotifyIntervention resolves the recipients and goes through Notify (the single entry point of
// notifications, deduplicated per user by DedupKey).
func (a *Activities) NotifyIntervention(ctx context.Context, in NotifyInterventionInput) (NotifyResult, error) {
	users := append([]int64(nil), in.UserIDs...)
	if in.Stakeholders {
		ids, err := a.Store.InterventionStakeholders(ctx, in.InterventionID)
		if err != nil {
			return NotifyResult{}, temporalerr.Wrap(err)
		}
		users = append(users, ids...)
	}
	if in.Notification.Metadata == nil {
		in.Notification.Metadata = map[string]any{}
	}
	in.Notification.Metadata["intervention_id"] = in.InterventionID
	return a.Notify(ctx, NotifyInput{UserIDs: users, Roles: in.Roles, Notification: in.Notification, Dates: in.Dates})
}

// criticiteCap is the deadline cap of the equipment's criticality: MIF_SLA_CRITICITE_A for
// equipment of criticality A, read only when neither a date_limite nor a contract decides.
func (a *Activities) criticiteCap(ctx context.Context, dateLimite *time.Time, contractHours *int, equipementID int64, sla config.SLA) (time.Duration, error) {
	if dateLimite != nil || contractHours != nil || sla.CriticiteA <= 0 {
		return 0, nil
	}
	crit, err := a.Store.EquipementCriticite(ctx, equipementID)
	if err != nil || crit != domain.CriticiteA {
		return 0, err
	}
	return sla.CriticiteA, nil
}
