package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// planningSelect loads slots with their technicien, intervention and equipment in one statement.
const planningSelect = `SELECT p.id, p.intervention_id, p.technicien_id, p.date_planifiee, p.duree_estimee, p.statut,
	p.notes, p.date_creation,
	tu.nom AS tech_nom, tu.prenom AS tech_prenom, t.specialite AS tech_specialite,
	i.titre, i.priorite, i.statut AS int_statut, i.urgence, i.equipement_id,
	e.nom AS eq_nom, e.type AS eq_type, e.localisation AS eq_localisation
FROM plannings p
JOIN interventions i ON i.id = p.intervention_id
JOIN equipements e ON e.id = i.equipement_id
JOIN techniciens t ON t.id = p.technicien_id
JOIN users tu ON tu.id = t.user_id`

type planningRow struct {
	ID             int64                     `db:"id"`
	InterventionID int64                     `db:"intervention_id"`
	TechnicienID   int64                     `db:"technicien_id"`
	DatePlanifiee  time.Time                 `db:"date_planifiee"`
	DureeEstimee   int                       `db:"duree_estimee"`
	Statut         domain.StatutPlanning     `db:"statut"`
	Notes          string                    `db:"notes"`
	DateCreation   time.Time                 `db:"date_creation"`
	TechNom        string                    `db:"tech_nom"`
	TechPrenom     string                    `db:"tech_prenom"`
	TechSpecialite string                    `db:"tech_specialite"`
	Titre          string                    `db:"titre"`
	Priorite       domain.Priorite           `db:"priorite"`
	IntStatut      domain.StatutIntervention `db:"int_statut"`
	Urgence        bool                      `db:"urgence"`
	EquipementID   int64                     `db:"equipement_id"`
	EqNom          string                    `db:"eq_nom"`
	EqType         string                    `db:"eq_type"`
	EqLocalisation string                    `db:"eq_localisation"`
}

func (r planningRow) vue() domain.PlanningVue {
	return domain.PlanningVue{
		ID: r.ID, InterventionID: r.InterventionID, TechnicienID: r.TechnicienID, DatePlanifiee: r.DatePlanifiee,
		DureeEstimee: r.DureeEstimee, Statut: r.Statut, Notes: r.Notes, DateCreation: r.DateCreation,
		Technicien: domain.TechnicienResume{ID: r.TechnicienID, Nom: r.TechNom, Prenom: r.TechPrenom, Specialite: r.TechSpecialite},
		Intervention: domain.PlanningInterventionVue{
			ID: r.InterventionID, Titre: r.Titre, Priorite: r.Priorite, Statut: r.IntStatut, Urgence: r.Urgence,
			Equipement: domain.EquipementResume{ID: r.EquipementID, Nom: r.EqNom, Type: r.EqType, Localisation: r.EqLocalisation},
		},
	}
}

func planningWhere(p domain.Principal, f domain.PlanningFiltre) *where {
	w := &where{}
	if cond, args := interventionVisibility(p, w.next()); cond != "TRUE" {
		w.addRaw(cond, args...)
	}
	if f.Debut != nil {
		w.add("p.date_planifiee >= ?", *f.Debut)
	}
	if f.Fin != nil {
		w.add("p.date_planifiee < ?", *f.Fin)
	}
	if f.TechnicienID != nil {
		w.add("p.technicien_id = ?", *f.TechnicienID)
	}
	if f.Statut != nil {
		w.add("p.statut = ?", *f.Statut)
	}
	return w
}

// ListPlannings returns one page of the slots p may see in f's period, in time order, and the
// total.
func (s *Store) ListPlannings(ctx context.Context, p domain.Principal, f domain.PlanningFiltre, page Page) ([]domain.PlanningVue, int, error) {
	w := planningWhere(p, f)
	total, err := s.count(ctx, "count plannings", "plannings p JOIN interventions i ON i.id = p.intervention_id", w)
	if err != nil {
		return nil, 0, err
	}
	rows := []planningRow{}
	err = s.q.SelectContext(ctx, &rows, planningSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY p.date_planifiee, p.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	if err != nil {
		return nil, 0, wrap("list plannings", err)
	}
	out := make([]domain.PlanningVue, len(rows))
	for i, r := range rows {
		out[i] = r.vue()
	}
	return out, total, nil
}

// GetPlanning returns one slot p may see.
func (s *Store) GetPlanning(ctx context.Context, p domain.Principal, id int64) (domain.PlanningVue, error) {
	w := planningWhere(p, domain.PlanningFiltre{})
	w.add("p.id = ?", id)
	var row planningRow
	if err := s.q.GetContext(ctx, &row, planningSelect+` WHERE `+w.sql(), w.args...); err != nil {
		return domain.PlanningVue{}, wrap("get planning", err)
	}
	return row.vue(), nil
}

// TechnicienExists reports whether a technicien profile exists.
func (s *Store) TechnicienExists(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := s.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM techniciens WHERE id = $1)`, id)
	return ok, wrap("technicien exists", err)
}
