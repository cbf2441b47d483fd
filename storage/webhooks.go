package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

const webhookColumns = `w.id, w.url, w.evenements, w.description, w.statut, w.motif_suspension, w.echecs_consecutifs,
	w.proprietaire_id, w.curseur, w.date_creation, w.updated_at`

// webhookRow reads the event types (a TEXT[]) beside the domain row.
type webhookRow struct {
	domain.WebhookAbonnement
	Types pq.StringArray `db:"evenements"`
}

func (r webhookRow) abonnement() domain.WebhookAbonnement {
	a := r.WebhookAbonnement
	a.Evenements = []string(r.Types)
	if a.Evenements == nil {
		a.Evenements = []string{}
	}
	return a
}

// CreateWebhook records a subscription (its secret already encrypted) owned by acteur. It starts
// after the last event recorded so far: no backlog is delivered to a new subscriber.
func (s *Store) CreateWebhook(ctx context.Context, in domain.WebhookInput, secretChiffre string, acteur int64) (domain.WebhookAbonnement, error) {
	var a domain.WebhookAbonnement
	err := s.InTx(ctx, func(tx *Store) error {
		desc := ""
		if in.Description != nil {
			desc = *in.Description
		}
		var id int64
		err := tx.q.GetContext(ctx, &id, `INSERT INTO webhook_abonnements (url, evenements, description, secret_chiffre, proprietaire_id, curseur)
			VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(max(id), 0) FROM webhook_evenements)) RETURNING id`,
			*in.URL, pq.Array(*in.Evenements), desc, secretChiffre, acteur)
		if err != nil {
			return wrap("create webhook", err)
		}
		if a, err = tx.GetWebhook(ctx, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "webhook", EntiteID: id, Action: "creation", ActeurID: &acteur,
			Changements: map[string]any{"url": a.URL, "evenements": a.Evenements, "description": a.Description}})
	})
	return a, err
}

// GetWebhook returns one subscription.
func (s *Store) GetWebhook(ctx context.Context, id int64) (domain.WebhookAbonnement, error) {
	var r webhookRow
	err := s.q.GetContext(ctx, &r, `SELECT `+webhookColumns+` FROM webhook_abonnements w WHERE w.id = $1`, id)
	return r.abonnement(), wrap("get webhook", err)
}

// GetWebhookFor is GetWebhook behind the route's signature (webhooks are admin-only).
func (s *Store) GetWebhookFor(ctx context.Context, _ domain.Principal, id int64) (domain.WebhookAbonnement, error) {
	return s.GetWebhook(ctx, id)
}

// ListWebhooks returns one page of subscriptions and the total.
func (s *Store) ListWebhooks(ctx context.Context, page Page) ([]domain.WebhookAbonnement, int, error) {
	total, err := s.count(ctx, "count webhooks", "webhook_abonnements w", &where{})
	if err != nil {
		return nil, 0, err
	}
	var rows []webhookRow
	err = s.q.SelectContext(ctx, &rows, `SELECT `+webhookColumns+` FROM webhook_abonnements w ORDER BY w.id`+
		fmt.Sprintf(" LIMIT %d OFFSET %d", page.Limit, page.Offset))
	out := make([]domain.WebhookAbonnement, len(rows))
	for i, r := range rows {
		out[i] = r.abonnement()
	}
	return out, total, wrap("list webhooks", err)
}

// UpdateWebhook changes the fields set in in; resuming a suspended subscription clears its
// failure count and reason.
func (s *Store) UpdateWebhook(ctx context.Context, id int64, in domain.WebhookInput, acteur int64) (domain.WebhookAbonnement, error) {
	var a domain.WebhookAbonnement
	err := s.InTx(ctx, func(tx *Store) error {
		var locked int64
		if err := tx.q.GetContext(ctx, &locked, `SELECT id FROM webhook_abonnements WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("update webhook", err)
		}
		old, err := tx.GetWebhook(ctx, id)
		if err != nil {
			return err
		}
		var types any
		if in.Evenements != nil {
			types = pq.Array(*in.Evenements)
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE webhook_abonnements SET url = COALESCE($2, url), evenements = COALESCE($3, evenements),
				description = COALESCE($4, description), statut = COALESCE($5, statut),
				echecs_consecutifs = CASE WHEN $5 = 'actif' THEN 0 ELSE echecs_consecutifs END,
				motif_suspension = CASE WHEN $5 = 'actif' THEN NULL WHEN $5 = 'suspendu' THEN 'suspendu par un administrateur' ELSE motif_suspension END,
				updated_at = now()
			WHERE id = $1`, id, in.URL, types, in.Description, in.Statut)
		if err != nil {
			return wrap("update webhook", err)
		}
		if a, err = tx.GetWebhook(ctx, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "webhook", EntiteID: id, Action: "modification", ActeurID: &acteur, Changements: diff(old, a)})
	})
	return a, err
}

// DeleteWebhook removes a subscription and its delivery log.
func (s *Store) DeleteWebhook(ctx context.Context, id, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM webhook_abonnements WHERE id = $1`, id)
		if err != nil {
			return wrap("delete webhook", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return wrap("delete webhook", domain.ErrNotFound)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "webhook", EntiteID: id, Action: "suppression", ActeurID: &acteur})
	})
}

// RecordWebhookReplay audits an administrator's replay request.
func (s *Store) RecordWebhookReplay(ctx context.Context, id, evenementID, acteur int64) error {
	return s.RecordHistorique(ctx, HistoriqueEntry{Entite: "webhook", EntiteID: id, Action: "rejeu", ActeurID: &acteur,
		Changements: map[string]any{"evenement_id": evenementID}})
}

// WebhookDelivery is what a delivery needs of its subscription.
type WebhookDelivery struct {
	URL           string `db:"url"`
	Statut        string `db:"statut"`
	SecretChiffre string `db:"secret_chiffre"`
}

// WebhookForDelivery returns the subscription's URL, status and encrypted secret.
func (s *Store) WebhookForDelivery(ctx context.Context, id int64) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := s.q.GetContext(ctx, &d, `SELECT url, statut, secret_chiffre FROM webhook_abonnements WHERE id = $1`, id)
	return d, wrap("webhook for delivery", err)
}

// NextWebhookEvents records cursor as the subscription's progress and returns the ids of the next
// events it wants after it, oldest first. ok is false when the subscription is no longer active
// (suspended or deleted).
func (s *Store) NextWebhookEvents(ctx context.Context, id, cursor int64, limit int) (ids []int64, ok bool, err error) {
	var types pq.StringArray
	err = s.q.GetContext(ctx, &types, `UPDATE webhook_abonnements SET curseur = GREATEST(curseur, $2)
		WHERE id = $1 AND statut = 'actif' RETURNING evenements`, id, cursor)
	if err = wrap("next webhook events", err); errors.Is(err, domain.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	ids = []int64{}
	err = s.q.SelectContext(ctx, &ids, `SELECT id FROM webhook_evenements WHERE id > $1 AND type = ANY($2) ORDER BY id LIMIT $3`,
		cursor, types, limit)
	return ids, true, wrap("next webhook events", err)
}

// GetWebhookEvent returns one event.
func (s *Store) GetWebhookEvent(ctx context.Context, id int64) (domain.WebhookEvenement, error) {
	var e domain.WebhookEvenement
	err := s.q.GetContext(ctx, &e, `SELECT id, type, entite, entite_id, donnees, date_evenement FROM webhook_evenements WHERE id = $1`, id)
	return e, wrap("get webhook event", err)
}

// WebhookAttempt is one delivery attempt to record.
type WebhookAttempt struct {
	AbonnementID, EvenementID int64
	Tentative                 int
	Rejeu, Succes             bool
	CodeHTTP                  *int
	Erreur                    *string
	Duree                     time.Duration
}

// RecordWebhookAttempt logs an attempt and keeps the count of consecutive failures: a success
// clears it; the failure that brings it to pauseAfter suspends the subscription (paused true,
// with its owner to tell).
func (s *Store) RecordWebhookAttempt(ctx context.Context, at WebhookAttempt, pauseAfter int) (paused bool, owner *int64, err error) {
	err = s.InTx(ctx, func(tx *Store) error {
		_, err := tx.q.ExecContext(ctx, `INSERT INTO webhook_livraisons (abonnement_id, evenement_id, tentative, rejeu, succes, code_http, erreur, duree_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, at.AbonnementID, at.EvenementID, at.Tentative, at.Rejeu, at.Succes, at.CodeHTTP, at.Erreur, at.Duree.Milliseconds())
		if err != nil {
			return wrap("record webhook attempt", err)
		}
		var row struct {
			Echecs int    `db:"echecs_consecutifs"`
			Statut string `db:"statut"`
			Owner  *int64 `db:"proprietaire_id"`
		}
		err = tx.q.GetContext(ctx, &row, `UPDATE webhook_abonnements SET
				echecs_consecutifs = CASE WHEN $2 THEN 0 ELSE echecs_consecutifs + 1 END, updated_at = now()
			WHERE id = $1 RETURNING echecs_consecutifs, statut, proprietaire_id`, at.AbonnementID, at.Succes)
		if err != nil {
			return wrap("record webhook attempt", err)
		}
		if at.Succes || row.Echecs < pauseAfter || row.Statut != domain.WebhookActif {
			return nil
		}
		motif := fmt.Sprintf("%d échecs de livraison consécutifs", row.Echecs)
		if _, err := tx.q.ExecContext(ctx, `UPDATE webhook_abonnements SET statut = 'suspendu', motif_suspension = $2 WHERE id = $1`,
			at.AbonnementID, motif); err != nil {
			return wrap("suspend webhook", err)
		}
		paused, owner = true, row.Owner
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "webhook", EntiteID: at.AbonnementID, Action: "suspension",
			Changements: map[string]any{"motif": motif}})
	})
	return paused, owner, err
}

// ListWebhookLivraisons returns one page of a subscription's delivery log, newest first.
func (s *Store) ListWebhookLivraisons(ctx context.Context, _ domain.Principal, id int64, page Page) ([]domain.WebhookLivraison, int, error) {
	if _, err := s.GetWebhook(ctx, id); err != nil {
		return nil, 0, err
	}
	w := &where{}
	w.add("l.abonnement_id = ?", id)
	total, err := s.count(ctx, "count webhook deliveries", "webhook_livraisons l", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.WebhookLivraison{}
	err = s.q.SelectContext(ctx, &out, `SELECT l.id, l.abonnement_id, l.evenement_id, e.type, l.tentative, l.rejeu, l.succes,
			l.code_http, l.erreur, l.duree_ms, l.date_tentative
		FROM webhook_livraisons l JOIN webhook_evenements e ON e.id = l.evenement_id WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY l.id DESC LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list webhook deliveries", err)
}
