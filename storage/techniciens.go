package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// technicienSelect reads a profile with its account's name and its workload: the interventions
// assigned and not finished, summed from the maintained counters (intervention_counters).
const technicienSelect = `SELECT t.id, t.user_id, u.nom, u.prenom, u.email, t.specialite, t.niveau_experience,
	t.disponibilite, t.telephone, t.localisation_base,
	to_char(t.heure_debut, 'HH24:MI') AS heure_debut, to_char(t.heure_fin, 'HH24:MI') AS heure_fin,
	t.base_latitude, t.base_longitude, array_to_json(t.outils) AS outils,
	(SELECT COALESCE(sum(c.n), 0) FROM intervention_counters c WHERE c.portee = 't' AND c.cle = t.id
		AND c.statut IN ('planifiee', 'en_cours', 'en_attente')) AS charge_actuelle,
	t.date_creation
FROM techniciens t JOIN users u ON u.id = t.user_id`

var technicienSorts = map[string]string{
	"id": "t.id", "nom": "u.nom", "specialite": "t.specialite", "niveau_experience": "t.niveau_experience",
	"charge_actuelle": "charge_actuelle",
}

// TechnicienSortFields lists the fields a list of techniciens may be sorted on.
func TechnicienSortFields() []string { return sortedKeys(technicienSorts) }

// technicienVisibility limits profiles (alias t) to what p may see: a technicien sees its own
// profile, a client none; managers see all.
func technicienVisibility(p domain.Principal, w *where) {
	switch p.Role {
	case domain.RoleTechnicien:
		if p.TechnicienID == nil {
			w.add("FALSE")
			return
		}
		w.add("t.id = ?", *p.TechnicienID)
	case domain.RoleClient:
		w.add("FALSE")
	}
}

// ListTechniciens returns one page of the techniciens p may see matching f, with their skills,
// and the total.
func (s *Store) ListTechniciens(ctx context.Context, p domain.Principal, f domain.TechnicienFiltre, sort Sort, page Page) ([]domain.Technicien, int, error) {
	w := &where{}
	technicienVisibility(p, w)
	if f.Competence != "" {
		niveau := 1
		if f.NiveauMin != nil {
			niveau = *f.NiveauMin
		}
		w.add(`EXISTS (SELECT 1 FROM technicien_competences tc JOIN competences c ON c.id = tc.competence_id
			WHERE tc.technicien_id = t.id AND lower(c.nom) = lower(?) AND tc.niveau >= ?)`, f.Competence, niveau)
	}
	if f.Disponibilite != nil {
		w.add("t.disponibilite = ?", *f.Disponibilite)
	}
	if f.Localisation != "" {
		w.add("t.localisation_base = ?", f.Localisation)
	}
	if f.Recherche != "" {
		pat := likePattern(f.Recherche)
		w.add("(u.nom ILIKE ? OR u.prenom ILIKE ? OR t.specialite ILIKE ?)", pat, pat, pat)
	}
	s.compactCounters(ctx) // charge_actuelle sums them
	total, err := s.count(ctx, "count techniciens", "techniciens t JOIN users u ON u.id = t.user_id", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Technicien{}
	err = s.q.SelectContext(ctx, &out, technicienSelect+` WHERE `+w.sql()+
		` ORDER BY `+orderBy(sort, technicienSorts, Sort{Field: "id"}, "t.id")+
		fmt.Sprintf(" LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	if err != nil {
		return nil, 0, wrap("list techniciens", err)
	}
	return out, total, s.loadCompetences(ctx, out)
}

// loadCompetences fills the skills and the weekly hours of every technicien, one query each.
func (s *Store) loadCompetences(ctx context.Context, ts []domain.Technicien) error {
	if len(ts) == 0 {
		return nil
	}
	if err := s.loadTechnicienHoraires(ctx, ts); err != nil {
		return err
	}
	ids := make([]int64, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
		ts[i].Competences = []domain.CompetenceNiveau{}
	}
	var rows []struct {
		TechnicienID int64 `db:"technicien_id"`
		domain.CompetenceNiveau
	}
	err := s.q.SelectContext(ctx, &rows, `SELECT tc.technicien_id, c.id, c.nom, c.categorie, tc.niveau
		FROM technicien_competences tc JOIN competences c ON c.id = tc.competence_id
		WHERE tc.technicien_id = ANY($1) ORDER BY tc.niveau DESC, c.nom`, pq.Array(ids))
	if err != nil {
		return wrap("load competences", err)
	}
	byID := make(map[int64]int, len(ts))
	for i, t := range ts {
		byID[t.ID] = i
	}
	for _, r := range rows {
		i := byID[r.TechnicienID]
		ts[i].Competences = append(ts[i].Competences, r.CompetenceNiveau)
	}
	return nil
}

// GetTechnicien returns one technicien with its skills.
func (s *Store) GetTechnicien(ctx context.Context, id int64) (domain.Technicien, error) {
	return s.GetTechnicienFor(ctx, domain.Principal{Role: domain.RoleAdmin}, id)
}

// GetTechnicienFor returns one technicien p may see, with its skills.
func (s *Store) GetTechnicienFor(ctx context.Context, p domain.Principal, id int64) (domain.Technicien, error) {
	w := &where{}
	w.add("t.id = ?", id)
	technicienVisibility(p, w)
	var t domain.Technicien
	if err := s.q.GetContext(ctx, &t, technicienSelect+` WHERE `+w.sql(), w.args...); err != nil {
		return t, wrap("get technicien", err)
	}
	ts := []domain.Technicien{t}
	err := s.loadCompetences(ctx, ts)
	return ts[0], err
}

// CreateTechnicien creates the profile of an account with the technicien role.
func (s *Store) CreateTechnicien(ctx context.Context, in domain.TechnicienInput, acteur int64) (domain.Technicien, error) {
	var id int64
	err := s.InTx(ctx, func(tx *Store) error {
		var role domain.Role
		if err := tx.q.GetContext(ctx, &role, `SELECT role FROM users WHERE id = $1`, *in.UserID); err != nil {
			if err = wrap("create technicien", err); errors.Is(err, domain.ErrNotFound) {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "user_id", Message: "compte introuvable"}}}
			}
			return err
		}
		if role != domain.RoleTechnicien {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "user_id", Message: "le compte doit avoir le rôle technicien"}}}
		}
		err := tx.q.GetContext(ctx, &id, `INSERT INTO techniciens (user_id, specialite, niveau_experience, disponibilite,
				telephone, localisation_base, heure_debut, heure_fin)
			VALUES ($1, COALESCE($2, ''), COALESCE($3, 'junior'), COALESCE($4, TRUE), $5, $6,
				COALESCE($7::time, '08:00'), COALESCE($8::time, '17:00'))
			RETURNING id`,
			*in.UserID, in.Specialite, in.NiveauExperience, in.Disponibilite, in.Telephone, in.LocalisationBase,
			in.HeureDebut, in.HeureFin)
		if err != nil {
			return wrap("create technicien", err)
		}
		if err := tx.applyTechnicienTournee(ctx, id, in.Tournee); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "technicien", EntiteID: id, Action: "creation",
			ActeurID: &acteur, Changements: map[string]any{"user_id": *in.UserID}})
	})
	if err != nil {
		return domain.Technicien{}, err
	}
	return s.GetTechnicien(ctx, id)
}

// UpdateTechnicien changes the fields set in in and records the old and new values.
func (s *Store) UpdateTechnicien(ctx context.Context, id int64, in domain.TechnicienInput, acteur int64) (domain.Technicien, error) {
	var t domain.Technicien
	err := s.InTx(ctx, func(tx *Store) error {
		old, err := tx.GetTechnicien(ctx, id)
		if err != nil {
			return err
		}
		// Checked here rather than left to the techniciens_heures constraint, whose violation
		// could not name the field.
		if err := in.ValidateUpdate(old); err != nil {
			return err
		}
		res, err := tx.q.ExecContext(ctx, `UPDATE techniciens SET
				specialite = COALESCE($2, specialite), niveau_experience = COALESCE($3, niveau_experience),
				disponibilite = COALESCE($4, disponibilite), telephone = COALESCE($5, telephone),
				localisation_base = COALESCE($6, localisation_base),
				heure_debut = COALESCE($7::time, heure_debut), heure_fin = COALESCE($8::time, heure_fin),
				updated_at = now()
			WHERE id = $1`,
			id, in.Specialite, in.NiveauExperience, in.Disponibilite, in.Telephone, in.LocalisationBase, in.HeureDebut, in.HeureFin)
		if err != nil {
			return wrap("update technicien", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("storage: update technicien: %w", domain.ErrNotFound)
		}
		if err := tx.applyTechnicienTournee(ctx, id, in.Tournee); err != nil {
			return err
		}
		if t, err = tx.GetTechnicien(ctx, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "technicien", EntiteID: id, Action: "modification",
			ActeurID: &acteur, Changements: diff(old, t)})
	})
	return t, err
}

// DeleteTechnicien removes a profile that was never assigned work; otherwise it is a conflict
// (its plannings and history must stay: make it unavailable instead).
func (s *Store) DeleteTechnicien(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		// The row lock comes first: an assignment in flight holds a key-share lock on the profile
		// (its foreign key), so we wait for it and then see its row below. Checking first would let
		// it slip in, and the delete would silently unassign it (ON DELETE SET NULL).
		var locked int64
		if err := tx.q.GetContext(ctx, &locked, `SELECT id FROM techniciens WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("delete technicien", err)
		}
		var used bool
		err := tx.q.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM interventions WHERE technicien_id = $1)
			OR EXISTS (SELECT 1 FROM plannings WHERE technicien_id = $1)`, id)
		if err != nil {
			return wrap("delete technicien", err)
		}
		if used {
			return domain.Conflictf("ce technicien a des interventions ou des plannings: rendez-le indisponible au lieu de le supprimer")
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM techniciens WHERE id = $1`, id); err != nil {
			return wrap("delete technicien", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "technicien", EntiteID: id, Action: "suppression", ActeurID: &acteur})
	})
}

// ListCompetences returns one page of the skills catalogue and its size.
func (s *Store) ListCompetences(ctx context.Context, page Page) ([]domain.Competence, int, error) {
	total, err := s.count(ctx, "count competences", "competences", &where{})
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Competence{}
	err = s.q.SelectContext(ctx, &out, `SELECT id, nom, categorie, description FROM competences ORDER BY categorie, nom, id`+
		fmt.Sprintf(" LIMIT %d OFFSET %d", page.Limit, page.Offset))
	return out, total, wrap("list competences", err)
}

// CreateCompetence adds a skill to the catalogue.
func (s *Store) CreateCompetence(ctx context.Context, in domain.CompetenceInput, acteur int64) (domain.Competence, error) {
	var c domain.Competence
	err := s.InTx(ctx, func(tx *Store) error {
		err := tx.q.GetContext(ctx, &c, `INSERT INTO competences (nom, categorie, description) VALUES ($1, $2, $3)
			RETURNING id, nom, categorie, description`, in.Nom, in.Categorie, in.Description)
		if err != nil {
			return wrap("create competence", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "competence", EntiteID: c.ID, Action: "creation", ActeurID: &acteur, Changements: c})
	})
	return c, err
}

// SetTechnicienCompetence gives a technicien a skill at a level (or changes the level).
func (s *Store) SetTechnicienCompetence(ctx context.Context, technicienID, competenceID int64, niveau int, acteur int64) (domain.Technicien, error) {
	var t domain.Technicien
	err := s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.GetTechnicien(ctx, technicienID); err != nil {
			return err
		}
		var known bool
		if err := tx.q.GetContext(ctx, &known, `SELECT EXISTS (SELECT 1 FROM competences WHERE id = $1)`, competenceID); err != nil {
			return wrap("set technicien competence", err)
		}
		if !known {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "competence_id", Message: "compétence introuvable"}}}
		}
		_, err := tx.q.ExecContext(ctx, `INSERT INTO technicien_competences (technicien_id, competence_id, niveau)
			VALUES ($1, $2, $3) ON CONFLICT (technicien_id, competence_id) DO UPDATE SET niveau = EXCLUDED.niveau`,
			technicienID, competenceID, niveau)
		if err != nil {
			return wrap("set technicien competence", err)
		}
		if err := tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "technicien", EntiteID: technicienID, Action: "competence",
			ActeurID: &acteur, Changements: map[string]any{"competence_id": competenceID, "niveau": niveau}}); err != nil {
			return err
		}
		t, err = tx.GetTechnicien(ctx, technicienID)
		return err
	})
	return t, err
}

// RemoveTechnicienCompetence takes a skill away from a technicien.
func (s *Store) RemoveTechnicienCompetence(ctx context.Context, technicienID, competenceID int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM technicien_competences WHERE technicien_id = $1 AND competence_id = $2`,
			technicienID, competenceID)
		if err != nil {
			return wrap("remove technicien competence", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("storage: remove technicien competence: %w", domain.ErrNotFound)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "technicien", EntiteID: technicienID, Action: "competence_retiree",
			ActeurID: &acteur, Changements: map[string]any{"competence_id": competenceID}})
	})
}
