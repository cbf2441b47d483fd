package storage

import (
	"context"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// FilterCount is one value an intervention filter can take among the interventions a caller may
// see, with how many carry it. Label is the equipment's or technicien's name for an id; the API
// gives the enums' labels.
type FilterCount struct {
	Filtre string `db:"filtre"`
	Valeur string `db:"valeur"`
	Label  string `db:"label"`
	Nombre int    `db:"nombre"`
}

// FilterRange is the span of the dates an intervention filter bounds (nil: no intervention).
type FilterRange struct {
	CreationMin *time.Time `db:"creation_min"`
	CreationMax *time.Time `db:"creation_max"`
	LimiteMin   *time.Time `db:"limite_min"`
	LimiteMax   *time.Time `db:"limite_max"`
}

// InterventionFilterValues counts, over the interventions p may see, each value of the filters
// of GET /interventions (statut, priorite, type_intervention, urgence, en_retard, equipement_id,
// technicien_id), and the span of their dates: the material of filter menus.
func (s *Store) InterventionFilterValues(ctx context.Context, p domain.Principal) ([]FilterCount, FilterRange, error) {
	cond, args := interventionVisibility(p, 1)
	visible := `(SELECT i.* FROM interventions i WHERE ` + cond + `)`
	out := []FilterCount{}
	err := s.q.SelectContext(ctx, &out, `WITH v AS `+visible+`
		SELECT 'statut' AS filtre, statut AS valeur, '' AS label, count(*) AS nombre FROM v GROUP BY statut
		UNION ALL SELECT 'priorite', priorite, '', count(*) FROM v GROUP BY priorite
		UNION ALL SELECT 'type_intervention', type_intervention, '', count(*) FROM v GROUP BY type_intervention
		UNION ALL SELECT 'urgence', urgence::text, '', count(*) FROM v GROUP BY urgence
		UNION ALL SELECT 'en_retard', en_retard::text, '', count(*) FROM v GROUP BY en_retard
		UNION ALL SELECT 'equipement_id', e.id::text, e.nom, count(*) FROM v JOIN equipements e ON e.id = v.equipement_id GROUP BY e.id, e.nom
		UNION ALL SELECT 'technicien_id', t.id::text, trim(u.prenom || ' ' || u.nom), count(*) FROM v
			JOIN techniciens t ON t.id = v.technicien_id JOIN users u ON u.id = t.user_id GROUP BY t.id, u.prenom, u.nom
		ORDER BY 1, 3, 2`, args...)
	if err != nil {
		return nil, FilterRange{}, wrap("intervention filter values", err)
	}
	var rg FilterRange
	err = s.q.GetContext(ctx, &rg, `SELECT min(i.date_creation) AS creation_min, max(i.date_creation) AS creation_max,
		min(i.date_limite) AS limite_min, max(i.date_limite) AS limite_max FROM interventions i WHERE `+cond, args...)
	return out, rg, wrap("intervention filter ranges", err)
}
