package activities

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/temporalerr"
)

// NotifyInput is an in-app notification to the listed users and to every active user of the
// listed roles.
type NotifyInput struct {
	UserIDs      []int64
	Roles        []domain.Role
	Notification domain.NewNotification
	// Dates fill the placeholders of the notification's message, written here in
	// MIF_PLANNING_TIMEZONE: {name} reads "07/12/2026 à 08:00 (heure de Casablanca)", {name:jour}
	// reads the day alone, "07/12/2026". A workflow decides what to say, not in which zone people
	// read it (it has no zone of its own, and its times come back from activities in UTC).
	Dates map[string]time.Time `json:",omitempty"`
}

// fillDates writes the dates of a message in the planning's time zone (see NotifyInput.Dates).
func fillDates(message string, dates map[string]time.Time, loc *time.Location) string {
	for k, t := range dates {
		t = t.In(loc)
		message = strings.ReplaceAll(message, "{"+k+":jour}", t.Format("02/01/2006"))
		message = strings.ReplaceAll(message, "{"+k+"}", t.Format("02/01/2006 à 15:04")+" ("+domain.ZoneLabel(loc)+")")
	}
	return message
}

// location is MIF_PLANNING_TIMEZONE (UTC, labelled so, when it cannot be loaded).
func (a *Activities) location() *time.Location {
	_, wf := a.workflowsConfig()
	loc, err := time.LoadLocation(wf.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// NotifyResult lists the notifications created by this call (none for a retried call whose
// first attempt already created them).
type NotifyResult struct {
	Created []domain.Notification
}

// Notify stores the notifications, deduplicated per recipient by Notification.DedupKey.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	recipients := slices.Clone(in.UserIDs)
	if len(in.Roles) > 0 {
		ids, err := a.Store.ActiveUserIDsByRole(ctx, in.Roles...)
		if err != nil {
			return NotifyResult{}, temporalerr.Wrap(err)
		}
		recipients = append(recipients, ids...)
	}
	if len(in.Dates) > 0 {
		in.Notification.Message = fillDates(in.Notification.Message, in.Dates, a.location())
	}
	slices.Sort(recipients)
	recipients = slices.Compact(recipients)
	if len(recipients) == 0 {
		return NotifyResult{}, nil
	}
	created, err := a.Store.CreateNotifications(ctx, recipients, in.Notification)
	if err != nil {
		return NotifyResult{}, temporalerr.Wrap(err)
	}
	a.Log.Debug("notifications created", zap.String("event", in.Notification.Event), zap.Int("count", len(created)))
	return NotifyResult{Created: created}, nil
}

// IDs lists the ids of the created notifications.
func (r NotifyResult) IDs() []int64 {
	ids := make([]int64, len(r.Created))
	for i, n := range r.Created {
		ids[i] = n.ID
	}
	return ids
}
