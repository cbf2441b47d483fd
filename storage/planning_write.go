package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner"
)

// PlanningTask is an unplanned intervention as the weekly planning sees it.
type PlanningTask struct {
	planner.Task
	WorkflowID string
}

// LoadPlanningProblem loads what the week [from, to) needs: available and unavailable techniciens
// with their competences, working hours and planned work, and the open interventions to place.
func (s *Store) LoadPlanningProblem(ctx context.Context, from, to time.Time) ([]planner.Technicien, []PlanningTask, error) {
	techs, err := s.LoadPlanningTechniciens(ctx, from, to)
	if err != nil {
		return nil, nil, err
	}
	tasks, err := s.openPlanningTasks(ctx)
	if err != nil {
		return nil, nil, err
	}
	return techs, tasks, nil
}

// LoadPlanningTechniciens loads every technicien with his availability, competences, working hours
// and the active work planned in [from, to).
func (s *Store) LoadPlanningTechniciens(ctx context.Context, from, to time.Time) ([]planner.Technicien, error) {
	var techRows []struct {
		ID          int64          `db:"id"`
		UserID      int64          `db:"user_id"`
		Disponible  bool           `db:"disponibilite"`
		DebutMin    int            `db:"debut_min"`
		FinMin      int            `db:"fin_min"`
		Competences pq.StringArray `db:"competences"`
		Horaires    []byte         `db:"horaires"`
	}
	err := s.q.SelectContext(ctx, &techRows, `
		SELECT t.id, t.user_id, t.disponibilite AND u.is_active AS disponibilite,
			(extract(epoch FROM t.heure_debut) / 60)::int AS debut_min, (extract(epoch FROM t.heure_fin) / 60)::int AS fin_min,
			COALESCE(array_agg(lower(c.nom) ORDER BY c.nom) FILTER (WHERE c.id IS NOT NULL), '{}') AS competences,
			COALESCE((SELECT `+creneauxJSON+` FROM technicien_horaires_effectifs h WHERE h.technicien_id = t.id), '[]') AS horaires
		FROM techniciens t JOIN users u ON u.id = t.user_id
		LEFT JOIN technicien_competences tc ON tc.technicien_id = t.id
		LEFT JOIN competences c ON c.id = tc.competence_id
		GROUP BY t.id, u.is_active ORDER BY t.id`)
	if err != nil {
		return nil, wrap("planning techniciens", err)
	}
	var busy []struct {
		TechnicienID   int64     `db:"technicien_id"`
		InterventionID int64     `db:"intervention_id"`
		Start          time.Time `db:"date_planifiee"`
		Duree          int       `db:"duree_estimee"`
	}
	err = s.q.SelectContext(ctx, &busy, `SELECT p.technicien_id, p.intervention_id, p.date_planifiee, p.duree_estimee
		FROM plannings p JOIN interventions i ON i.id = p.intervention_id
		WHERE i.statut IN `+activeStatuts+` AND p.date_planifiee < $2
		  AND p.date_planifiee + make_interval(mins => p.duree_estimee) > $1
		ORDER BY p.date_planifiee`, from, to)
	if err != nil {
		return nil, wrap("planning busy", err)
	}
	techs := make([]planner.Technicien, len(techRows))
	index := map[int64]int{}
	for i, r := range techRows {
		techs[i] = planner.Technicien{ID: r.ID, UserID: r.UserID, Disponible: r.Disponible, Competences: r.Competences,
			DebutMin: r.DebutMin, FinMin: r.FinMin, Horaires: map[int][][2]int{}}
		cs, err := decodeCreneaux(r.Horaires)
		if err != nil {
			return nil, fmt.Errorf("storage: planning techniciens: %w", err)
		}
		for _, c := range cs {
			if d, f, ok := c.Minutes(); ok {
				iso := domain.JourISO(c.Jour)
				techs[i].Horaires[iso] = append(techs[i].Horaires[iso], [2]int{d, f})
			}
		}
		index[r.ID] = i
	}
	for _, b := range busy {
		if i, ok := index[b.TechnicienID]; ok {
			techs[i].Busy = append(techs[i].Busy, planner.Slot{Start: b.Start, End: b.Start.Add(time.Duration(b.Duree) * time.Minute), InterventionID: b.InterventionID})
		}
	}
	return techs, nil
}

// openPlanningTasks loads the open interventions with the competences their equipment calls for.
func (s *Store) openPlanningTasks(ctx context.Context) ([]PlanningTask, error) {
	var taskRows []struct {
		ID          int64           `db:"id"`
		WorkflowID  string          `db:"workflow_id"`
		Priorite    domain.Priorite `db:"priorite"`
		Urgence     bool            `db:"urgence"`
		DateLimite  *time.Time      `db:"date_limite"`
		Created     time.Time       `db:"date_creation"`
		Competences pq.StringArray  `db:"competences"`
	}
	err := s.q.SelectContext(ctx, &taskRows, `
		SELECT i.id, i.workflow_id, i.priorite, i.urgence, i.date_limite, i.date_creation,
			COALESCE((SELECT array_agg(lower(etc.competence_nom) ORDER BY etc.competence_nom) FROM equipement_type_competences etc
				WHERE lower(etc.type_equipement) = lower(e.type)), '{}') AS competences
		FROM interventions i JOIN equipements e ON e.id = i.equipement_id
		WHERE i.statut = 'ouverte' ORDER BY i.id LIMIT 5000`)
	if err != nil {
		return nil, wrap("planning tasks", err)
	}
	tasks := make([]PlanningTask, len(taskRows))
	for i, r := range taskRows {
		tasks[i] = PlanningTask{WorkflowID: r.WorkflowID, Task: planner.Task{InterventionID: r.ID, Priorite: r.Priorite, Urgence: r.Urgence,
			Deadline: r.DateLimite, Created: r.Created, Competences: r.Competences}}
	}
	return tasks, nil
}

// PlanningConflict is a planned slot that breaks a rule.
type PlanningConflict struct {
	Type            string    `db:"type" json:"type"`
	PlanningID      int64     `db:"planning_id" json:"planning_id"`
	AutrePlanningID *int64    `db:"autre_planning_id" json:"autre_planning_id"`
	InterventionID  int64     `db:"intervention_id" json:"intervention_id"`
	TechnicienID    int64     `db:"technicien_id" json:"technicien_id"`
	DatePlanifiee   time.Time `db:"date_planifiee" json:"date_planifiee"`
	DureeEstimee    int       `db:"duree_estimee" json:"duree_estimee"`
	Detail          string    `db:"detail" json:"detail"`
}

// Conflict types.
const (
	ConflictChevauchement  = "chevauchement"
	ConflictHorsHoraires   = "hors_horaires"
	ConflictIndisponible   = "technicien_indisponible"
	ConflictApresEcheance  = "apres_echeance"
	ConflictSansCompetence = "competence_manquante"
)

// conflictsQuery lists the active plannings that overlap another of the same technicien, fall
// outside his working hours of that weekday (in tz; technicien_horaires_effectifs), belong to an
// unavailable technicien, end after the intervention's deadline, or go to a technicien who is not
// qualified for the equipment (technicien_qualifie: every competence at its level, every tool).
// $1 = tz, $2 = from, $3 = to, $4 = optional technicien.
const conflictsQuery = `
WITH p AS (
	SELECT p.*, p.date_planifiee + make_interval(mins => p.duree_estimee) AS fin, i.date_limite, i.equipement_id
	FROM plannings p JOIN interventions i ON i.id = p.intervention_id
	WHERE i.statut IN ` + activeStatuts + ` AND p.date_planifiee < $3
	  AND p.date_planifiee + make_interval(mins => p.duree_estimee) > $2
	  AND ($4::bigint IS NULL OR p.technicien_id = $4)
)
SELECT 'chevauchement' AS type, a.id AS planning_id, b.id AS autre_planning_id, a.intervention_id, a.technicien_id,
	a.date_planifiee, a.duree_estimee, 'chevauche le planning ' || b.id AS detail
FROM p a JOIN p b ON a.technicien_id = b.technicien_id AND a.id <> b.id
	AND a.date_planifiee < b.fin AND b.date_planifiee < a.fin
UNION ALL
SELECT 'hors_horaires', p.id, NULL, p.intervention_id, p.technicien_id, p.date_planifiee, p.duree_estimee,
	'en dehors des horaires du jour (' || COALESCE((SELECT string_agg(to_char(h.debut, 'HH24:MI') || '–' || to_char(h.fin, 'HH24:MI'), ', ' ORDER BY h.debut)
		FROM technicien_horaires_effectifs h WHERE h.technicien_id = p.technicien_id
		  AND h.jour = extract(isodow FROM p.date_planifiee AT TIME ZONE $1)), 'jour non travaillé') || ')'
FROM p
WHERE NOT EXISTS (SELECT 1 FROM technicien_horaires_effectifs h WHERE h.technicien_id = p.technicien_id
	AND h.jour = extract(isodow FROM p.date_planifiee AT TIME ZONE $1)
	AND (p.date_planifiee AT TIME ZONE $1)::time >= h.debut
	AND (p.date_planifiee AT TIME ZONE $1)::date = (p.fin AT TIME ZONE $1)::date
	AND (p.fin AT TIME ZONE $1)::time <= h.fin)
UNION ALL
SELECT 'technicien_indisponible', p.id, NULL, p.intervention_id, p.technicien_id, p.date_planifiee, p.duree_estimee,
	'le technicien est marqué indisponible'
FROM p JOIN techniciens t ON t.id = p.technicien_id JOIN users u ON u.id = t.user_id
WHERE NOT t.disponibilite OR NOT u.is_active
UNION ALL
SELECT 'apres_echeance', p.id, NULL, p.intervention_id, p.technicien_id, p.date_planifiee, p.duree_estimee,
	'se termine après la date limite ' || to_char(p.date_limite AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI')
FROM p WHERE p.date_limite IS NOT NULL AND p.fin > p.date_limite
UNION ALL
SELECT 'competence_manquante', p.id, NULL, p.intervention_id, p.technicien_id, p.date_planifiee, p.duree_estimee,
	'le technicien n''a pas toutes les compétences, aux niveaux requis, ou les outils qu''exige ce type d''équipement'
FROM p JOIN equipements e ON e.id = p.equipement_id
WHERE NOT technicien_qualifie(p.technicien_id, e.type)
`

// PlanningConflicts lists the broken constraints among the active plannings of [from, to).
func (s *Store) PlanningConflicts(ctx context.Context, tz string, from, to time.Time, technicienID *int64) ([]PlanningConflict, error) {
	out := []PlanningConflict{}
	err := s.q.SelectContext(ctx, &out, `SELECT * FROM (`+conflictsQuery+`) c ORDER BY date_planifiee, planning_id, type, autre_planning_id`,
		tz, from, to, technicienID)
	return out, wrap("planning conflicts", err)
}

// PlanningRef is a planning with what a reschedule needs to know about its intervention.
type PlanningRef struct {
	ID             int64                     `db:"id"`
	InterventionID int64                     `db:"intervention_id"`
	TechnicienID   int64                     `db:"technicien_id"`
	DatePlanifiee  time.Time                 `db:"date_planifiee"`
	DureeEstimee   int                       `db:"duree_estimee"`
	WorkflowID     string                    `db:"workflow_id"`
	Statut         domain.StatutIntervention `db:"statut"`
}

// GetPlanningRef returns one planning.
func (s *Store) GetPlanningRef(ctx context.Context, id int64) (PlanningRef, error) {
	var p PlanningRef
	err := s.q.GetContext(ctx, &p, `SELECT p.id, p.intervention_id, p.technicien_id, p.date_planifiee, p.duree_estimee,
		i.workflow_id, i.statut FROM plannings p JOIN interventions i ON i.id = p.intervention_id WHERE p.id = $1`, id)
	return p, wrap("get planning", err)
}

// CheckTechnicienSlot returns a ConflictError when the technicien cannot work [start, start+duree):
// unknown or unavailable, outside his working hours of that weekday (in tz), already planned then
// (the intervention's own planning excepted), or not qualified for the equipment of
// exceptIntervention (every competence at its level, every tool: technicien_qualifie).
func (s *Store) CheckTechnicienSlot(ctx context.Context, tz string, technicienID int64, start time.Time, duree int, exceptIntervention int64) error {
	var row struct {
		Disponible bool   `db:"disponible"`
		Horaires   bool   `db:"horaires"`
		Overlaps   []byte `db:"overlaps"`
		Competent  bool   `db:"competent"`
	}
	err := s.q.GetContext(ctx, &row, `
		SELECT t.disponibilite AND u.is_active AS disponible,
			EXISTS (SELECT 1 FROM technicien_horaires_effectifs h WHERE h.technicien_id = t.id
				AND h.jour = extract(isodow FROM $2::timestamptz AT TIME ZONE $5)
				AND ($2::timestamptz AT TIME ZONE $5)::time >= h.debut
				AND (($2::timestamptz + make_interval(mins => $3)) AT TIME ZONE $5)::time <= h.fin
				AND ($2::timestamptz AT TIME ZONE $5)::date = (($2::timestamptz + make_interval(mins => $3)) AT TIME ZONE $5)::date) AS horaires,
			COALESCE((SELECT string_agg(p.intervention_id::text, ',' ORDER BY p.date_planifiee) FROM plannings p
				JOIN interventions i ON i.id = p.intervention_id
				WHERE p.technicien_id = t.id AND i.statut IN `+activeStatuts+` AND p.intervention_id <> $4
				  AND tstzrange(p.date_planifiee, p.date_planifiee + make_interval(mins => p.duree_estimee))
				   && tstzrange($2::timestamptz, $2::timestamptz + make_interval(mins => $3::int))), '')::bytea AS overlaps,
			COALESCE((SELECT technicien_qualifie(t.id, e.type) FROM interventions i JOIN equipements e ON e.id = i.equipement_id
				WHERE i.id = $4), TRUE) AS competent
		FROM techniciens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, technicienID, start, duree, exceptIntervention, tz)
	if err != nil {
		if err = wrap("check slot", err); errors.Is(err, domain.ErrNotFound) {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "technicien_id", Message: "technicien introuvable"}}}
		}
		return err
	}
	var reasons []string
	if !row.Disponible {
		reasons = append(reasons, "le technicien est indisponible")
	}
	if !row.Horaires {
		reasons = append(reasons, "le créneau sort de ses horaires de travail")
	}
	if !row.Competent {
		reasons = append(reasons, "il n'a pas toutes les compétences, aux niveaux requis, ou les outils qu'exige ce type d'équipement")
	}
	if len(row.Overlaps) > 0 {
		reasons = append(reasons, fmt.Sprintf("il est déjà planifié sur l'intervention %s", string(row.Overlaps)))
	}
	if len(reasons) > 0 {
		return domain.Conflictf("créneau impossible: %s", strings.Join(reasons, "; "))
	}
	return nil
}

// PlanningIDOfIntervention returns the id of the intervention's planning (ErrNotFound without one).
func (s *Store) PlanningIDOfIntervention(ctx context.Context, interventionID int64) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `SELECT id FROM plannings WHERE intervention_id = $1`, interventionID)
	return id, wrap("planning of intervention", err)
}
