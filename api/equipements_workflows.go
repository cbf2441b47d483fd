package api

import (
	"context"

	"github.com/mifmaroc/mif/domain"
)

// equipementChanged is called after an equipment is created or updated, so that its preventive
// maintenance workflow follows its frequency (started, re-planned or ended).
// The workflows issue implements it; until then it does nothing.
func (s *Server) equipementChanged(ctx context.Context, eq domain.Equipement) error { return nil }

// equipementRetired is called after an equipment is retired, to end its preventive cycle.
func (s *Server) equipementRetired(ctx context.Context, id int64) error { return nil }
