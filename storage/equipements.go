package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mifmaroc/mif/domain"
)

const equipementColumns = `e.id, e.nom, e.type, e.modele, e.numero_serie, e.localisation, e.date_installation,
	e.frequence_entretien, e.statut, e.derniere_maintenance, e.site_id, e.date_creation, e.updated_at`

// equipementVueColumns adds the number of interventions, summed from the equipment's few rows
// of the maintained counters (intervention_counters, migration 00102) rather than counted over
// its interventions.
const equipementVueColumns = equipementColumns + `,
	(SELECT COALESCE(sum(c.n), 0) FROM intervention_counters c WHERE c.portee = 'e' AND c.cle = e.id) AS interventions_count,
	(SELECT json_build_object('id', si.id, 'nom', si.nom, 'ville', si.ville, 'latitude', si.latitude, 'longitude', si.longitude)
		FROM sites si WHERE si.id = e.site_id) AS site`

// prochaineMaintenanceSQL is domain.Equipement.ProchaineMaintenance in SQL, for filters and the
// dashboard.
const prochaineMaintenanceSQL = `(COALESCE(e.derniere_maintenance, e.date_installation, e.date_creation)
	+ make_interval(days => e.frequence_entretien))`

// maintenanceDueSQL is true for an equipment in service whose next maintenance falls before
// $horizon.
const maintenanceDueSQL = `(e.frequence_entretien IS NOT NULL AND e.statut <> 'retire' AND ` + prochaineMaintenanceSQL + ` <= ?)`

// GetEquipement returns one equipment.
func (s *Store) GetEquipement(ctx context.Context, id int64) (domain.Equipement, error) {
	var e domain.Equipement
	err := s.q.GetContext(ctx, &e, `SELECT `+equipementColumns+` FROM equipements e WHERE e.id = $1`, id)
	return e, wrap("get equipement", err)
}

type equipementRow struct {
	domain.Equipement
	InterventionsCount int                `db:"interventions_count"`
	Site               *domain.SiteResume `db:"site"`
}

func (r equipementRow) vue() domain.EquipementVue {
	v := domain.NewEquipementVue(r.Equipement, r.InterventionsCount)
	v.Site = r.Site
	return v
}

// GetEquipementVue returns one equipment as p may see it, or domain.ErrNotFound.
func (s *Store) GetEquipementVue(ctx context.Context, p domain.Principal, id int64) (domain.EquipementVue, error) {
	w := &where{}
	w.add("e.id = ?", id)
	equipementVisibility(p, w)
	var row equipementRow
	err := s.q.GetContext(ctx, &row, `SELECT `+equipementVueColumns+` FROM equipements e WHERE `+w.sql(), w.args...)
	if err != nil {
		return domain.EquipementVue{}, wrap("get equipement", err)
	}
	return row.vue(), nil
}

var equipementSorts = map[string]string{
	"id": "e.id", "nom": "e.nom", "type": "e.type", "localisation": "e.localisation", "statut": "e.statut",
	"date_creation": "e.date_creation", "derniere_maintenance": "e.derniere_maintenance",
}

// EquipementSortFields lists the fields a list of equipment may be sorted on.
func EquipementSortFields() []string { return sortedKeys(equipementSorts) }

// ListEquipements returns one page of the equipment p may see and the total matching f.
func (s *Store) ListEquipements(ctx context.Context, p domain.Principal, f domain.EquipementFiltre, sort Sort, page Page) ([]domain.EquipementVue, int, error) {
	w := &where{}
	equipementVisibility(p, w)
	if f.Localisation != "" {
		w.add("e.localisation = ?", f.Localisation)
	}
	if f.Type != "" {
		w.add("e.type = ?", f.Type)
	}
	if f.Statut != nil {
		w.add("e.statut = ?", *f.Statut)
	}
	if f.ClientID != nil {
		w.add(`EXISTS (SELECT 1 FROM contrat_equipements ce2 JOIN contrats c2 ON c2.id = ce2.contrat_id
			WHERE ce2.equipement_id = e.id AND c2.client_id = ?)`, *f.ClientID)
	}
	if f.SiteID != nil {
		w.add("e.site_id = ?", *f.SiteID)
	}
	if f.MaintenanceDue != nil {
		cond := maintenanceDueSQL
		if !*f.MaintenanceDue {
			cond = "NOT " + cond
		}
		w.add(cond, time.Now().Add(domain.MaintenanceDueHorizon))
	}
	if f.Recherche != "" {
		w.add(`(e.nom ILIKE ? OR e.modele ILIKE ? OR e.numero_serie ILIKE ?)`,
			likePattern(f.Recherche), likePattern(f.Recherche), likePattern(f.Recherche))
	}
	total, err := s.count(ctx, "count equipements", "equipements e", w)
	if err != nil {
		return nil, 0, err
	}
	s.compactCounters(ctx) // interventions_count sums them
	rows := []equipementRow{}
	err = s.q.SelectContext(ctx, &rows, `SELECT `+equipementVueColumns+` FROM equipements e WHERE `+w.sql()+
		` ORDER BY `+orderBy(sort, equipementSorts, Sort{Field: "id"}, "e.id")+
		fmt.Sprintf(" LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	if err != nil {
		return nil, 0, wrap("list equipements", err)
	}
	out := make([]domain.EquipementVue, len(rows))
	for i, r := range rows {
		out[i] = r.vue()
	}
	return out, total, nil
}

// CreateEquipement inserts an equipment and records it in historique.
func (s *Store) CreateEquipement(ctx context.Context, in domain.EquipementInput, acteur int64) (domain.Equipement, error) {
	var e domain.Equipement
	err := s.InTx(ctx, func(tx *Store) error {
		err := tx.q.GetContext(ctx, &e, `
			INSERT INTO equipements AS e (nom, type, modele, numero_serie, localisation, date_installation,
				frequence_entretien, derniere_maintenance, site_id)
			VALUES ($1, $2, COALESCE($3, ''), $4, COALESCE($5, ''), $6, $7, $8, $9)
			RETURNING `+equipementColumns,
			in.Nom, in.Type, in.Modele, in.NumeroSerie, in.Localisation, in.DateInstallation, in.FrequenceEntretien,
			in.DerniereMaintenance, in.SiteID)
		if err != nil {
			return wrap("create equipement", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: e.ID, Action: "creation",
			ActeurID: &acteur, Changements: e})
	})
	return e, err
}

// UpdateEquipement changes the fields set in in and records the old and new values.
func (s *Store) UpdateEquipement(ctx context.Context, id int64, in domain.EquipementInput, acteur int64) (domain.Equipement, error) {
	var e domain.Equipement
	err := s.InTx(ctx, func(tx *Store) error {
		var old domain.Equipement
		if err := tx.q.GetContext(ctx, &old, `SELECT `+equipementColumns+` FROM equipements e WHERE e.id = $1 FOR UPDATE`, id); err != nil {
			return wrap("update equipement", err)
		}
		err := tx.q.GetContext(ctx, &e, `
			UPDATE equipements AS e SET
				nom = COALESCE($2, nom), type = COALESCE($3, type), modele = COALESCE($4, modele),
				numero_serie = COALESCE($5, numero_serie), localisation = COALESCE($6, localisation),
				date_installation = COALESCE($7, date_installation),
				frequence_entretien = CASE WHEN $8 THEN NULL ELSE COALESCE($9, frequence_entretien) END,
				derniere_maintenance = COALESCE($10, derniere_maintenance),
				site_id = CASE WHEN $11 THEN NULL ELSE COALESCE($12, site_id) END,
				updated_at = now()
			WHERE e.id = $1
			RETURNING `+equipementColumns,
			id, in.Nom, in.Type, in.Modele, in.NumeroSerie, in.Localisation, in.DateInstallation,
			in.ClearFrequence, in.FrequenceEntretien, in.DerniereMaintenance, in.ClearSite, in.SiteID)
		if err != nil {
			return wrap("update equipement", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: id, Action: "modification",
			ActeurID: &acteur, Changements: diff(old, e)})
	})
	return e, err
}

// SetEquipementStatut changes an equipment's status. A move to en_panne notifies the active
// responsables in the same transaction, so the alert exists exactly when the change does.
func (s *Store) SetEquipementStatut(ctx context.Context, id int64, statut domain.StatutEquipement, acteur int64) (domain.Equipement, error) {
	var e domain.Equipement
	err := s.InTx(ctx, func(tx *Store) error {
		var old domain.Equipement
		if err := tx.q.GetContext(ctx, &old, `SELECT `+equipementColumns+` FROM equipements e WHERE e.id = $1 FOR UPDATE`, id); err != nil {
			return wrap("set equipement statut", err)
		}
		if err := domain.CanChangeStatut(old.Statut, statut); err != nil {
			return err
		}
		if err := tx.q.GetContext(ctx, &e, `UPDATE equipements AS e SET statut = $2, updated_at = now()
			WHERE e.id = $1 RETURNING `+equipementColumns, id, statut); err != nil {
			return wrap("set equipement statut", err)
		}
		action := "changement_statut"
		if statut == domain.EquipementRetire {
			action = "retrait"
		}
		if err := tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: id, Action: action, ActeurID: &acteur,
			Changements: map[string]any{"statut": map[string]any{"ancien": old.Statut, "nouveau": e.Statut}}}); err != nil {
			return err
		}
		if statut != domain.EquipementEnPanne || old.Statut == domain.EquipementEnPanne {
			return nil
		}
		ids, err := tx.ActiveUserIDsByRole(ctx, domain.RoleResponsable)
		if err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.CreateNotifications(ctx, ids, domain.NewNotification{
			Titre:    "Équipement en panne",
			Message:  fmt.Sprintf("L'équipement « %s » (%s) est en panne.", e.Nom, e.Localisation),
			Type:     domain.NotificationError,
			Event:    "equipement.en_panne",
			Metadata: map[string]any{"equipement_id": e.ID, "localisation": e.Localisation},
			DedupKey: "equipement/" + strconv.FormatInt(e.ID, 10) + "/en_panne/" + strconv.FormatInt(e.UpdatedAt.UnixNano(), 10),
		})
		return err
	})
	return e, err
}

// DeleteEquipement removes an equipment that has no intervention; otherwise it is a conflict
// (retire it instead, its history must stay).
func (s *Store) DeleteEquipement(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		var e domain.Equipement
		if err := tx.q.GetContext(ctx, &e, `SELECT `+equipementColumns+` FROM equipements e WHERE e.id = $1 FOR UPDATE`, id); err != nil {
			return wrap("delete equipement", err)
		}
		var used bool
		if err := tx.q.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM interventions WHERE equipement_id = $1)`, id); err != nil {
			return wrap("delete equipement", err)
		}
		if used {
			return domain.Conflictf("cet équipement a des interventions: retirez-le du service au lieu de le supprimer")
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM equipements WHERE id = $1`, id); err != nil {
			return wrap("delete equipement", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: id, Action: "suppression",
			ActeurID: &acteur, Changements: map[string]any{"nom": e.Nom, "numero_serie": e.NumeroSerie}})
	})
}
