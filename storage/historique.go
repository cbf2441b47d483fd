package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// HistoriqueEntry is one audit event to record.
type HistoriqueEntry struct {
	Entite   string
	EntiteID int64
	Action   string
	ActeurID *int64
	// Changements is marshalled to JSON (a map of field → value, or {old, new} pairs).
	Changements any
	// EventKey, when set, makes the write idempotent: a retried activity records the event once.
	EventKey string
}

// RecordHistorique appends one row to the audit trail; call it inside the transaction of the
// change it describes.
func (s *Store) RecordHistorique(ctx context.Context, e HistoriqueEntry) error {
	changes := []byte("{}")
	if e.Changements != nil {
		b, err := json.Marshal(e.Changements)
		if err != nil {
			return wrap("record historique", err)
		}
		changes = b
	}
	var key *string
	if e.EventKey != "" {
		key = &e.EventKey
	}
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO historique (entite, entite_id, action, acteur_id, changements, event_key)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (event_key) WHERE event_key IS NOT NULL DO NOTHING`,
		e.Entite, e.EntiteID, e.Action, e.ActeurID, changes, key)
	return wrap("record historique", err)
}

// ListHistorique returns the audit trail of one entity, oldest first.
func (s *Store) ListHistorique(ctx context.Context, entite string, id int64) ([]domain.Historique, error) {
	out := []domain.Historique{}
	err := s.q.SelectContext(ctx, &out, `
		SELECT id, entite, entite_id, action, acteur_id, changements, date_action
		FROM historique WHERE entite = $1 AND entite_id = $2 ORDER BY date_action, id`, entite, id)
	return out, wrap("list historique", err)
}

// HistoriqueFiltre selects audit rows; the period is [Debut, Fin).
type HistoriqueFiltre struct {
	Entite   string
	EntiteID *int64
	ActeurID *int64
	Debut    *time.Time
	Fin      *time.Time
}

// SearchHistorique returns one page of the audit trail matching f, newest first, and the total.
// The filters follow historique_entite_idx, historique_acteur_idx and historique_date_idx.
func (s *Store) SearchHistorique(ctx context.Context, f HistoriqueFiltre, page Page) ([]domain.Historique, int, error) {
	w := &where{}
	if f.Entite != "" {
		w.add("h.entite = ?", f.Entite)
	}
	if f.EntiteID != nil {
		w.add("h.entite_id = ?", *f.EntiteID)
	}
	if f.ActeurID != nil {
		w.add("h.acteur_id = ?", *f.ActeurID)
	}
	if f.Debut != nil {
		w.add("h.date_action >= ?", *f.Debut)
	}
	if f.Fin != nil {
		w.add("h.date_action < ?", *f.Fin)
	}
	total, err := s.count(ctx, "count historique", "historique h", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Historique{}
	err = s.q.SelectContext(ctx, &out, `SELECT h.id, h.entite, h.entite_id, h.action, h.acteur_id, h.changements, h.date_action
		FROM historique h WHERE `+w.sql()+fmt.Sprintf(" ORDER BY h.date_action DESC, h.id DESC LIMIT %d OFFSET %d", page.Limit, page.Offset),
		w.args...)
	return out, total, wrap("search historique", err)
}
