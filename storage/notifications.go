package storage

import (
	"context"
	"encoding/json"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

const notificationColumns = `n.id, n.titre, n.message, n.type, n.destinataire_id, n.lue, n.date_creation,
	n.date_lecture, n.metadata`

// CreateNotifications stores one notification per recipient and returns those actually created:
// a recipient who already has a notification with the same DedupKey gets nothing new.
func (s *Store) CreateNotifications(ctx context.Context, recipients []int64, n domain.NewNotification) ([]domain.Notification, error) {
	meta := map[string]any{}
	for k, v := range n.Metadata {
		meta[k] = v
	}
	if n.Event != "" {
		meta["event"] = n.Event
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, wrap("create notifications", err)
	}
	var key *string
	if n.DedupKey != "" {
		key = &n.DedupKey
	}
	typ := n.Type
	if typ == "" {
		typ = domain.NotificationInfo
	}
	out := []domain.Notification{}
	err = s.q.SelectContext(ctx, &out, `
		INSERT INTO notifications AS n (titre, message, type, destinataire_id, metadata, dedup_key)
		SELECT $1, $2, $3, r, $4, $5 FROM unnest($6::bigint[]) AS r
		ON CONFLICT (destinataire_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
		RETURNING `+notificationColumns,
		n.Titre, n.Message, typ, raw, key, pq.Array(recipients))
	return out, wrap("create notifications", err)
}

// ActiveUserIDsByRole lists the active accounts of the given roles.
func (s *Store) ActiveUserIDsByRole(ctx context.Context, roles ...domain.Role) ([]int64, error) {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	ids := []int64{}
	err := s.q.SelectContext(ctx, &ids, `SELECT id FROM users WHERE is_active AND role = ANY($1) ORDER BY id`, pq.Array(names))
	return ids, wrap("users by role", err)
}

// NotificationByDedupKey returns the user's notification sent for the business event key.
func (s *Store) NotificationByDedupKey(ctx context.Context, userID int64, key string) (domain.Notification, error) {
	var n domain.Notification
	err := s.q.GetContext(ctx, &n, `SELECT `+notificationColumns+` FROM notifications n WHERE n.destinataire_id = $1 AND n.dedup_key = $2`, userID, key)
	return n, wrap("notification by key", err)
}
