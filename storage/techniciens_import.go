package storage

import (
	"context"
	"errors"

	"github.com/mifmaroc/mif/domain"
)

// CompetenceIDByNom finds a competence of the catalogue by name, case-insensitively
// (domain.ErrNotFound when there is none).
func (s *Store) CompetenceIDByNom(ctx context.Context, nom string) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `SELECT id FROM competences WHERE lower(nom) = lower($1) ORDER BY id LIMIT 1`, nom)
	if err = wrap("competence by name", err); errors.Is(err, domain.ErrNotFound) {
		return 0, domain.ErrNotFound
	}
	return id, err
}
