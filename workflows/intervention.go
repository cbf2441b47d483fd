package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/temporalerr"
)

// InterventionInput starts an InterventionWorkflow.
type InterventionInput struct {
	Intervention domain.NewIntervention
	// CreateOnStart makes the workflow insert its row without waiting for the create update
	// (used when another workflow starts it as a child).
	CreateOnStart bool
	// AutoAssign makes the workflow look for a technicien right after creation (preventive
	// occurrences); when nobody fits it stays ouverte and the responsables are told.
	AutoAssign bool
	// PlannedFor is the date to plan an automatic assignment at (default: now).
	PlannedFor *time.Time
	// NoCreateWait: a run started with its row (CreateOnStart) has it before anything else, and
	// arms no create-wait timer. Runs started without it armed one all the same, which fired ten
	// minutes after every create: one more workflow task each, for nothing. Their histories
	// keep it (the field decides at start, so a replay takes the path its run took).
	NoCreateWait bool `json:",omitempty"`
	// StartSearchAttributes: the start carried the search attributes of the row (the API knows
	// them once it has written it, StartSearchAttributes below), so upserts send only what
	// changed. Histories without it upsert every attribute each time, as they always did.
	StartSearchAttributes bool `json:",omitempty"`
	// Resume is the start's one-line summary (n° — titre — priorité — équipement — client): once
	// the row exists, the workflow shows it (with its number) as its current details in the Web UI.
	Resume string `json:",omitempty"`
}

// InterventionResult is what the workflow returns when the intervention reaches a final status.
type InterventionResult struct {
	InterventionID int64
	Statut         domain.StatutIntervention
}

// Acteur is who asks for a transition (from the API's principal, or the system when zero).
type Acteur struct {
	UserID       int64       `json:"user_id"`
	Role         domain.Role `json:"role"`
	TechnicienID *int64      `json:"technicien_id,omitempty"`
}

// TransitionRequest is the argument of every lifecycle update; each update reads its own fields.
type TransitionRequest struct {
	Acteur Acteur
	// Vers is the target of UpdateStatut (ignored by the other updates); its JSON key in histories
	// is its first name, To.
	Vers domain.StatutIntervention `json:"To"`
	// Assignment.
	TechnicienID  *int64
	DatePlanifiee *time.Time
	DureeEstimee  int
	// NearestSlot lets an automatic assignment (no TechnicienID) move DatePlanifiee to the
	// earliest free slot of a technicien's working hours; without a DatePlanifiee it always may
	// (except for critical or urgent work, planned at once at any hour).
	NearestSlot bool `json:",omitempty"`
	// RequireFree refuses (409, nothing written) an assignment whose technicien has other active
	// work overlapping the slot when it is written (a reschedule checked first; this closes the race).
	RequireFree bool `json:",omitempty"`
	// Fixe: a responsable chose the slot by hand; the route planning will leave it where it is.
	Fixe bool `json:",omitempty"`
	// UnchangedSince makes a re-planning by the route planning (SignalReplanned) apply only while
	// the intervention's row is as the planning read it (its updated_at).
	UnchangedSince *time.Time `json:",omitempty"`
	// Completion.
	Rapport    *string
	TempsPasse *int
	Notes      string
	// Pieces are the parts consumed, written with the completion (no new command: they travel in
	// the input of the transition's activity).
	Pieces []domain.LignePiece `json:",omitempty"`
	// Cancellation or pause.
	Motif *string
}

// Transition is one entry of the timeline a query shows.
type Transition struct {
	De       domain.StatutIntervention `json:"de"`
	Vers     domain.StatutIntervention `json:"vers"`
	Action   string                    `json:"action"`
	Date     time.Time                 `json:"date"`
	ActeurID *int64                    `json:"acteur_id"`
	// ActeurNom is filled by the API when it answers the query (the workflow keeps ids only).
	ActeurNom string `json:"acteur_nom,omitempty"`
}

// TimerEnAttente is a durable timer the workflow is waiting on.
type TimerEnAttente struct {
	Nom      string    `json:"nom"`
	Echeance time.Time `json:"echeance"`
}

// InterventionState is what QueryState returns.
type InterventionState struct {
	InterventionID  int64                     `json:"intervention_id"`
	Statut          domain.StatutIntervention `json:"statut"`
	Cree            bool                      `json:"created"` // the row exists (key kept: published API)
	EnRetard        bool                      `json:"en_retard"`
	TechnicienID    *int64                    `json:"technicien_id"`
	SLA             SLAState                  `json:"sla"`
	NiveauEscalade  int                       `json:"niveau_escalade"`
	TimersEnAttente []TimerEnAttente          `json:"timers_en_attente"`
	Historique      []Transition              `json:"historique"`
}

// createWait bounds how long a workflow started without its create update waits before giving up
// (a start whose caller vanished must not linger forever).
const createWait = 10 * time.Minute

// dbWriteOptions are for the short PostgreSQL writes, run as local activities: they are
// idempotent and fast, and a local activity saves two round trips to the server on the latency of
// every API call that waits for them.
func dbWriteOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Second,
		},
	})
}

// notifyOptions are for notifications: a normal activity, retried for a day (a notification that
// arrives late is still worth sending; dedup keys keep retries from doubling it).
func notifyOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Second, // a few inserts: a lost attempt is retried within seconds
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
}

// interventionWorkflow is the state of one run.
type interventionWorkflow struct {
	in        InterventionInput
	row       domain.Intervention
	policy    activities.InterventionPolicy
	created   bool
	creating  bool
	createErr error
	duplicate bool   // the row was written by an earlier, finished run
	resume    string // the one-line summary with the number (current details), "" when none was given

	// lock makes transitions (updates and planned assignments) run one after the other, each
	// checked against the state the previous one left.
	lock     workflow.Mutex
	seq      int // number of transitions written, for their event keys
	version  int // bumped on every change the main loop must see
	checkSLA bool

	sla             slaClock
	escalation      workflow.ChildWorkflowFuture
	escalationOver  bool // the child has been told a status that ends its ladder
	escalationLevel int
	// The planning as the last assignment wrote it (a repeated assignment is recognised).
	plannedAt    *time.Time
	plannedDuree int
	timeline     []Transition
	followUps    followUps
	sentSA       searchAttributes // as last sent (StartSearchAttributes runs only)
}

// InterventionWorkflow owns the lifecycle of one intervention: its transitions (updates with
// validators), its SLA clock, its escalation child and its notifications.
func InterventionWorkflow(ctx workflow.Context, in InterventionInput) (InterventionResult, error) {
	w := &interventionWorkflow{in: in, lock: workflow.NewMutex(ctx)}
	logger := workflow.GetLogger(ctx)

	if err := workflow.SetQueryHandler(ctx, QueryState, w.state(ctx)); err != nil {
		return InterventionResult{}, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCreate, w.create, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context) error {
			return w.in.Intervention.Validate(workflow.Now(ctx).Add(-time.Minute))
		},
	}); err != nil {
		return InterventionResult{}, err
	}
	for _, name := range []string{UpdateAssign, UpdateStart, UpdatePause, UpdateResume, UpdateComplete, UpdateCancel, UpdateStatut, UpdateUnassign} {
		if err := w.registerTransition(ctx, name); err != nil {
			return InterventionResult{}, err
		}
	}

	if in.CreateOnStart {
		if _, err := w.create(ctx); err != nil {
			return InterventionResult{}, err
		}
	}
	ok := true
	if !in.CreateOnStart || !in.NoCreateWait {
		var err error
		ok, err = workflow.AwaitWithTimeout(ctx, createWait, func() bool { return w.created || w.createErr != nil })
		if err != nil {
			return InterventionResult{}, err
		}
	}
	switch {
	case !ok:
		logger.Warn("No create request arrived; ending without an intervention")
		return InterventionResult{}, nil
	case w.createErr != nil:
		// Nothing was written (the insert is one transaction): end, the caller has the error.
		_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		return InterventionResult{}, nil
	case w.duplicate:
		_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		return InterventionResult{InterventionID: w.row.ID, Statut: w.row.Statut}, nil
	}
	w.upsertSearchAttributes(ctx)
	if in.Resume != "" { // user metadata, not a command: histories without it replay alike
		resume := in.Resume
		if !strings.HasPrefix(resume, "n°") {
			resume = fmt.Sprintf("n°%d — %s", w.row.ID, resume)
		}
		workflow.SetCurrentDetails(ctx, resume)
		w.resume = resume
	}
	w.listenSignals(ctx)
	w.startEscalation(ctx)
	if in.AutoAssign && w.row.Statut == domain.StatutOuverte {
		if _, err := w.transition(ctx, UpdateAssign, TransitionRequest{DatePlanifiee: in.PlannedFor, NearestSlot: true}); err != nil {
			logger.Info("Automatic assignment failed; the intervention stays open", "error", err)
		}
	}

	if err := w.run(ctx); err != nil {
		return InterventionResult{}, err
	}
	return InterventionResult{InterventionID: w.row.ID, Statut: w.row.Statut}, nil
}

// run is the main loop: it sends queued notifications and runs the SLA timer until the
// intervention reaches a final status.
func (w *interventionWorkflow) run(ctx workflow.Context) error {
	for {
		if w.followUps.sendNext(ctx, w.row.ID) {
			continue
		}
		if w.row.Statut.Final() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) || w.followUps.pending() }); err != nil {
				return err
			}
			if !w.followUps.pending() {
				break
			}
			continue
		}
		version := w.version
		wake := func() bool { return w.version != version || w.followUps.pending() || w.checkSLA }
		if w.slaRunning() {
			left := w.sla.left(workflow.Now(ctx))
			if left <= 0 {
				if err := w.markLate(ctx); err != nil {
					return err
				}
				continue
			}
			// A named timer: the Web UI shows "SLA n°42 (échéance …)" among the pending timers.
			woken, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: left,
				TimerOptions: workflow.TimerOptions{Summary: fmt.Sprintf("SLA n°%d (échéance %s)", w.row.ID, noticeTime(workflow.Now(ctx).Add(left)))}}, wake)
			if err != nil {
				return err
			}
			w.checkSLA = false
			if !woken && w.slaRunning() { // the deadline passed with nothing else happening
				if err := w.markLate(ctx); err != nil {
					return err
				}
			}
			continue
		}
		if err := workflow.Await(ctx, wake); err != nil {
			return err
		}
		w.checkSLA = false
	}
	if w.escalation != nil {
		// The escalation has heard of the final status; wait for it so it never outlives us.
		_ = w.escalation.Get(ctx, nil)
	}
	return nil
}

// slaRunning reports whether the SLA timer runs: a ticking clock on unfinished work not yet late.
func (w *interventionWorkflow) slaRunning() bool {
	return w.sla.ticking() && !w.row.EnRetard && !w.row.Statut.Final()
}

// create runs the insert once, however many callers ask (retried API requests with the same
// Idempotency-Key reach the same run and get the same row).
func (w *interventionWorkflow) create(ctx workflow.Context) (domain.Intervention, error) {
	if w.creating {
		if err := workflow.Await(ctx, func() bool { return w.created || w.createErr != nil }); err != nil {
			return domain.Intervention{}, err
		}
		return w.row, w.createErr
	}
	w.creating = true
	var res activities.CreateInterventionResult
	var a *activities.Activities
	err := workflow.ExecuteLocalActivity(dbWriteOptions(ctx), a.CreateIntervention, activities.CreateInterventionInput{
		WorkflowID:   workflow.GetInfo(ctx).WorkflowExecution.ID,
		Intervention: w.in.Intervention,
	}).Get(ctx, &res)
	if err != nil {
		w.createErr = unwrapActivityError(err)
		return domain.Intervention{}, w.createErr
	}
	w.row, w.created, w.duplicate = res.Intervention, true, !res.Created && res.Intervention.Statut.Final()
	// The timeline starts with the creation (query state only: no command).
	w.timeline = append(w.timeline, Transition{De: w.row.Statut, Vers: w.row.Statut, Action: "creation",
		Date: w.row.DateCreation, ActeurID: w.row.CreateurID})
	w.policy = res.Policy
	w.sla = newSLAClock(res.Policy.Deadline, w.row.Statut, workflow.Now(ctx))
	return w.row, nil
}

// registerTransition installs one lifecycle update with its validator: an invalid transition is
// rejected before anything is written or recorded in the history.
func (w *interventionWorkflow) registerTransition(ctx workflow.Context, name string) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, name,
		func(ctx workflow.Context, req TransitionRequest) (domain.Intervention, error) {
			if err := w.awaitCreated(ctx); err != nil {
				return domain.Intervention{}, err
			}
			return w.transition(ctx, name, req)
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req TransitionRequest) error {
			if w.startsCreated() {
				// Started with its row (CreateOnStart) and still reading it: the request is
				// checked by the handler once the row is known (a client may send it right
				// after its 201).
				return nil
			}
			_, err := w.check(name, req)
			return err
		}})
}

// startsCreated reports whether the run was started with its row (CreateOnStart) and has not
// read it yet: an update may arrive in the very first workflow task, before the create has run.
func (w *interventionWorkflow) startsCreated() bool {
	return (w.creating || w.in.CreateOnStart) && !w.created && w.createErr == nil
}

// awaitCreated waits for a create in progress (no command: histories where every update came
// after the create replay unchanged).
func (w *interventionWorkflow) awaitCreated(ctx workflow.Context) error {
	if !w.startsCreated() {
		return nil
	}
	return workflow.Await(ctx, func() bool { return w.created || w.createErr != nil })
}

// check validates a transition against the current state and the caller (domain.Decide).
func (w *interventionWorkflow) check(name string, req TransitionRequest) (domain.LifecycleDecision, error) {
	if !w.created {
		return domain.LifecycleDecision{}, temporalerr.Wrap(domain.Conflictf("l'intervention n'est pas encore créée"))
	}
	var fields []string
	if req.Rapport != nil {
		fields = append(fields, "rapport")
	}
	if req.Motif != nil {
		fields = append(fields, "motif")
	}
	d, err := domain.Decide(domain.LifecycleRequest{
		Action: domain.LifecycleAction(name), Vers: req.Vers,
		Statut: w.row.Statut, TypeIntervention: w.row.TypeIntervention, TechnicienID: w.row.TechnicienID,
		Role: req.Acteur.Role, ActeurTechnicienID: req.Acteur.TechnicienID, Fields: fields,
		AssignTo: req.TechnicienID, AssignAt: req.DatePlanifiee, AssignDuree: req.DureeEstimee,
		PlannedAt: w.plannedAt, PlannedDuree: w.plannedDuree,
	})
	if err != nil {
		return d, temporalerr.Wrap(err)
	}
	return d, nil
}

// transition writes one lifecycle change; concurrent requests run one after the other and each
// is checked again against the state it finally meets.
func (w *interventionWorkflow) transition(ctx workflow.Context, name string, req TransitionRequest) (domain.Intervention, error) {
	if err := w.lock.Lock(ctx); err != nil {
		return domain.Intervention{}, err
	}
	defer w.lock.Unlock()
	d, err := w.check(name, req)
	if err != nil {
		return domain.Intervention{}, err
	}
	if d.Noop && workflow.GetVersion(ctx, repeatedAssignmentChange, workflow.DefaultVersion, 1) >= 1 {
		return w.row, nil // the same assignment again (a retry): nothing to write or notify
	}
	from, to := d.De, d.Vers
	now := workflow.Now(ctx)
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	var acteur *int64
	if req.Acteur.UserID != 0 {
		id := req.Acteur.UserID
		acteur = &id
	}
	write := domain.TransitionWrite{
		InterventionID: w.row.ID, De: from, Vers: to, Action: d.Historique, ActeurID: acteur, Date: now,
		Rapport: req.Rapport, TempsPasse: req.TempsPasse, Notes: req.Notes, Motif: req.Motif,
	}
	if to == domain.StatutTerminee {
		write.Pieces = req.Pieces
	}
	if to == domain.StatutPlanifiee {
		if err := w.prepareAssignment(ctx, req, &write); err != nil {
			return domain.Intervention{}, err
		}
	}
	if to == domain.StatutPlanifiee && req.RequireFree {
		write.RequireFree = true
	}
	if to == domain.StatutPlanifiee && req.Fixe {
		write.Fixe = true
	}
	w.seq++
	write.EventKey = wfID + "/transition/" + strconv.Itoa(w.seq)
	var a *activities.Activities
	var res activities.TransitionResult
	for attempt := 1; ; attempt++ {
		res = activities.TransitionResult{} // decoding leaves the fields an answer omits untouched
		if err := workflow.ExecuteLocalActivity(dbWriteOptions(ctx), a.ApplyTransition, activities.TransitionInput{TransitionWrite: write}).Get(ctx, &res); err != nil {
			return domain.Intervention{}, unwrapActivityError(err)
		}
		if !res.SlotTaken {
			break
		}
		// Another assignment took the slot between our search (or the caller's check) and our
		// write (nothing was written): a chosen technicien is refused, an automatic one is
		// searched again, a few times.
		if req.TechnicienID != nil {
			return domain.Intervention{}, temporalerr.Wrap(domain.Conflictf("le technicien a été planifié sur ce créneau entre-temps"))
		}
		if attempt == maxSlotAttempts {
			return domain.Intervention{}, temporalerr.Wrap(domain.Conflictf("le créneau trouvé a été pris par une autre affectation; réessayez"))
		}
		write.TechnicienID = req.TechnicienID
		if err := w.prepareAssignment(ctx, req, &write); err != nil {
			return domain.Intervention{}, err
		}
	}
	w.row = res.Intervention
	if to == domain.StatutPlanifiee {
		w.plannedAt, w.plannedDuree = write.DatePlanifiee, write.DureeEstimee
	}
	w.timeline = append(w.timeline, Transition{De: from, Vers: to, Action: write.Action, Date: now, ActeurID: acteur})
	w.sla.move(from, to, workflow.Now(ctx))
	w.upsertSearchAttributes(ctx)
	w.tellEscalation(ctx)
	if to == domain.StatutTerminee {
		w.followUps.report(write.EventKey + "/rapport")
	}
	w.notifyNow(ctx, transitionNotice(w.row, write))
	w.version++
	return w.row, nil
}

// notifyNow sends a notification within the current workflow task, as a short local activity, so
// that no other workflow task follows a transition (an update arriving meanwhile would wait for
// it); when that fails, the notification goes to the outbox, sent by a normal, patient activity.
func (w *interventionWorkflow) notifyNow(ctx workflow.Context, n activities.NotifyInterventionInput) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Second,
	})
	var a *activities.Activities
	var res activities.NotifyResult
	if err := workflow.ExecuteLocalActivity(lctx, a.NotifyIntervention, n).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Warn("Notification deferred", "event", n.Notification.Event, "error", err)
		w.followUps.notify(n)
		return
	}
	w.followUps.mail(res.IDs())
}

// prepareAssignment fills the technicien (chosen automatically when none is given), date and
// duration of an assignment.
func (w *interventionWorkflow) prepareAssignment(ctx workflow.Context, req TransitionRequest, write *domain.TransitionWrite) error {
	now := workflow.Now(ctx)
	start := now.Truncate(15 * time.Minute).Add(15 * time.Minute)
	if req.DatePlanifiee != nil {
		start = *req.DatePlanifiee
	}
	duree := req.DureeEstimee
	if duree <= 0 {
		duree = w.policy.DefaultDuree
	}
	if duree <= 0 {
		duree = 120
	}
	write.DatePlanifiee, write.DureeEstimee, write.TechnicienID = &start, duree, req.TechnicienID
	if req.TechnicienID != nil {
		return nil
	}
	var a *activities.Activities
	var found activities.FindTechnicienResult
	if err := workflow.ExecuteLocalActivity(dbWriteOptions(ctx), a.FindTechnicien, activities.FindTechnicienInput{
		InterventionID: w.row.ID, EquipementID: w.row.EquipementID, Start: start, Duree: duree,
		// Critical or urgent work is planned as soon as asked, at any hour (call-out); the rest
		// waits for the working hours.
		Flexible: (req.DatePlanifiee == nil || req.NearestSlot) && !w.policy.Escalate,
	}).Get(ctx, &found); err != nil {
		return unwrapActivityError(err)
	}
	if found.Start != nil { // the earliest free slot in the technicien's working hours
		start = *found.Start
		write.DatePlanifiee = &start
	}
	if found.Technicien == nil {
		w.followUps.notify(unassignedNotice(w.row, w.seq))
		w.version++
		return temporalerr.Wrap(domain.Conflictf("aucun technicien compétent et disponible pour ce créneau; l'intervention reste ouverte"))
	}
	id := found.Technicien.TechnicienID
	write.TechnicienID = &id
	write.Notes = "affectation automatique"
	write.RequireFree = true
	return nil
}

// maxSlotAttempts bounds the searches of an automatic assignment whose slot is taken meanwhile.
const maxSlotAttempts = 3

// markLate records that the SLA deadline passed, tells the stakeholders and the responsables,
// and escalates (the escalation child, when there is one, jumps to its next levels).
func (w *interventionWorkflow) markLate(ctx workflow.Context) error {
	var a *activities.Activities
	var res activities.TransitionResult
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	err := workflow.ExecuteLocalActivity(dbWriteOptions(ctx), a.MarkLate, activities.MarkLateInput{
		InterventionID: w.row.ID, Deadline: *w.sla.deadline, EventKey: wfID + "/retard",
	}).Get(ctx, &res)
	if err != nil {
		return err
	}
	w.row.EnRetard = true
	w.row.UpdatedAt = res.Intervention.UpdatedAt
	w.timeline = append(w.timeline, Transition{De: w.row.Statut, Vers: w.row.Statut, Action: "retard", Date: workflow.Now(ctx)})
	w.upsertSearchAttributes(ctx)
	w.tellEscalation(ctx)
	w.followUps.notify(lateNotice(w.row, *w.sla.deadline, wfID+"/retard"))
	w.version++
	return nil
}

// listenSignals handles the signals: SLA re-check (overdue scan), assignments from the weekly
// planning, and the level reached by the escalation child.
func (w *interventionWorkflow) listenSignals(ctx workflow.Context) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalCheckSLA)
		for ch.Receive(ctx, nil) {
			w.checkSLA = true
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalEscalated)
		var level int
		for ch.Receive(ctx, &level) {
			w.escalationLevel = max(w.escalationLevel, level)
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalPlanned)
		var req TransitionRequest
		for ch.Receive(ctx, &req) {
			if w.row.Statut != domain.StatutOuverte {
				// Assigned by hand since the planning loaded it: the manager's choice stands.
				workflow.GetLogger(ctx).Info("Planned assignment ignored", "statut", w.row.Statut)
				continue
			}
			if _, err := w.transition(ctx, UpdateAssign, req); err != nil {
				workflow.GetLogger(ctx).Info("Planned assignment refused", "error", err)
			}
		}
	})
	// Re-planning of planned work by the route planning: applied only while the row is as the
	// planning read it (a manual change since then stands). A signal no earlier history received,
	// so histories recorded before it replay unchanged.
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalReplanned)
		var req TransitionRequest
		for ch.Receive(ctx, &req) {
			if w.row.Statut != domain.StatutPlanifiee || req.UnchangedSince == nil || !w.row.UpdatedAt.Equal(*req.UnchangedSince) {
				workflow.GetLogger(ctx).Info("Re-planning ignored", "statut", w.row.Statut)
				continue
			}
			if _, err := w.transition(ctx, UpdateAssign, req); err != nil {
				workflow.GetLogger(ctx).Info("Re-planning refused", "error", err)
			}
		}
	})
}

// startEscalation starts the escalation ladder of critical or urgent work.
func (w *interventionWorkflow) startEscalation(ctx workflow.Context) {
	if !w.policy.Escalate {
		return
	}
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	// User metadata for the Web UI: not compared on replay, so no version marker (summaries.go).
	desc := DescribeEscalation(w.row.ID, w.row.Titre, w.row.Priorite, w.resume, w.policy.EscalateAssignAfter, w.policy.EscalateStartAfter)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        EscalationWorkflowID(wfID),
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		StaticSummary:     desc.Summary, StaticDetails: desc.Details,
	})
	w.escalation = workflow.ExecuteChildWorkflow(cctx, EscalationWorkflowName, EscalationInput{
		InterventionID: w.row.ID, Titre: w.row.Titre, ParentWorkflowID: wfID, CreatedAt: w.row.DateCreation,
		AssignAfter: w.policy.EscalateAssignAfter, StartAfter: w.policy.EscalateStartAfter,
		Progress: EscalationProgress{Statut: w.row.Statut, EnRetard: w.row.EnRetard},
	})
	if err := w.escalation.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("Escalation not started", "error", err)
		w.escalation = nil
	}
}

// Versions of the intervention workflow's commands (workflow.GetVersion): histories recorded
// before a change replay along the old path (testdata/intervention_v1.json).
const (
	// repeatedAssignmentChange: the same assignment sent again writes nothing (no activity).
	repeatedAssignmentChange = "repeated-assignment-noop"
	// escalationEndChange: the escalation child is not signalled after it was told a status that
	// ends its ladder (it has ended, or is ending: the signal would fail).
	escalationEndChange = "escalation-told-until-its-end"
)

// escalationWaitsOn reports whether the escalation ladder still waits while the intervention has
// this status (EscalationWorkflow: levels wait on ouverte and planifiee only).
func escalationWaitsOn(s domain.StatutIntervention) bool {
	return s == domain.StatutOuverte || s == domain.StatutPlanifiee
}

// tellEscalation passes the new status to the escalation child, which stops once the
// intervention has moved on.
func (w *interventionWorkflow) tellEscalation(ctx workflow.Context) {
	if w.escalation == nil || w.escalation.IsReady() || w.escalationOver {
		return // none, or its ladder is over
	}
	if workflow.GetVersion(ctx, escalationEndChange, workflow.DefaultVersion, 1) >= 1 && !escalationWaitsOn(w.row.Statut) {
		// This signal ends the ladder; the child completes on it, so none may follow.
		w.escalationOver = true
	}
	// Not awaited here: waiting for the delivery would cost the transition two more workflow tasks.
	f := w.escalation.SignalChildWorkflow(ctx, SignalProgress, EscalationProgress{Statut: w.row.Statut, EnRetard: w.row.EnRetard})
	workflow.Go(ctx, func(ctx workflow.Context) {
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("Escalation not told", "error", err)
		}
	})
}

func (w *interventionWorkflow) state(ctx workflow.Context) func() (InterventionState, error) {
	return func() (InterventionState, error) {
		now := workflow.Now(ctx)
		st := InterventionState{
			InterventionID: w.row.ID, Statut: w.row.Statut, Cree: w.created, EnRetard: w.row.EnRetard,
			TechnicienID: w.row.TechnicienID, NiveauEscalade: w.escalationLevel,
			TimersEnAttente: []TimerEnAttente{}, Historique: append([]Transition{}, w.timeline...),
		}
		st.SLA = w.sla.state(w.policy.DeadlineSource, w.row.Statut.Final(), now)
		if w.slaRunning() {
			st.TimersEnAttente = append(st.TimersEnAttente, TimerEnAttente{Nom: "sla", Echeance: *w.sla.deadline})
		}
		if w.escalation != nil && !w.row.Statut.Final() {
			if w.row.Statut == domain.StatutOuverte && w.escalationLevel < 1 {
				st.TimersEnAttente = append(st.TimersEnAttente, TimerEnAttente{Nom: "escalade_niveau_1", Echeance: w.row.DateCreation.Add(w.policy.EscalateAssignAfter)})
			}
			if (w.row.Statut == domain.StatutOuverte || w.row.Statut == domain.StatutPlanifiee) && w.escalationLevel < 2 {
				st.TimersEnAttente = append(st.TimersEnAttente, TimerEnAttente{Nom: "escalade_niveau_2", Echeance: w.row.DateCreation.Add(w.policy.EscalateStartAfter)})
			}
		}
		return st, nil
	}
}

func (w *interventionWorkflow) upsertSearchAttributes(ctx workflow.Context) {
	cur := attributesOf(w.row)
	// A run whose start carried its attributes (StartSearchAttributes) sends only what changed
	// since it last sent them: each upsert is one more write to Temporal's visibility store, on
	// every create when the start already set them. What was sent is the workflow's own state
	// (the start's values are computed again from its input and the row): the attributes the
	// server returns with the start event may have been updated since, and a replay must decide
	// as the run did. Runs started without it (histories recorded before) send them all.
	if w.in.StartSearchAttributes && !w.sentSA.set {
		w.sentSA = startAttributes(w.row.ID, w.in.Intervention)
	}
	updates := cur.updatesFrom(w.sentSA)
	if w.in.StartSearchAttributes {
		w.sentSA = cur
	}
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("Search attributes not updated", "error", err)
	}
}

// unwrapActivityError returns the application error inside an activity failure, so that its type
// (validation, conflict...) reaches the caller of the update intact.
func unwrapActivityError(err error) error {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae
	}
	return err
}
