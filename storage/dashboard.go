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

// DashboardStats computes the dashboard of what p may see: the interventions' figures from the
// counters a trigger maintains (intervention_counters, migration 00102), the equipment and
// techniciens from their (small) tables. A client
// sees its own equipment and interventions and nothing about the technicien team; a technicien
// sees its own assignments and its own load.
func (s *Store) DashboardStats(ctx context.Context, p domain.Principal, now time.Time) (domain.DashboardStats, error) {
	var st domain.DashboardStats

	irow, err := s.interventionCounters(ctx, p)
	if err != nil {
		return st, err
	}
	// "Finished this week" depends on the clock: counted from the rows, through the partial
	// index on date_fin of finished interventions (a week's worth, not the whole table).
	wi := &where{}
	if cond, args := interventionVisibility(p, 1); cond != "TRUE" {
		wi.addRaw(cond, args...)
	}
	ownWork(p, wi)
	wi.add("i.statut = 'terminee'")
	wi.add("i.date_fin >= ?", now.Add(-7*24*time.Hour))
	if err := s.q.GetContext(ctx, &irow.TermineesSemaine, `SELECT count(*) FROM interventions i WHERE `+wi.sql(), wi.args...); err != nil {
		return st, wrap("dashboard terminees semaine", err)
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
	// One pass over each table (grouped per technicien, then joined), not three subqueries
	// per technicien.
	err = s.q.GetContext(ctx, &st.Techniciens, `WITH planifie AS (
			SELECT p.technicien_id, sum(p.duree_estimee) AS minutes FROM plannings p
			WHERE p.statut IN ('planifiee', 'en_cours') AND p.date_planifiee >= $`+strconv.Itoa(from)+` AND p.date_planifiee < $`+strconv.Itoa(to)+`
			GROUP BY p.technicien_id),
		horaires AS (
			SELECT h.technicien_id, sum(extract(epoch FROM h.fin - h.debut)) / 60 AS minutes
			FROM technicien_horaires_effectifs h GROUP BY h.technicien_id),
		occupes AS (
			SELECT DISTINCT x.technicien_id FROM interventions x WHERE x.statut = 'en_cours' AND x.technicien_id IS NOT NULL)
		SELECT count(*) AS total,
			count(*) FILTER (WHERE t.disponibilite) AS disponibles,
			count(o.technicien_id) AS en_intervention,
			COALESCE(avg(100.0 * COALESCE(pl.minutes, 0) / NULLIF(h.minutes, 0)), 0) AS charge_moyenne
		FROM techniciens t JOIN users u ON u.id = t.user_id
		LEFT JOIN planifie pl ON pl.technicien_id = t.id
		LEFT JOIN horaires h ON h.technicien_id = t.id
		LEFT JOIN occupes o ON o.technicien_id = t.id
		WHERE `+wt.sql(), append(wt.args, now, now.Add(7*24*time.Hour))...)
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

// counterRow is the interventions' part of the dashboard, summed from intervention_counters.
type counterRow struct {
	Total            int      `db:"total"`
	Ouvertes         int      `db:"ouvertes"`
	EnCours          int      `db:"en_cours"`
	TermineesSemaine int      `db:"-"`
	Critiques        int      `db:"critiques"`
	ResolutionH      *float64 `db:"resolution_h"`
	Taux             *float64 `db:"taux"`
	Satisfaction     *float64 `db:"satisfaction"`
}

// counterSums are the dashboard's figures over the counter rows of a scope.
const counterSums = `SELECT COALESCE(sum(n), 0) AS total,
		COALESCE(sum(n) FILTER (WHERE statut = 'ouverte'), 0) AS ouvertes,
		COALESCE(sum(n) FILTER (WHERE statut = 'en_cours'), 0) AS en_cours,
		COALESCE(sum(n) FILTER (WHERE priorite = 'critique' AND statut NOT IN ('terminee', 'annulee')), 0) AS critiques,
		(sum(resolution_s) / 3600 / NULLIF(sum(resolues), 0))::float8 AS resolution_h,
		(100.0 * sum(a_temps) / NULLIF(sum(resolues), 0))::float8 AS taux,
		(sum(notes_somme)::numeric / NULLIF(sum(notes), 0))::float8 AS satisfaction
	FROM intervention_counters c WHERE `

// interventionCounters sums the counters of what p may see: every intervention, a client's
// equipment (those its contracts cover, read now: a contract change needs no recount), or a
// technicien's own assignments.
func (s *Store) interventionCounters(ctx context.Context, p domain.Principal) (counterRow, error) {
	s.compactCounters(ctx)
	var row counterRow
	q, args := counterSums+`c.portee = 'a'`, []any(nil)
	switch {
	case p.Role == domain.RoleClient && p.ClientID == nil, p.Role == domain.RoleTechnicien && p.TechnicienID == nil:
		q = counterSums + `FALSE`
	case p.Role == domain.RoleClient:
		q, args = counterSums+`c.portee = 'e' AND c.cle IN (SELECT ce.equipement_id FROM contrat_equipements ce
			JOIN contrats k ON k.id = ce.contrat_id WHERE k.client_id = $1)`, []any{*p.ClientID}
	case p.Role == domain.RoleTechnicien:
		q, args = counterSums+`c.portee = 't' AND c.cle = $1`, []any{*p.TechnicienID}
	}
	if err := s.q.GetContext(ctx, &row, q, args...); err != nil {
		return row, wrap("dashboard interventions", err)
	}
	return row, nil
}

// compactInterval is how often a process folds the counters' delta rows (each intervention
// write appends two to six): between two folds a dashboard sums at most that many writes' rows.
const compactInterval = 10 * time.Second

// compactCounters folds the counters' delta rows when the last fold of this process is older
// than compactInterval; one caller at a time does it, the others go on. A failure leaves the
// deltas in place (still correct, only slower to sum): the next dashboard tries again.
func (s *Store) compactCounters(ctx context.Context) {
	c := s.counters
	if c == nil || time.Since(time.Unix(0, c.last.Load())) < compactInterval || !c.mu.TryLock() {
		return
	}
	defer c.mu.Unlock()
	if _, err := s.db.ExecContext(ctx, `SELECT intervention_counters_compact()`); err == nil {
		c.last.Store(time.Now().UnixNano())
	}
}

// CompactCounters folds the dashboard counters' delta rows now (tests, maintenance).
func (s *Store) CompactCounters(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `SELECT intervention_counters_compact()`)
	return wrap("compact counters", err)
}
