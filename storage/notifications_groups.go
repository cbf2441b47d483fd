package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// notificationGroupsSQL forms the digests of one inbox with window functions: within one event and
// read state, ordered by time, a notification starts a new group when it came more than the
// window after the previous one. $1 is the user, $2 the window in seconds; %s adds filters.
const notificationGroupsSQL = `
WITH base AS (
	SELECT n.id, n.lue, n.date_creation, COALESCE(n.metadata->>'event', n.type) AS evenement
	FROM notifications n WHERE n.destinataire_id = $1 %s
), marked AS (
	SELECT b.*, CASE WHEN b.date_creation - lag(b.date_creation) OVER w <= make_interval(secs => $2) THEN 0 ELSE 1 END AS debut
	FROM base b WINDOW w AS (PARTITION BY b.evenement, b.lue ORDER BY b.date_creation, b.id)
), numbered AS (
	SELECT m.*, sum(m.debut) OVER (PARTITION BY m.evenement, m.lue ORDER BY m.date_creation, m.id) AS groupe
	FROM marked m
)
SELECT evenement, lue, count(*) AS nombre, min(date_creation) AS date_debut, max(date_creation) AS date_fin,
	array_agg(id ORDER BY date_creation DESC, id DESC) AS ids
FROM numbered GROUP BY evenement, lue, groupe`

// ListNotificationGroups returns one page of a user's inbox as digests, newest first, and the
// number of digests. Nothing is merged in storage: every notification keeps its row (dedup,
// e-mail, real-time stream), grouping is how the inbox is read.
func (s *Store) ListNotificationGroups(ctx context.Context, userID int64, lue *bool, window time.Duration, page Page) ([]domain.NotificationGroupe, int, error) {
	filter, args := "", []any{userID, window.Seconds()}
	if lue != nil {
		filter, args = "AND n.lue = $3", append(args, *lue)
	}
	query := fmt.Sprintf(notificationGroupsSQL, filter)
	var total int
	if err := s.q.GetContext(ctx, &total, `SELECT count(*) FROM (`+query+`) g`, args...); err != nil {
		return nil, 0, wrap("count notification groups", err)
	}
	var rows []struct {
		Evenement string        `db:"evenement"`
		Lue       bool          `db:"lue"`
		Nombre    int           `db:"nombre"`
		DateDebut time.Time     `db:"date_debut"`
		DateFin   time.Time     `db:"date_fin"`
		IDs       pq.Int64Array `db:"ids"`
	}
	err := s.q.SelectContext(ctx, &rows, query+` ORDER BY date_fin DESC, max(id) DESC LIMIT `+strconv.Itoa(page.Limit)+` OFFSET `+strconv.Itoa(page.Offset), args...)
	if err != nil {
		return nil, 0, wrap("list notification groups", err)
	}
	latest := make([]int64, len(rows))
	for i, r := range rows {
		latest[i] = r.IDs[0]
	}
	var notes []domain.Notification
	if err := s.q.SelectContext(ctx, &notes, `SELECT `+notificationColumns+` FROM notifications n WHERE n.id = ANY($1)`, pq.Array(latest)); err != nil {
		return nil, 0, wrap("list notification groups", err)
	}
	byID := make(map[int64]domain.Notification, len(notes))
	for _, n := range notes {
		byID[n.ID] = n
	}
	out := make([]domain.NotificationGroupe, len(rows))
	for i, r := range rows {
		last := byID[r.IDs[0]]
		titre := last.Titre
		if r.Nombre > 1 {
			titre = fmt.Sprintf("%d notifications : %s", r.Nombre, last.Titre)
		}
		out[i] = domain.NotificationGroupe{
			Evenement: r.Evenement, Titre: titre, Nombre: r.Nombre, Lue: r.Lue,
			DateDebut: r.DateDebut, DateFin: r.DateFin, NotificationIDs: []int64(r.IDs), Derniere: last,
		}
	}
	return out, total, nil
}
