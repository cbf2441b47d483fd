package storage

import (
	"context"
	"fmt"

	"github.com/mifmaroc/mif/domain"
)

// ListNotifications returns one page of a user's notifications, newest first
// (notifications_destinataire_idx), optionally only read or unread ones, and the total.
func (s *Store) ListNotifications(ctx context.Context, userID int64, lue *bool, page Page) ([]domain.Notification, int, error) {
	w := &where{}
	w.add("n.destinataire_id = ?", userID)
	if lue != nil {
		w.add("n.lue = ?", *lue)
	}
	total, err := s.count(ctx, "count notifications", "notifications n", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Notification{}
	err = s.q.SelectContext(ctx, &out, `SELECT `+notificationColumns+` FROM notifications n WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY n.date_creation DESC, n.id DESC LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list notifications", err)
}

// CountUnreadNotifications counts a user's unread notifications.
func (s *Store) CountUnreadNotifications(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM notifications WHERE destinataire_id = $1 AND NOT lue`, userID)
	return n, wrap("count unread notifications", err)
}

// MarkNotificationRead marks one of a user's notifications read (keeping the first reading
// time); another user's notification is not found.
func (s *Store) MarkNotificationRead(ctx context.Context, userID, id int64) (domain.Notification, error) {
	var n domain.Notification
	err := s.q.GetContext(ctx, &n, `UPDATE notifications AS n SET lue = TRUE, date_lecture = COALESCE(date_lecture, now())
		WHERE n.id = $1 AND n.destinataire_id = $2 RETURNING `+notificationColumns, id, userID)
	return n, wrap("mark notification read", err)
}

// MarkAllNotificationsRead marks every unread notification of a user read and returns how many.
func (s *Store) MarkAllNotificationsRead(ctx context.Context, userID int64) (int64, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE notifications SET lue = TRUE, date_lecture = now()
		WHERE destinataire_id = $1 AND NOT lue`, userID)
	if err != nil {
		return 0, wrap("mark all notifications read", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("mark all notifications read", err)
}

// DeleteNotification deletes one of a user's notifications.
func (s *Store) DeleteNotification(ctx context.Context, userID, id int64) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM notifications WHERE id = $1 AND destinataire_id = $2`, id, userID)
	if err != nil {
		return wrap("delete notification", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: delete notification: %w", domain.ErrNotFound)
	}
	return nil
}
