package api

import (
	"context"
	"net/http"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
)

// Preventive plans by calendar, usage or whichever comes first (issue 14): GET shows the plan
// with its counters and forecast, PUT replaces it and tells the equipment's preventive cycle.

func (s *Server) putPlanPreventif(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := decodeInput[domain.PlanPreventifInput](r, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	plan, err := s.store.SetPlanPreventif(r.Context(), id, in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The row is committed and is the source of truth: a failure here is logged (the cycle re-reads
	// the plan at its next wake-up, and start-up's Ensure starts a missing one).
	if err := s.wf.Preventive.PlanChanged(r.Context(), id, plan.Actif); err != nil {
		s.log.Error("preventive cycle not updated", zap.Int64("equipement_id", id), zap.Error(err))
	}
	writeJSON(w, http.StatusOK, plan)
}

// relevesRecorded tells the preventive cycle following the meter, if any, that readings were
// recorded. The readings are committed: a failure is logged, the next reading signals again.
func (s *Server) relevesRecorded(ctx context.Context, compteurID int64, res []domain.ResultatReleve) {
	recorded := false
	for _, r := range res {
		recorded = recorded || r.Statut == domain.ReleveEnregistre
	}
	if !recorded {
		return
	}
	eq, ok, err := s.store.UsagePlanOfCompteur(ctx, compteurID)
	if err == nil && ok {
		err = s.wf.Preventive.RelevesRecorded(ctx, eq, compteurID)
	}
	if err != nil {
		s.log.Error("preventive cycle not told of the readings", zap.Int64("compteur_id", compteurID), zap.Error(err))
	}
}
