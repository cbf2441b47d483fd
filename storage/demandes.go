package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

const demandeSelect = `SELECT d.id, d.client_id, c.nom AS client_nom, d.equipement_id, e.nom AS equipement_nom, d.demandeur_id,
	d.description, d.urgence, d.statut, d.escaladee, d.date_escalade, d.intervention_id, d.motif_rejet, d.trieur_id,
	d.date_triage, d.date_creation
FROM demandes d JOIN clients c ON c.id = d.client_id JOIN equipements e ON e.id = d.equipement_id`

// demandeVisibility limits requests (alias d) to what p may see: a client account its company's
// own requests, staff all of them.
func demandeVisibility(p domain.Principal, w *where) {
	if p.Role != domain.RoleClient {
		return
	}
	if p.ClientID == nil {
		w.add("FALSE")
		return
	}
	w.add("d.client_id = ?", *p.ClientID)
}

// demandeClient is the client a request on equipement is filed for: the caller's company for a
// client account (the equipment must be under its contracts), otherwise the client of the most
// recent contract covering the equipment. Missing or not visible: a 422 on equipement_id.
func (s *Store) demandeClient(ctx context.Context, p domain.Principal, equipementID int64) (int64, error) {
	notFound := &domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_id", Message: "équipement introuvable"}}}
	if err := s.EquipementVisible(ctx, p, equipementID); errors.Is(err, domain.ErrNotFound) {
		return 0, notFound
	} else if err != nil {
		return 0, err
	}
	if p.Role == domain.RoleClient {
		return *p.ClientID, nil
	}
	var id int64
	err := s.q.GetContext(ctx, &id, `SELECT c.client_id FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
		WHERE ce.equipement_id = $1 ORDER BY c.date_fin DESC NULLS FIRST, c.id DESC LIMIT 1`, equipementID)
	if errors.Is(mapErr(err), domain.ErrNotFound) {
		return 0, &domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_id", Message: "aucun contrat ne couvre cet équipement"}}}
	}
	return id, wrap("demande client", err)
}

// CreateDemande records a request submitted by p, with its historique entry.
func (s *Store) CreateDemande(ctx context.Context, p domain.Principal, in domain.NewDemande) (domain.Demande, error) {
	var d domain.Demande
	err := s.InTx(ctx, func(tx *Store) error {
		clientID, err := tx.demandeClient(ctx, p, *in.EquipementID)
		if err != nil {
			return err
		}
		var id int64
		err = tx.q.GetContext(ctx, &id, `INSERT INTO demandes (client_id, equipement_id, demandeur_id, description, urgence)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, clientID, *in.EquipementID, p.UserID, in.Description, in.Urgence)
		if err != nil {
			return wrap("create demande", err)
		}
		if d, err = tx.GetDemande(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "demande", EntiteID: id, Action: "creation", ActeurID: &p.UserID,
			Changements: map[string]any{"equipement_id": d.EquipementID, "client_id": d.ClientID, "urgence": d.Urgence, "description": d.Description}})
	})
	return d, err
}

// ListDemandes returns one page of the requests p may see matching f, newest first, and the total.
func (s *Store) ListDemandes(ctx context.Context, p domain.Principal, f domain.DemandeFiltre, page Page) ([]domain.Demande, int, error) {
	w := &where{}
	demandeVisibility(p, w)
	if f.Statut != nil {
		w.add("d.statut = ?", *f.Statut)
	}
	if f.EquipementID != nil {
		w.add("d.equipement_id = ?", *f.EquipementID)
	}
	if f.ClientID != nil {
		w.add("d.client_id = ?", *f.ClientID)
	}
	if f.Escaladee != nil {
		w.add("d.escaladee = ?", *f.Escaladee)
	}
	total, err := s.count(ctx, "count demandes", "demandes d", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Demande{}
	err = s.q.SelectContext(ctx, &out, demandeSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY d.date_creation DESC, d.id DESC LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	if err != nil {
		return nil, 0, wrap("list demandes", err)
	}
	return out, total, s.loadDemandePhotos(ctx, out)
}

// GetDemande returns one request p may see (domain.ErrNotFound otherwise).
func (s *Store) GetDemande(ctx context.Context, p domain.Principal, id int64) (domain.Demande, error) {
	w := &where{}
	w.add("d.id = ?", id)
	demandeVisibility(p, w)
	var d domain.Demande
	if err := s.q.GetContext(ctx, &d, demandeSelect+` WHERE `+w.sql(), w.args...); err != nil {
		return d, wrap("get demande", err)
	}
	list := []domain.Demande{d}
	err := s.loadDemandePhotos(ctx, list)
	return list[0], err
}

func (s *Store) loadDemandePhotos(ctx context.Context, ds []domain.Demande) error {
	if len(ds) == 0 {
		return nil
	}
	ids := make([]int64, len(ds))
	byID := make(map[int64]int, len(ds))
	for i := range ds {
		ids[i] = ds[i].ID
		byID[ds[i].ID] = i
		ds[i].PhotoIDs = []int64{}
	}
	var rows []struct {
		DemandeID  int64 `db:"demande_id"`
		DocumentID int64 `db:"document_id"`
	}
	err := s.q.SelectContext(ctx, &rows, `SELECT dp.demande_id, dp.document_id FROM demande_photos dp
		JOIN documents doc ON doc.id = dp.document_id AND doc.deleted_at IS NULL
		WHERE dp.demande_id = ANY($1) ORDER BY dp.demande_id, dp.document_id`, pq.Array(ids))
	if err != nil {
		return wrap("load demande photos", err)
	}
	for _, r := range rows {
		i := byID[r.DemandeID]
		ds[i].PhotoIDs = append(ds[i].PhotoIDs, r.DocumentID)
	}
	return nil
}

// AddDemandePhoto links a stored document to a request still awaiting triage.
func (s *Store) AddDemandePhoto(ctx context.Context, demandeID, documentID, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO demande_photos (demande_id, document_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			demandeID, documentID); err != nil {
			return wrap("add demande photo", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "demande", EntiteID: demandeID, Action: "photo", ActeurID: &acteur,
			Changements: map[string]any{"document_id": documentID}})
	})
}

// TriageDemande records a responsable's decision on a submitted request; a request already
// triaged is a conflict (the first decision stands).
func (s *Store) TriageDemande(ctx context.Context, id int64, t domain.DemandeTriage) (domain.Demande, error) {
	var d domain.Demande
	err := s.InTx(ctx, func(tx *Store) error {
		var statut domain.StatutDemande
		if err := tx.q.GetContext(ctx, &statut, `SELECT statut FROM demandes WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("triage demande", err)
		}
		if statut != domain.DemandeSoumise {
			return domain.Conflictf("demande déjà triée (%s)", statut)
		}
		var motif *string
		if t.Motif != nil {
			m := strings.TrimSpace(*t.Motif)
			motif = &m
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE demandes SET statut = $2, intervention_id = $3, motif_rejet = $4, trieur_id = $5,
			date_triage = now(), updated_at = now() WHERE id = $1`, id, t.Statut, t.InterventionID, motif, t.TrieurID)
		if err != nil {
			return wrap("triage demande", err)
		}
		if d, err = tx.GetDemande(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "demande", EntiteID: id, Action: string(t.Statut), ActeurID: &t.TrieurID,
			Changements: map[string]any{"statut": map[string]any{"old": statut, "new": t.Statut}, "intervention_id": t.InterventionID, "motif_rejet": motif}})
	})
	return d, err
}

// EscalateDemande marks a request still untriaged as escalated, once (escalated is false when it
// was triaged meanwhile or already escalated: nothing is written).
func (s *Store) EscalateDemande(ctx context.Context, id int64) (d domain.Demande, escalated bool, err error) {
	err = s.InTx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `UPDATE demandes SET escaladee = TRUE, date_escalade = now(), updated_at = now()
			WHERE id = $1 AND statut = 'soumise' AND NOT escaladee`, id)
		if err != nil {
			return wrap("escalate demande", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return wrap("escalate demande", err)
		}
		if d, err = tx.GetDemande(ctx, domain.Principal{}, id); err != nil || n == 0 {
			return err
		}
		escalated = true
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "demande", EntiteID: id, Action: "escalade",
			Changements: map[string]any{"escaladee": true}, EventKey: fmt.Sprintf("demande/%d/escalade", id)})
	})
	return d, escalated, err
}
