package storage

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// ownWork limits a technicien's figures to its own assignments: its dashboard is a view of its
// work (reports:read_own), even though it may read every intervention.
func ownWork(p domain.Principal, w *where) {
	if p.Role != domain.RoleTechnicien {
		return
	}
	if p.TechnicienID == nil {
		w.add("FALSE")
		return
	}
	w.add("i.technicien_id = ?", *p.TechnicienID)
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func round1p(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := round1(*f)
	return &v
}

// DashboardStats computes the dashboard of what p may see, in three aggregate queries. A client
// sees its own equipment and interventions and nothing about the technicien team; a technicien
// sees its own assignments and its own load.
func (s *Store) DashboardStats(ctx context.Context, p domain.Principal, now time.Time) (domain.DashboardStats, error) {
	var st domain.DashboardStats

	wi := &where{}
	if cond, args := interventionVisibility(p, 1); cond != "TRUE" {
		wi.addRaw(cond, args...)
	}
	ownWork(p, wi)
	var irow struct {
		Total            int      `db:"total"`
		Ouvertes         int      `db:"ouvertes"`
		EnCours          int      `db:"en_cours"`
		TermineesSemaine int      `db:"terminees_semaine"`
		Critiques        int      `db:"critiques"`
		ResolutionH      *float64 `db:"resolution_h"`
		Taux             *float64 `db:"taux"`
		Satisfaction     *float64 `db:"satisfaction"`
	}
	since := wi.next()
	err := s.q.GetContext(ctx, &irow, fmt.Sprintf(`SELECT count(*) AS total,
			count(*) FILTER (WHERE i.statut = 'ouverte') AS ouvertes,
			count(*) FILTER (WHERE i.statut = 'en_cours') AS en_cours,
			count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_fin >= $%d) AS terminees_semaine,
			count(*) FILTER (WHERE i.priorite = 'critique' AND i.statut NOT IN ('terminee', 'annulee')) AS critiques,
			avg(extract(epoch FROM i.date_fin - i.date_creation) / 3600)
				FILTER (WHERE i.statut = 'terminee' AND i.date_fin IS NOT NULL) AS resolution_h,
			-- On time: finished without the SLA clock having marked it late (the clock knows the
			-- contract SLA, the priority default and the pauses), and within date_limite if any.
			100.0 * count(*) FILTER (WHERE i.statut = 'terminee' AND NOT i.en_retard
					AND (i.date_limite IS NULL OR i.date_fin <= i.date_limite))
				/ NULLIF(count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_fin IS NOT NULL), 0) AS taux,
			avg(i.satisfaction_client) AS satisfaction
		FROM interventions i WHERE %s`, since, wi.sql()), append(wi.args, now.Add(-7*24*time.Hour))...)
	if err != nil {
		return st, wrap("dashboard interventions", err)
	}
	st.Interventions.Total, st.Interventions.Ouvertes, st.Interventions.EnCours = irow.Total, irow.Ouvertes, irow.EnCours
	st.Interventions.TermineesSemaine, st.Interventions.Critiques = irow.TermineesSemaine, irow.Critiques
	if irow.ResolutionH != nil {
		txt := fmt.Sprintf("%.1f heures", *irow.ResolutionH)
		st.KPI.TempsMoyenResolution = &txt
	}
	st.KPI.TauxRespectDelais = round1p(irow.Taux)
	st.KPI.SatisfactionClient = round1p(irow.Satisfaction)

	we := &where{}
	equipementVisibility(p, we)
	due := we.next()
	err = s.q.GetContext(ctx, &st.Equipements, fmt.Sprintf(`SELECT count(*) FILTER (WHERE e.statut <> 'retire') AS total,
			count(*) FILTER (WHERE e.statut = 'operationnel') AS operationnels,
			count(*) FILTER (WHERE e.statut = 'en_panne') AS en_panne,
			count(*) FILTER (WHERE e.frequence_entretien IS NOT NULL AND e.statut <> 'retire' AND %s <= $%d) AS maintenance_due
		FROM equipements e WHERE %s`, prochaineMaintenanceSQL, due, we.sql()),
		append(we.args, now.Add(domain.MaintenanceDueHorizon))...)
	if err != nil {
		return st, wrap("dashboard equipements", err)
	}

	if p.Role == domain.RoleClient {
		return st, nil
	}
	// Load is the planned minutes over the next seven days against a week of each technicien's
	// working hours (technicien_horaires_effectifs), as a percentage (above 100 means overbooked).
	wt := &where{}
	wt.add("u.is_active")
	technicienVisibility(p, wt)
	from, to := wt.next(), wt.next()+1
	err = s.q.GetContext(ctx, &st.Techniciens, `SELECT count(*) AS total,
			count(*) FILTER (WHERE t.disponibilite) AS disponibles,
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM interventions x WHERE x.technicien_id = t.id AND x.statut = 'en_cours')) AS en_intervention,
			COALESCE(avg(100.0 * (SELECT COALESCE(sum(p.duree_estimee), 0) FROM plannings p
				WHERE p.technicien_id = t.id AND p.statut IN ('planifiee', 'en_cours')
				AND p.date_planifiee >= $`+strconv.Itoa(from)+` AND p.date_planifiee < $`+strconv.Itoa(to)+`)
				/ NULLIF((SELECT sum(extract(epoch FROM h.fin - h.debut)) / 60 FROM technicien_horaires_effectifs h
					WHERE h.technicien_id = t.id), 0)), 0) AS charge_moyenne
		FROM techniciens t JOIN users u ON u.id = t.user_id WHERE `+wt.sql(), append(wt.args, now, now.Add(7*24*time.Hour))...)
	if err != nil {
		return st, wrap("dashboard techniciens", err)
	}
	st.Techniciens.ChargeMoyenne = round1(st.Techniciens.ChargeMoyenne)
	return st, nil
}

// DashboardKPI computes, over [debut, fin), the MTTR and MTBF of each equipment p may see (one
// page, most failures first) and the compliance of the preventive plan.
//
// A failure is a corrective intervention opened in the period; MTTR is the mean time from start
// to end of the finished ones; MTBF is the period's hours minus that repair time, divided by the
// number of failures.
func (s *Store) DashboardKPI(ctx context.Context, p domain.Principal, debut, fin time.Time, page Page) (domain.DashboardKPI, int, error) {
	var out domain.DashboardKPI
	out.Periode.DateDebut, out.Periode.DateFin = debut, fin
	hours := fin.Sub(debut).Hours()

	we := &where{}
	equipementVisibility(p, we)
	total, err := s.count(ctx, "count kpi equipements", "equipements e", we)
	if err != nil {
		return out, 0, err
	}
	n := we.next()
	out.Equipements = []domain.EquipementKPI{}
	err = s.q.SelectContext(ctx, &out.Equipements, fmt.Sprintf(`
		WITH pannes AS (
			SELECT i.equipement_id, count(*) AS pannes,
				avg(extract(epoch FROM i.date_fin - i.date_debut) / 3600)
					FILTER (WHERE i.statut = 'terminee' AND i.date_debut IS NOT NULL AND i.date_fin IS NOT NULL) AS mttr,
				COALESCE(sum(extract(epoch FROM i.date_fin - i.date_debut) / 3600)
					FILTER (WHERE i.statut = 'terminee' AND i.date_debut IS NOT NULL AND i.date_fin IS NOT NULL), 0) AS arret
			FROM interventions i
			WHERE i.type_intervention = 'corrective' AND i.date_creation >= $%d AND i.date_creation < $%d
			GROUP BY i.equipement_id)
		SELECT e.id AS equipement_id, e.nom, e.localisation, COALESCE(pa.pannes, 0) AS pannes,
			round(pa.mttr::numeric, 1)::float8 AS mttr_heures,
			CASE WHEN pa.pannes > 0 THEN round(((GREATEST($%d - pa.arret, 0)) / pa.pannes)::numeric, 1)::float8 END AS mtbf_heures
		FROM equipements e LEFT JOIN pannes pa ON pa.equipement_id = e.id
		WHERE %s
		ORDER BY COALESCE(pa.pannes, 0) DESC, e.id LIMIT %d OFFSET %d`, n, n+1, n+2, we.sql(), page.Limit, page.Offset),
		append(we.args, debut, fin, hours)...)
	if err != nil {
		return out, 0, wrap("dashboard kpi equipements", err)
	}

	wi := &where{}
	if cond, args := interventionVisibility(p, 1); cond != "TRUE" {
		wi.addRaw(cond, args...)
	}
	ownWork(p, wi)
	wi.add("i.type_intervention = 'preventive'")
	wi.add("i.statut <> 'annulee'")
	wi.add("i.date_limite >= ?", debut)
	wi.add("i.date_limite < ?", fin)
	err = s.q.GetContext(ctx, &out.Preventif, `SELECT count(*) AS prevues,
			count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_fin <= i.date_limite) AS realisees_a_temps,
			count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_fin > i.date_limite) AS realisees_en_retard,
			round(100.0 * count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_fin <= i.date_limite) / NULLIF(count(*), 0), 1)::float8 AS taux_conformite
		FROM interventions i WHERE `+wi.sql(), wi.args...)
	if err != nil {
		return out, 0, wrap("dashboard kpi preventif", err)
	}
	return out, total, nil
}
