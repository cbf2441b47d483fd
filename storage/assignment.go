package storage

import (
	"context"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// activeStatuts are the intervention statuses that occupy a technicien.
const activeStatuts = `('planifiee', 'en_cours', 'en_attente')`

// CandidateTechniciens lists, best first, the active and available techniciens qualified for the
// equipment's type (technicien_qualifie: every competence it calls for at its level, every tool)
// and, unless anyTime, who have no planned work overlapping
// [start, start+duree): the lowest load (active interventions, then planned minutes) first, then
// the most experienced.
func (s *Store) CandidateTechniciens(ctx context.Context, equipementID int64, start time.Time, duree int, anyTime bool) ([]domain.TechnicienCandidate, error) {
	out := []domain.TechnicienCandidate{}
	err := s.q.SelectContext(ctx, &out, `
		SELECT t.id AS technicien_id, t.user_id, u.nom, u.prenom,
			(SELECT count(*) FROM interventions i WHERE i.technicien_id = t.id AND i.statut IN `+activeStatuts+`) AS actives,
			COALESCE((SELECT sum(p.duree_estimee) FROM plannings p JOIN interventions i ON i.id = p.intervention_id
				WHERE p.technicien_id = t.id AND i.statut IN `+activeStatuts+`), 0) AS charge
		FROM techniciens t JOIN users u ON u.id = t.user_id
		WHERE t.disponibilite AND u.is_active
		  AND technicien_qualifie(t.id, (SELECT e.type FROM equipements e WHERE e.id = $1))
		  AND ($4::boolean OR NOT EXISTS (
			SELECT 1 FROM plannings p JOIN interventions i ON i.id = p.intervention_id
			WHERE p.technicien_id = t.id AND i.statut IN `+activeStatuts+`
			  AND tstzrange(p.date_planifiee, p.date_planifiee + make_interval(mins => p.duree_estimee))
			   && tstzrange($2::timestamptz, $2::timestamptz + make_interval(mins => $3::int))))
		ORDER BY actives, charge,
			array_position(ARRAY['expert', 'senior', 'confirme', 'junior'], t.niveau_experience), t.id`,
		equipementID, start, duree, anyTime)
	return out, wrap("candidate techniciens", err)
}

// TechnicienUserIDs maps techniciens to their user accounts (for notifications).
func (s *Store) TechnicienUserIDs(ctx context.Context, ids ...int64) ([]int64, error) {
	out := []int64{}
	err := s.q.SelectContext(ctx, &out, `SELECT user_id FROM techniciens WHERE id = ANY($1) ORDER BY user_id`, pq.Array(ids))
	return out, wrap("technicien users", err)
}
