package workflows

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
)

// The in-app notifications of an intervention's life, in French as users read them. Each carries
// its event (the e-mail preferences' catalogue, storage.NotificationEvents) and a dedup key, so
// that a retried activity never notifies twice.

// noticeTime is how a date reads in a timer's name, in the platform's zone, labelled (the texts
// of notifications get MIF_PLANNING_TIMEZONE from the activity, see NotifyInterventionInput.Dates).
func noticeTime(t time.Time) string { return domain.LocalTime(t, timerZone.Load()) }

// timerZone is where the times of timer summaries are written (MIF_PLANNING_TIMEZONE, set by
// SetTimerZone before the worker starts; UTC until then). A timer's summary is metadata that
// replay never compares, so a worker with another setting replays the same history alike.
var timerZone atomic.Pointer[time.Location]

// SetTimerZone sets the zone of the times managers read in timer summaries.
func SetTimerZone(loc *time.Location) { timerZone.Store(loc) }

// transitionNotice tells the stakeholders (and, for a completion, the responsables) about a
// transition just written.
func transitionNotice(row domain.Intervention, write domain.TransitionWrite) activities.NotifyInterventionInput {
	n := activities.NotifyInterventionInput{InterventionID: row.ID, Stakeholders: true}
	n.Notification = domain.NewNotification{
		Titre: "Intervention " + strings.ToLower(write.Vers.Label()),
		Message: fmt.Sprintf("L'intervention « %s » est passée de « %s » à « %s ».", row.Titre,
			strings.ToLower(write.De.Label()), strings.ToLower(write.Vers.Label())),
		Type:     domain.NotificationInfo,
		Event:    "intervention." + write.Action,
		Metadata: map[string]any{"statut": write.Vers},
		DedupKey: write.EventKey,
	}
	switch write.Vers {
	case domain.StatutPlanifiee:
		n.Notification.Titre = "Intervention planifiée"
		n.Notification.Message = fmt.Sprintf("L'intervention « %s » est planifiée le {date_planifiee} (%d min).", row.Titre, write.DureeEstimee)
		n.Dates = map[string]time.Time{"date_planifiee": *write.DatePlanifiee}
	case domain.StatutTerminee:
		n.Notification.Type = domain.NotificationSuccess
		n.Roles = []domain.Role{domain.RoleResponsable}
	case domain.StatutAnnulee:
		n.Notification.Type = domain.NotificationWarning
	}
	return n
}

// lateNotice tells the stakeholders and the responsables that the SLA deadline passed.
func lateNotice(row domain.Intervention, deadline time.Time, key string) activities.NotifyInterventionInput {
	return activities.NotifyInterventionInput{
		InterventionID: row.ID, Stakeholders: true, Roles: []domain.Role{domain.RoleResponsable},
		Notification: domain.NewNotification{
			Titre:    "Intervention en retard",
			Message:  fmt.Sprintf("L'intervention « %s » a dépassé son échéance ({echeance}).", row.Titre),
			Type:     domain.NotificationError,
			Event:    "intervention.en_retard",
			DedupKey: key,
		},
		Dates: map[string]time.Time{"echeance": deadline},
	}
}

// unassignedNotice tells the responsables that an automatic assignment found nobody; seq tells the
// attempts apart.
func unassignedNotice(row domain.Intervention, seq int) activities.NotifyInterventionInput {
	return activities.NotifyInterventionInput{
		InterventionID: row.ID, Roles: []domain.Role{domain.RoleResponsable},
		Notification: domain.NewNotification{
			Titre:    "Aucun technicien disponible",
			Message:  fmt.Sprintf("L'intervention « %s » n'a pu être affectée automatiquement : aucun technicien compétent et disponible.", row.Titre),
			Type:     domain.NotificationWarning,
			Event:    "intervention.unassigned",
			DedupKey: fmt.Sprintf("intervention/%d/sans-technicien/%d", row.ID, seq),
		},
	}
}
