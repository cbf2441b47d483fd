package activities

import (
	"context"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/temporalerr"
)

// EscalateDemandeInput names the client request whose triage delay ran out.
type EscalateDemandeInput struct {
	DemandeID int64
}

// EscalateDemandeResult says whether the request was escalated now (false: triaged meanwhile, or
// a retried call whose first attempt escalated it).
type EscalateDemandeResult struct {
	Escalated bool
	Demande   domain.Demande
}

// EscalateDemande marks an untriaged request as escalated, once, with its historique entry.
func (a *Activities) EscalateDemande(ctx context.Context, in EscalateDemandeInput) (EscalateDemandeResult, error) {
	d, escalated, err := a.Store.EscalateDemande(ctx, in.DemandeID)
	if err != nil {
		return EscalateDemandeResult{}, temporalerr.Wrap(err)
	}
	return EscalateDemandeResult{Escalated: escalated, Demande: d}, nil
}
