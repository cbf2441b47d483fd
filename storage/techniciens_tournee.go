package storage

import (
	"context"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// loadTechnicienHoraires fills the effective weekly hours of every technicien (the view
// technicien_horaires_effectifs: his own timetable, or Monday to Friday from heure_debut to
// heure_fin).
func (s *Store) loadTechnicienHoraires(ctx context.Context, ts []domain.Technicien) error {
	ids := make([]int64, len(ts))
	byID := make(map[int64]int, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
		byID[ts[i].ID] = i
		ts[i].Horaires = []domain.Creneau{}
		ts[i].HorairesDefaut = true
	}
	var rows []struct {
		creneauRow
		Explicite bool `db:"explicite"`
	}
	err := s.q.SelectContext(ctx, &rows, `SELECT h.technicien_id AS owner_id, `+creneauColumns+`,
			EXISTS (SELECT 1 FROM technicien_horaires x WHERE x.technicien_id = h.technicien_id) AS explicite
		FROM technicien_horaires_effectifs h WHERE h.technicien_id = ANY($1) ORDER BY h.technicien_id, h.jour, h.debut`, pq.Array(ids))
	if err != nil {
		return wrap("load technicien horaires", err)
	}
	for _, r := range rows {
		i := byID[r.OwnerID]
		ts[i].Horaires = append(ts[i].Horaires, r.creneau())
		ts[i].HorairesDefaut = !r.Explicite
	}
	return nil
}

// applyTechnicienTournee writes the base, the tools and the timetable given in in (run it in
// the transaction of the profile's change).
func (s *Store) applyTechnicienTournee(ctx context.Context, id int64, in domain.TechnicienTournee) error {
	var outils any
	if in.Outils != nil {
		outils = pq.Array(*in.Outils)
	}
	_, err := s.q.ExecContext(ctx, `UPDATE techniciens SET base_latitude = COALESCE($2, base_latitude),
			base_longitude = COALESCE($3, base_longitude), outils = COALESCE($4::text[], outils), updated_at = now()
		WHERE id = $1`, id, in.BaseLatitude, in.BaseLongitude, outils)
	if err != nil {
		return wrap("update technicien tournee", err)
	}
	if in.Horaires != nil {
		return s.replaceCreneaux(ctx, "technicien_horaires", "technicien_id", id, *in.Horaires)
	}
	return nil
}
