package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// interventionDetailSelect loads interventions with their equipment, technicien, planning and
// document count in one statement: the detail of one intervention and the rows of lists.
const interventionDetailSelect = `SELECT ` + interventionColumns + `,
	e.nom AS eq_nom, e.type AS eq_type, e.localisation AS eq_localisation,
	tu.nom AS tech_nom, tu.prenom AS tech_prenom, t.specialite AS tech_specialite,
	p.id AS plan_id, p.date_planifiee AS plan_date, p.duree_estimee AS plan_duree, p.statut AS plan_statut,
	(SELECT count(*) FROM documents d WHERE d.intervention_id = i.id AND d.deleted_at IS NULL) AS documents_count,
	EXISTS (SELECT 1 FROM intervention_outbox o WHERE o.intervention_id = i.id) AS workflow_en_attente
FROM interventions i
JOIN equipements e ON e.id = i.equipement_id
LEFT JOIN techniciens t ON t.id = i.technicien_id
LEFT JOIN users tu ON tu.id = t.user_id
LEFT JOIN plannings p ON p.intervention_id = i.id`

type interventionDetailRow struct {
	domain.Intervention
	EqNom          string     `db:"eq_nom"`
	EqType         string     `db:"eq_type"`
	EqLocalisation string     `db:"eq_localisation"`
	TechNom        *string    `db:"tech_nom"`
	TechPrenom     *string    `db:"tech_prenom"`
	TechSpecialite *string    `db:"tech_specialite"`
	PlanID         *int64     `db:"plan_id"`
	PlanDate       *time.Time `db:"plan_date"`
	PlanDuree      *int       `db:"plan_duree"`
	PlanStatut     *string    `db:"plan_statut"`
	DocumentsCount int        `db:"documents_count"`
	Pending        bool       `db:"workflow_en_attente"`
}

func (row interventionDetailRow) detail() domain.InterventionDetail {
	d := domain.InterventionDetail{
		Intervention:   row.Intervention,
		Equipement:     domain.EquipementResume{ID: row.EquipementID, Nom: row.EqNom, Type: row.EqType, Localisation: row.EqLocalisation},
		DocumentsCount: row.DocumentsCount, WorkflowEnAttente: row.Pending,
	}
	if row.TechnicienID != nil && row.TechNom != nil {
		d.Technicien = &domain.TechnicienResume{ID: *row.TechnicienID, Nom: *row.TechNom, Prenom: deref(row.TechPrenom), Specialite: deref(row.TechSpecialite)}
	}
	if row.PlanID != nil {
		d.Planning = &domain.PlanningResume{ID: *row.PlanID, DatePlanifiee: *row.PlanDate, DureeEstimee: *row.PlanDuree, Statut: domain.StatutPlanning(deref(row.PlanStatut))}
	}
	return d
}

// interventionSorts maps the sortable fields to SQL. Dates and status follow indexes; priority
// sorts by rank, not alphabetically.
var interventionSorts = map[string]string{
	"id":            "i.id",
	"date_creation": "i.date_creation",
	"date_limite":   "i.date_limite",
	"statut":        "i.statut",
	"titre":         "i.titre",
	"priorite":      "CASE i.priorite WHEN 'basse' THEN 0 WHEN 'normale' THEN 1 WHEN 'haute' THEN 2 ELSE 3 END",
}

// InterventionSortFields lists the fields a list of interventions may be sorted on.
func InterventionSortFields() []string { return sortedKeys(interventionSorts) }

// DefaultInterventionSort is the newest first.
var DefaultInterventionSort = Sort{Field: "date_creation", Desc: true}

func interventionWhere(p domain.Principal, f domain.InterventionFiltre) *where {
	w := &where{}
	if cond, args := interventionVisibility(p, w.next()); cond != "TRUE" {
		w.addRaw(cond, args...)
	}
	if f.Statut != nil {
		w.add("i.statut = ?", *f.Statut)
	}
	if f.Priorite != nil {
		w.add("i.priorite = ?", *f.Priorite)
	}
	if f.TypeIntervention != nil {
		w.add("i.type_intervention = ?", *f.TypeIntervention)
	}
	if f.EquipementID != nil {
		w.add("i.equipement_id = ?", *f.EquipementID)
	}
	if f.TechnicienID != nil {
		w.add("i.technicien_id = ?", *f.TechnicienID)
	}
	if f.CreateurID != nil {
		w.add("i.createur_id = ?", *f.CreateurID)
	}
	if f.Urgence != nil {
		w.add("i.urgence = ?", *f.Urgence)
	}
	if f.EnRetard != nil {
		w.add("i.en_retard = ?", *f.EnRetard)
	}
	if f.CreeApres != nil {
		w.add("i.date_creation >= ?", *f.CreeApres)
	}
	if f.CreeAvant != nil {
		w.add("i.date_creation < ?", *f.CreeAvant)
	}
	if f.LimiteApres != nil {
		w.add("i.date_limite >= ?", *f.LimiteApres)
	}
	if f.LimiteAvant != nil {
		w.add("i.date_limite < ?", *f.LimiteAvant)
	}
	if f.Recherche != "" {
		pat := likePattern(f.Recherche)
		w.add("(i.titre ILIKE ? OR i.description ILIKE ?)", pat, pat)
	}
	if f.Overdue {
		// Written so that interventions_date_limite_idx (partial on unfinished work) serves it.
		w.add(`i.statut NOT IN ('terminee', 'annulee') AND (i.en_retard OR i.date_limite < ?)`, time.Now())
	}
	return w
}

// ListInterventions returns one page of the interventions p may see that match f, each with its
// equipment, technicien and planning, and the total count.
func (s *Store) ListInterventions(ctx context.Context, p domain.Principal, f domain.InterventionFiltre, sort Sort, page Page) ([]domain.InterventionDetail, int, error) {
	w := interventionWhere(p, f)
	total, counted, err := s.countFromCounters(ctx, p, f)
	if err == nil && !counted {
		total, err = s.count(ctx, "count interventions", "interventions i", w)
	}
	if err != nil {
		return nil, 0, err
	}
	rows := []interventionDetailRow{}
	err = s.q.SelectContext(ctx, &rows, interventionDetailSelect+` WHERE `+w.sql()+
		` ORDER BY `+orderBy(sort, interventionSorts, DefaultInterventionSort, "i.id")+
		fmt.Sprintf(" LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	if err != nil {
		return nil, 0, wrap("list interventions", err)
	}
	out := make([]domain.InterventionDetail, len(rows))
	for i, r := range rows {
		out[i] = r.detail()
	}
	return out, total, nil
}

// countFromCounters counts the interventions p may see that match f from the dashboard's
// counters (intervention_counters, migration 00102) when f filters only on what they are kept
// by — status, priority, and one equipment or one technicien — instead of counting the rows
// (100 000 of them for an unfiltered list). counted is false when f needs the rows.
func (s *Store) countFromCounters(ctx context.Context, p domain.Principal, f domain.InterventionFiltre) (total int, counted bool, err error) {
	rest := f
	rest.Statut, rest.Priorite, rest.EquipementID, rest.TechnicienID = nil, nil, nil, nil
	client := p.Role == domain.RoleClient
	switch {
	case rest != (domain.InterventionFiltre{}), f.EquipementID != nil && f.TechnicienID != nil, client && f.TechnicienID != nil:
		return 0, false, nil
	case client && p.ClientID == nil:
		return 0, true, nil
	}
	w := &where{}
	switch {
	case f.TechnicienID != nil:
		w.add("c.portee = 't' AND c.cle = ?", *f.TechnicienID)
	case f.EquipementID != nil:
		w.add("c.portee = 'e' AND c.cle = ?", *f.EquipementID)
	case client:
		w.add("c.portee = 'e'")
	default:
		w.add("c.portee = 'a' AND c.cle = 0")
	}
	if client {
		w.add(`c.cle IN (SELECT ce.equipement_id FROM contrat_equipements ce JOIN contrats k ON k.id = ce.contrat_id
			WHERE k.client_id = ?)`, *p.ClientID)
	}
	if f.Statut != nil {
		w.add("c.statut = ?", *f.Statut)
	}
	if f.Priorite != nil {
		w.add("c.priorite = ?", *f.Priorite)
	}
	s.compactCounters(ctx)
	err = s.q.GetContext(ctx, &total, `SELECT COALESCE(sum(c.n), 0) FROM intervention_counters c WHERE `+w.sql(), w.args...)
	return total, true, wrap("count interventions", err)
}

// InterventionHistorique returns one page of the audit trail of an intervention p may see,
// oldest first (historique_entite_idx), and the number of its events.
func (s *Store) InterventionHistorique(ctx context.Context, p domain.Principal, id int64, page Page) ([]domain.Historique, int, error) {
	cond, args := interventionVisibility(p, 2)
	var ok bool
	if err := s.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM interventions i WHERE i.id = $1 AND `+cond+`)`,
		append([]any{id}, args...)...); err != nil {
		return nil, 0, wrap("intervention historique", err)
	}
	if !ok {
		return nil, 0, fmt.Errorf("storage: intervention historique: %w", domain.ErrNotFound)
	}
	w := &where{}
	w.add("h.entite = 'intervention' AND h.entite_id = ?", id)
	total, err := s.count(ctx, "count intervention historique", "historique h", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Historique{}
	err = s.q.SelectContext(ctx, &out, `SELECT h.id, h.entite, h.entite_id, h.action, h.acteur_id, h.changements, h.date_action
		FROM historique h WHERE `+w.sql()+fmt.Sprintf(" ORDER BY h.date_action, h.id LIMIT %d OFFSET %d", page.Limit, page.Offset),
		w.args...)
	return out, total, wrap("intervention historique", err)
}

// ExplainInterventions returns PostgreSQL's plan (EXPLAIN, text format) of the page query that
// ListInterventions runs for the same arguments, so that tests and operators can check which
// indexes a list uses.
func (s *Store) ExplainInterventions(ctx context.Context, p domain.Principal, f domain.InterventionFiltre, sort Sort, page Page) (string, error) {
	w := interventionWhere(p, f)
	var lines []string
	err := s.q.SelectContext(ctx, &lines, `EXPLAIN `+interventionDetailSelect+` WHERE `+w.sql()+
		` ORDER BY `+orderBy(sort, interventionSorts, DefaultInterventionSort, "i.id")+
		fmt.Sprintf(" LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	if err != nil {
		return "", wrap("explain interventions", err)
	}
	return strings.Join(lines, "\n"), nil
}
