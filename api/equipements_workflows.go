package api

import (
	"context"

	"github.com/mifmaroc/mif/domain"
)

// equipementChanged is called after an equipment is created or updated, so that its preventive
// maintenance workflow follows its frequency: started with signal-with-start (or told to re-plan
// when it runs), or told that the frequency is gone.
func (s *Server) equipementChanged(ctx context.Context, eq domain.Equipement) error {
	return s.wf.Preventive.Changed(ctx, eq)
}

// equipementRetired is called after an equipment is retired, to end its preventive cycle.
func (s *Server) equipementRetired(ctx context.Context, id int64) error {
	return s.wf.Preventive.Retired(ctx, id)
}
