package storage

import (
	"context"
	"fmt"

	"github.com/mifmaroc/mif/domain"
)

const clientSelect = `SELECT c.id, c.nom, c.email, c.telephone, c.adresse, c.ville, c.contact_nom, c.is_active,
	(SELECT count(*) FROM contrats k WHERE k.client_id = c.id) AS contrats_count, c.date_creation
FROM clients c`

// clientVisibility limits clients (alias c) to what p may see: a client account sees its own
// company only.
func clientVisibility(p domain.Principal, w *where) {
	if p.Role != domain.RoleClient {
		return
	}
	if p.ClientID == nil {
		w.add("FALSE")
		return
	}
	w.add("c.id = ?", *p.ClientID)
}

// ListClients returns one page of the clients p may see, filtered by a search on the name or
// the city and by activity, and the total.
func (s *Store) ListClients(ctx context.Context, p domain.Principal, recherche string, actif *bool, page Page) ([]domain.Client, int, error) {
	w := &where{}
	clientVisibility(p, w)
	if recherche != "" {
		pat := likePattern(recherche)
		w.add("(c.nom ILIKE ? OR c.ville ILIKE ?)", pat, pat)
	}
	if actif != nil {
		w.add("c.is_active = ?", *actif)
	}
	total, err := s.count(ctx, "count clients", "clients c", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Client{}
	err = s.q.SelectContext(ctx, &out, clientSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY c.nom, c.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list clients", err)
}

// GetClient returns a client p may see.
func (s *Store) GetClient(ctx context.Context, p domain.Principal, id int64) (domain.Client, error) {
	w := &where{}
	w.add("c.id = ?", id)
	clientVisibility(p, w)
	var c domain.Client
	err := s.q.GetContext(ctx, &c, clientSelect+` WHERE `+w.sql(), w.args...)
	return c, wrap("get client", err)
}

// CreateClient inserts a client.
func (s *Store) CreateClient(ctx context.Context, in domain.ClientInput, acteur int64) (domain.Client, error) {
	var id int64
	err := s.InTx(ctx, func(tx *Store) error {
		err := tx.q.GetContext(ctx, &id, `INSERT INTO clients (nom, email, telephone, adresse, ville, contact_nom, is_active)
			VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, TRUE)) RETURNING id`,
			in.Nom, in.Email, in.Telephone, in.Adresse, in.Ville, in.ContactNom, in.IsActive)
		if err != nil {
			return wrap("create client", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "client", EntiteID: id, Action: "creation", ActeurID: &acteur, Changements: in})
	})
	if err != nil {
		return domain.Client{}, err
	}
	return s.GetClient(ctx, domain.Principal{}, id)
}

// UpdateClient changes the fields set in in.
func (s *Store) UpdateClient(ctx context.Context, id int64, in domain.ClientInput, acteur int64) (domain.Client, error) {
	var c domain.Client
	err := s.InTx(ctx, func(tx *Store) error {
		old, err := tx.GetClient(ctx, domain.Principal{}, id)
		if err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE clients SET nom = COALESCE($2, nom), email = COALESCE($3, email),
				telephone = COALESCE($4, telephone), adresse = COALESCE($5, adresse), ville = COALESCE($6, ville),
				contact_nom = COALESCE($7, contact_nom), is_active = COALESCE($8, is_active), updated_at = now()
			WHERE id = $1`, id, in.Nom, in.Email, in.Telephone, in.Adresse, in.Ville, in.ContactNom, in.IsActive)
		if err != nil {
			return wrap("update client", err)
		}
		if c, err = tx.GetClient(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "client", EntiteID: id, Action: "modification", ActeurID: &acteur, Changements: diff(old, c)})
	})
	return c, err
}

// DeleteClient removes a client without contracts nor accounts (the foreign keys refuse
// otherwise, which is a conflict).
func (s *Store) DeleteClient(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		old, err := tx.GetClient(ctx, domain.Principal{}, id)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM clients WHERE id = $1`, id); err != nil {
			return wrap("delete client", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "client", EntiteID: id, Action: "suppression", ActeurID: &acteur,
			Changements: map[string]any{"nom": old.Nom}})
	})
}
