package storage

import (
	"context"

	"github.com/mifmaroc/mif/domain"
)

const equipementColumns = `e.id, e.nom, e.type, e.modele, e.numero_serie, e.localisation, e.date_installation,
	e.frequence_entretien, e.statut, e.derniere_maintenance, e.date_creation, e.updated_at`

// GetEquipement returns one equipment.
func (s *Store) GetEquipement(ctx context.Context, id int64) (domain.Equipement, error) {
	var e domain.Equipement
	err := s.q.GetContext(ctx, &e, `SELECT `+equipementColumns+` FROM equipements e WHERE e.id = $1`, id)
	return e, wrap("get equipement", err)
}
