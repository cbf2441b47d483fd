package activities

import (
	"context"
	"slices"

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
