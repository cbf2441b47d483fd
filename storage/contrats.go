package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

const contratSelect = `SELECT k.id, k.numero, k.client_id, c.nom AS client_nom, k.date_debut, k.date_fin,
	k.sla_reponse_heures, k.sla_resolution_heures, k.statut, k.description,
	(SELECT count(*) FROM contrat_equipements ce WHERE ce.contrat_id = k.id) AS equipements_count, k.date_creation
FROM contrats k JOIN clients c ON c.id = k.client_id`

// contratVisibility limits contracts (alias k) to what p may see: a client sees its own.
func contratVisibility(p domain.Principal, w *where) {
	if p.Role != domain.RoleClient {
		return
	}
	if p.ClientID == nil {
		w.add("FALSE")
		return
	}
	w.add("k.client_id = ?", *p.ClientID)
}

// ListContrats returns one page of the contracts p may see that match f, and the total.
func (s *Store) ListContrats(ctx context.Context, p domain.Principal, f domain.ContratFiltre, page Page) ([]domain.Contrat, int, error) {
	w := &where{}
	contratVisibility(p, w)
	if f.ClientID != nil {
		w.add("k.client_id = ?", *f.ClientID)
	}
	if f.Statut != nil {
		w.add("k.statut = ?", *f.Statut)
	}
	if f.EquipementID != nil {
		w.add("EXISTS (SELECT 1 FROM contrat_equipements ce WHERE ce.contrat_id = k.id AND ce.equipement_id = ?)", *f.EquipementID)
	}
	if f.EnVigueur != nil {
		cond := "(k.statut = 'actif' AND current_date BETWEEN k.date_debut AND k.date_fin)"
		if !*f.EnVigueur {
			cond = "NOT " + cond
		}
		w.add(cond)
	}
	total, err := s.count(ctx, "count contrats", "contrats k", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Contrat{}
	err = s.q.SelectContext(ctx, &out, contratSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY k.date_debut DESC, k.id DESC LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list contrats", err)
}

// GetContrat returns a contract p may see.
func (s *Store) GetContrat(ctx context.Context, p domain.Principal, id int64) (domain.Contrat, error) {
	w := &where{}
	w.add("k.id = ?", id)
	contratVisibility(p, w)
	var k domain.Contrat
	err := s.q.GetContext(ctx, &k, contratSelect+` WHERE `+w.sql(), w.args...)
	return k, wrap("get contrat", err)
}

// CreateContrat inserts a contract and the equipment it covers.
func (s *Store) CreateContrat(ctx context.Context, in domain.ContratInput, acteur int64) (domain.Contrat, error) {
	var id int64
	err := s.InTx(ctx, func(tx *Store) error {
		err := tx.q.GetContext(ctx, &id, `INSERT INTO contrats (numero, client_id, date_debut, date_fin, sla_reponse_heures,
				sla_resolution_heures, statut, description)
			VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, 'actif'), COALESCE($8, '')) RETURNING id`,
			in.Numero, in.ClientID, in.DateDebut, in.DateFin, in.SLAReponseHeures, in.SLAResolutionHeures, in.Statut, in.Description)
		if err != nil {
			return wrap("create contrat", err)
		}
		if err := tx.addContratEquipements(ctx, id, in.EquipementIDs); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "contrat", EntiteID: id, Action: "creation", ActeurID: &acteur,
			Changements: map[string]any{"numero": in.Numero, "client_id": in.ClientID, "equipement_ids": in.EquipementIDs}})
	})
	if err != nil {
		return domain.Contrat{}, err
	}
	return s.GetContrat(ctx, domain.Principal{}, id)
}

func (s *Store) addContratEquipements(ctx context.Context, contratID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var missing []int64
	if err := s.q.SelectContext(ctx, &missing, `SELECT x FROM unnest($1::bigint[]) AS x
		WHERE NOT EXISTS (SELECT 1 FROM equipements e WHERE e.id = x)`, pq.Array(ids)); err != nil {
		return wrap("add contrat equipements", err)
	}
	if len(missing) > 0 {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_ids", Message: fmt.Sprintf("équipement introuvable: %d", missing[0])}}}
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO contrat_equipements (contrat_id, equipement_id)
		SELECT $1, x FROM unnest($2::bigint[]) AS x ON CONFLICT DO NOTHING`, contratID, pq.Array(ids))
	return wrap("add contrat equipements", err)
}

// UpdateContrat changes the fields set in in; EquipementIDs, when given, are added.
func (s *Store) UpdateContrat(ctx context.Context, id int64, in domain.ContratInput, acteur int64) (domain.Contrat, error) {
	var k domain.Contrat
	err := s.InTx(ctx, func(tx *Store) error {
		old, err := tx.GetContrat(ctx, domain.Principal{}, id)
		if err != nil {
			return err
		}
		if err := in.ValidateUpdate(old); err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE contrats SET numero = COALESCE($2, numero), client_id = COALESCE($3, client_id),
				date_debut = COALESCE($4, date_debut), date_fin = COALESCE($5, date_fin),
				sla_reponse_heures = COALESCE($6, sla_reponse_heures), sla_resolution_heures = COALESCE($7, sla_resolution_heures),
				statut = COALESCE($8, statut), description = COALESCE($9, description), updated_at = now()
			WHERE id = $1`, id, in.Numero, in.ClientID, in.DateDebut, in.DateFin, in.SLAReponseHeures, in.SLAResolutionHeures,
			in.Statut, in.Description)
		if err != nil {
			return wrap("update contrat", err)
		}
		if err := tx.addContratEquipements(ctx, id, in.EquipementIDs); err != nil {
			return err
		}
		if k, err = tx.GetContrat(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "contrat", EntiteID: id, Action: "modification", ActeurID: &acteur, Changements: diff(old, k)})
	})
	return k, err
}

// DeleteContrat removes a contract (its equipment links go with it).
func (s *Store) DeleteContrat(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		old, err := tx.GetContrat(ctx, domain.Principal{}, id)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM contrats WHERE id = $1`, id); err != nil {
			return wrap("delete contrat", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "contrat", EntiteID: id, Action: "suppression", ActeurID: &acteur,
			Changements: map[string]any{"numero": old.Numero, "client_id": old.ClientID}})
	})
}

// ListContratEquipements returns one page of the equipment a contract p may see covers, and
// how many it covers.
func (s *Store) ListContratEquipements(ctx context.Context, p domain.Principal, contratID int64, page Page) ([]domain.EquipementVue, int, error) {
	k, err := s.GetContrat(ctx, p, contratID)
	if err != nil {
		return nil, 0, err
	}
	rows := []equipementRow{}
	err = s.q.SelectContext(ctx, &rows, `SELECT `+equipementVueColumns+` FROM equipements e
		JOIN contrat_equipements ce ON ce.equipement_id = e.id WHERE ce.contrat_id = $1 ORDER BY e.nom, e.id`+
		fmt.Sprintf(" LIMIT %d OFFSET %d", page.Limit, page.Offset), contratID)
	if err != nil {
		return nil, 0, wrap("list contrat equipements", err)
	}
	out := make([]domain.EquipementVue, len(rows))
	for i, r := range rows {
		out[i] = r.vue()
	}
	return out, k.EquipementsCount, nil
}

// RemoveContratEquipement takes an equipment out of a contract.
func (s *Store) RemoveContratEquipement(ctx context.Context, contratID, equipementID int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM contrat_equipements WHERE contrat_id = $1 AND equipement_id = $2`, contratID, equipementID)
		if err != nil {
			return wrap("remove contrat equipement", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("storage: remove contrat equipement: %w", domain.ErrNotFound)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "contrat", EntiteID: contratID, Action: "equipement_retire",
			ActeurID: &acteur, Changements: map[string]any{"equipement_id": equipementID}})
	})
}

// AddContratEquipement puts an equipment under a contract.
func (s *Store) AddContratEquipement(ctx context.Context, contratID, equipementID int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.GetContrat(ctx, domain.Principal{}, contratID); err != nil {
			return err
		}
		if err := tx.addContratEquipements(ctx, contratID, []int64{equipementID}); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "contrat", EntiteID: contratID, Action: "equipement_ajoute",
			ActeurID: &acteur, Changements: map[string]any{"equipement_id": equipementID}})
	})
}

// SLA is the service level an intervention inherits from the contracts covering its equipment.
type SLA struct {
	ReponseHeures    *int `db:"reponse"`
	ResolutionHeures *int `db:"resolution"`
}

// SLAForEquipement returns the tightest SLA among the active contracts covering equipementID
// on day at; both fields are nil when no contract covers it.
func (s *Store) SLAForEquipement(ctx context.Context, equipementID int64, at time.Time) (SLA, error) {
	var sla SLA
	err := s.q.GetContext(ctx, &sla, `SELECT min(k.sla_reponse_heures) AS reponse, min(k.sla_resolution_heures) AS resolution
		FROM contrats k JOIN contrat_equipements ce ON ce.contrat_id = k.id
		WHERE ce.equipement_id = $1 AND k.statut = 'actif' AND $2::date BETWEEN k.date_debut AND k.date_fin`,
		equipementID, at)
	return sla, wrap("sla for equipement", err)
}
