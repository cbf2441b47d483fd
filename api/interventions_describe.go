package api

import (
	"context"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
)

// describeIntervention is what a manager reads of a new intervention's workflow in the Temporal
// Web UI (orchestration.DescribeIntervention: summary n° — titre — priorité — équipement — client,
// details in Temporal Markdown). eq is the equipment when the caller has read it (nil: read
// there). A name that cannot be read leaves a shorter summary, never a refused creation.
func (s *Server) describeIntervention(ctx context.Context, numero int64, n domain.NewIntervention, eq *domain.Equipement) orchestration.Description {
	d, err := orchestration.DescribeIntervention(ctx, s.store, s.wf.Interventions.Location(), numero, n, eq)
	if err != nil {
		s.log.Warn("workflow summary incomplete", zap.Int64("intervention_id", numero), zap.Error(err))
	}
	return d
}
