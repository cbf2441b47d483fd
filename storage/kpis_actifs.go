package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// kpiScope narrows interventions (alias i) to what p may see: a client its own, a technicien
// his own work.
func kpiScope(p domain.Principal, w *where) {
	if cond, args := interventionVisibility(p, w.next()); cond != "TRUE" {
		w.addRaw(cond, args...)
	}
	ownWork(p, w)
}

// CoutPieces sums the parts consumed in [debut, fin) per intervention, equipment or client
// (the client of the equipment's site), most expensive first.
func (s *Store) CoutPieces(ctx context.Context, p domain.Principal, groupe string, debut, fin time.Time, page Page) ([]domain.CoutPieces, int, error) {
	var key, label, from string
	switch groupe {
	case domain.GroupeIntervention:
		key, label = "i.id", "max(i.titre)"
	case domain.GroupeEquipement:
		key, label = "e.id", "max(e.nom)"
	case domain.GroupeClient:
		key, label = "cl.id", "max(cl.nom)"
		from = " JOIN sites si ON si.id = e.site_id JOIN clients cl ON cl.id = si.client_id"
	default:
		return nil, 0, fmt.Errorf("storage: cout pieces: unknown grouping %q", groupe)
	}
	w := &where{}
	w.add("c.date_consommation >= ?", debut)
	w.add("c.date_consommation < ?", fin)
	kpiScope(p, w)
	base := `FROM consommations_pieces c JOIN interventions i ON i.id = c.intervention_id JOIN equipements e ON e.id = i.equipement_id` +
		from + ` WHERE ` + w.sql()
	var total int
	if err := s.q.GetContext(ctx, &total, `SELECT count(DISTINCT `+key+`) `+base, w.args...); err != nil {
		return nil, 0, wrap("count cout pieces", err)
	}
	out := []domain.CoutPieces{}
	err := s.q.SelectContext(ctx, &out, fmt.Sprintf(`SELECT %s AS id, %s AS libelle, count(DISTINCT i.id) AS interventions, count(*) AS lignes,
			round(sum(c.quantite * c.cout_unitaire), 2)::float8 AS cout_total %s
		GROUP BY %s ORDER BY cout_total DESC, %s LIMIT %d OFFSET %d`, key, label, base, key, key, page.Limit, page.Offset), w.args...)
	return out, total, wrap("cout pieces", err)
}

// FiabiliteParClasse computes MTBF and MTTR per equipment type over [debut, fin), for the
// equipment p may see.
func (s *Store) FiabiliteParClasse(ctx context.Context, p domain.Principal, debut, fin time.Time) ([]domain.FiabiliteClasse, error) {
	we := &where{}
	equipementVisibility(p, we)
	n := we.next()
	out := []domain.FiabiliteClasse{}
	err := s.q.SelectContext(ctx, &out, fmt.Sprintf(`
		WITH pannes AS (
			SELECT i.equipement_id, count(*) AS pannes,
				sum(extract(epoch FROM i.date_fin - i.date_debut) / 3600)
					FILTER (WHERE i.statut = 'terminee' AND i.date_debut IS NOT NULL AND i.date_fin IS NOT NULL) AS reparation,
				count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_debut IS NOT NULL AND i.date_fin IS NOT NULL) AS reparees
			FROM interventions i
			WHERE i.type_intervention = 'corrective' AND i.date_creation >= $%d AND i.date_creation < $%d
			GROUP BY i.equipement_id),
		classes AS (
			SELECT e.type AS classe, count(*) AS equipements, COALESCE(sum(pa.pannes), 0) AS pannes,
				COALESCE(sum(pa.reparation), 0) AS reparation, COALESCE(sum(pa.reparees), 0) AS reparees
			FROM equipements e LEFT JOIN pannes pa ON pa.equipement_id = e.id
			WHERE %s GROUP BY e.type)
		SELECT classe, equipements, pannes,
			CASE WHEN reparees > 0 THEN round((reparation / reparees)::numeric, 1)::float8 END AS mttr_heures,
			CASE WHEN pannes > 0 THEN round((GREATEST(equipements * $%d - reparation, 0) / pannes)::numeric, 1)::float8 END AS mtbf_heures
		FROM classes ORDER BY pannes DESC, classe LIMIT 500`, n, n+1, we.sql(), n+2),
		append(we.args, debut, fin, fin.Sub(debut).Hours())...)
	return out, wrap("fiabilite par classe", err)
}

// ConformitePreventiveParDeclencheur gives the compliance of the preventive work due in
// [debut, fin) per trigger type of the plan that opened it (one row per type, zeros included):
// an intervention is classified by its occurrence (occurrences_preventives, joined on the workflow
// ID); preventive work opened before usage plans existed, or by hand, counts as calendar.
func (s *Store) ConformitePreventiveParDeclencheur(ctx context.Context, p domain.Principal, debut, fin time.Time) ([]domain.ConformiteDeclencheur, error) {
	w := &where{}
	kpiScope(p, w)
	w.add("i.type_intervention = 'preventive'")
	w.add("i.statut <> 'annulee'")
	w.add("i.date_limite >= ?", debut)
	w.add("i.date_limite < ?", fin)
	n := w.next()
	out := []domain.ConformiteDeclencheur{}
	err := s.q.SelectContext(ctx, &out, `WITH due AS (
			SELECT COALESCE(o.declencheur, 'calendrier') AS declencheur, i.statut, i.date_fin, i.date_limite
			FROM interventions i LEFT JOIN occurrences_preventives o ON o.intervention_workflow_id = i.workflow_id
			WHERE `+w.sql()+`)
		SELECT t.declencheur, count(d.statut) AS prevues,
			count(*) FILTER (WHERE d.statut = 'terminee' AND d.date_fin <= d.date_limite) AS realisees_a_temps,
			count(*) FILTER (WHERE d.statut = 'terminee' AND d.date_fin > d.date_limite) AS realisees_en_retard,
			round(100.0 * count(*) FILTER (WHERE d.statut = 'terminee' AND d.date_fin <= d.date_limite) / NULLIF(count(d.statut), 0), 1)::float8 AS taux_conformite
		FROM unnest($`+strconv.Itoa(n)+`::text[]) WITH ORDINALITY AS t(declencheur, n) LEFT JOIN due d ON d.declencheur = t.declencheur
		GROUP BY t.declencheur, t.n ORDER BY t.n`, append(w.args, pq.Array(domain.Declencheurs))...)
	return out, wrap("conformite preventive", err)
}
