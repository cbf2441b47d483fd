package workflows

import (
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
)

// Names of the client request's workflow (issue 15).
const (
	DemandeWorkflowName = "DemandeWorkflow"
	// SignalDemandeTriee carries a responsable's decision (a DemandeTriee).
	SignalDemandeTriee = "demande_triee"
)

// DemandeWorkflowID is the one workflow of a client request. Request ids come from one database,
// so the ID is scoped by the task queue, as the preventive cycles' are.
func DemandeWorkflowID(taskQueue string, demandeID int64) string {
	return "demande/" + taskQueue + "/" + strconv.FormatInt(demandeID, 10)
}

// DemandeInput starts the workflow of a submitted request.
type DemandeInput struct {
	Demande domain.Demande
	// TriageDelay: untriaged after this long, the request is escalated (MIF_DEMANDE_TRIAGE_DELAY).
	TriageDelay time.Duration
}

// DemandeTriee is the decision the API signals once it is recorded.
type DemandeTriee struct {
	Statut         domain.StatutDemande
	InterventionID *int64
	Motif          string
}

// DemandeResult is how the request ended.
type DemandeResult struct {
	Statut    domain.StatutDemande
	Escaladee bool
}

// DemandeWorkflow follows one client request: it tells the responsables (and acknowledges to the
// client), escalates it to responsables and administrators when nobody triaged it within the
// delay (a durable timer), and tells the client the decision once the API signals it.
func DemandeWorkflow(ctx workflow.Context, in DemandeInput) (DemandeResult, error) {
	d := in.Demande
	res := DemandeResult{Statut: domain.DemandeSoumise}
	key := "demande/" + workflow.GetInfo(ctx).WorkflowExecution.ID
	meta := map[string]any{"demande_id": d.ID, "equipement_id": d.EquipementID}
	notifyDemande(ctx, activities.NotifyInput{Roles: []domain.Role{domain.RoleResponsable}, Notification: domain.NewNotification{
		Titre:   "Nouvelle demande client",
		Message: fmt.Sprintf("%s demande une intervention (%s) sur %s : %s", d.ClientNom, d.Urgence, d.EquipementNom, excerpt(d.Description)),
		Type:    domain.NotificationInfo, Event: "demande.soumise", Metadata: meta, DedupKey: key + "/soumise",
	}})
	if d.DemandeurID != nil {
		notifyDemande(ctx, activities.NotifyInput{UserIDs: []int64{*d.DemandeurID}, Notification: domain.NewNotification{
			Titre:   "Demande reçue",
			Message: fmt.Sprintf("Votre demande n° %d sur %s a été reçue ; un responsable va l'examiner.", d.ID, d.EquipementNom),
			Type:    domain.NotificationInfo, Event: "demande.recue", Metadata: meta, DedupKey: key + "/recue",
		}})
	}

	triage := workflow.GetSignalChannel(ctx, SignalDemandeTriee)
	var decision DemandeTriee
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	// Named for the Web UI; a timer's summary is not compared on replay (same command, same ID).
	timer := workflow.NewTimerWithOptions(timerCtx, in.TriageDelay, workflow.TimerOptions{
		Summary: fmt.Sprintf("Délai de tri de la demande n°%d (escalade au bout de %s)", d.ID, duree(in.TriageDelay))})
	decided := false
	for !decided {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(triage, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, &decision)
			decided = true
		})
		if timer != nil {
			sel.AddFuture(timer, func(f workflow.Future) {
				timer = nil
				if f.Get(ctx, nil) != nil {
					return // cancelled
				}
				res.Escaladee = escalateDemande(ctx, d, key, meta)
			})
		}
		sel.Select(ctx)
	}
	cancelTimer()
	res.Statut = decision.Statut
	if d.DemandeurID == nil {
		return res, nil
	}
	n := domain.NewNotification{Type: domain.NotificationInfo, Metadata: meta, DedupKey: key + "/" + string(decision.Statut)}
	if decision.InterventionID != nil {
		meta["intervention_id"] = *decision.InterventionID
	}
	switch decision.Statut {
	case domain.DemandeAcceptee:
		n.Titre, n.Event = "Demande acceptée", "demande.acceptee"
		n.Message = fmt.Sprintf("Votre demande n° %d est acceptée : l'intervention n° %d est ouverte.", d.ID, deref(decision.InterventionID))
		n.Type = domain.NotificationSuccess
	case domain.DemandeFusionnee:
		n.Titre, n.Event = "Demande rattachée à une intervention", "demande.fusionnee"
		n.Message = fmt.Sprintf("Votre demande n° %d est prise en charge par l'intervention n° %d, déjà ouverte.", d.ID, deref(decision.InterventionID))
	default:
		n.Titre, n.Event = "Demande refusée", "demande.rejetee"
		n.Message = fmt.Sprintf("Votre demande n° %d est refusée : %s", d.ID, decision.Motif)
		n.Type = domain.NotificationWarning
	}
	notifyDemande(ctx, activities.NotifyInput{UserIDs: []int64{*d.DemandeurID}, Notification: n})
	return res, nil
}

// escalateDemande marks the request escalated and tells responsables and administrators.
func escalateDemande(ctx workflow.Context, d domain.Demande, key string, meta map[string]any) bool {
	var a *activities.Activities
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 5 * time.Minute},
	})
	var out activities.EscalateDemandeResult
	if err := workflow.ExecuteActivity(actx, a.EscalateDemande, activities.EscalateDemandeInput{DemandeID: d.ID}).Get(ctx, &out); err != nil {
		workflow.GetLogger(ctx).Error("Demande not escalated", "demande_id", d.ID, "error", err)
		return false
	}
	if !out.Escalated {
		return out.Demande.Escaladee
	}
	notifyDemande(ctx, activities.NotifyInput{Roles: []domain.Role{domain.RoleResponsable, domain.RoleAdmin}, Notification: domain.NewNotification{
		Titre:   "Demande client non traitée",
		Message: fmt.Sprintf("La demande n° %d de %s sur %s attend toujours d'être triée.", d.ID, d.ClientNom, d.EquipementNom),
		Type:    domain.NotificationWarning, Event: "demande.escaladee", Metadata: meta, DedupKey: key + "/escaladee",
	}})
	return true
}

// notifyDemande creates the in-app notifications, then e-mails them.
func notifyDemande(ctx workflow.Context, in activities.NotifyInput) {
	var a *activities.Activities
	var sent activities.NotifyResult
	if err := workflow.ExecuteActivity(notifyOptions(ctx), a.Notify, in).Get(ctx, &sent); err != nil {
		workflow.GetLogger(ctx).Error("Demande not notified", "event", in.Notification.Event, "error", err)
		return
	}
	sendEmails(ctx, sent.IDs())
}

// excerpt shortens a description for a notification.
func excerpt(s string) string {
	r := []rune(s)
	if len(r) <= 120 {
		return s
	}
	return string(r[:120]) + "…"
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
