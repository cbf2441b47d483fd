package api

import (
	"context"
	"net/http"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// echeanceEffective is the deadline the SLA clock runs against, besides the stored date_limite
// (often empty: then the contract's or the priority's delay decides).
type echeanceEffective struct {
	Date   *time.Time `json:"date"`
	Source string     `json:"source"` // date_limite, contrat, criticite, priorite
	// EnPause: the clock stopped while the work waits (en_attente); RestantSecondes is then the
	// time it will have once resumed.
	EnPause         bool   `json:"en_pause"`
	RestantSecondes *int64 `json:"restant_secondes"`
	// Origine says who answered: the intervention's workflow (its SLA clock, once the work has
	// waited) or the rule computed from the row (never paused, finished, or no answer in time).
	Origine string `json:"origine"`
}

// deadlineQueryTimeout bounds the workflow query of a detail read: a busy or absent worker must
// not hold the answer, the rule computed from the row stands in.
const deadlineQueryTimeout = time.Second

// getIntervention answers one intervention with its effective deadline.
func (s *Server) getIntervention(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	d, err := s.store.GetInterventionDetail(ctx, principalFrom(ctx), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ech, err := s.effectiveDeadline(ctx, d.Intervention)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		domain.InterventionDetail
		EcheanceEffective echeanceEffective `json:"echeance_effective"`
	}{d, ech})
}

// effectiveDeadline is the SLA clock's deadline. The clock differs from the rule computed from
// the row (domain.Deadline) only once the work has waited (en_attente): only then is the
// intervention's workflow asked, so a detail read costs no round trip through Temporal and a
// worker in most cases. A workflow that cannot answer in time leaves the rule standing.
func (s *Server) effectiveDeadline(ctx context.Context, it domain.Intervention) (echeanceEffective, error) {
	if s.wf != nil && !it.Statut.Final() {
		paused := it.Statut == domain.StatutEnAttente
		if !paused {
			var err error
			if paused, err = s.store.InterventionEverPaused(ctx, it.ID); err != nil {
				return echeanceEffective{}, err
			}
		}
		if paused {
			qctx, cancel := context.WithTimeout(ctx, deadlineQueryTimeout)
			st, err := s.wf.Interventions.State(qctx, it.WorkflowID)
			cancel()
			if err == nil && st.SLA.Source != "" {
				return echeanceEffective{Date: st.SLA.Echeance, Source: st.SLA.Source, EnPause: st.SLA.EnPause,
					RestantSecondes: st.SLA.RestantSecondes, Origine: "workflow"}, nil
			}
		}
	}
	var hours *int
	if it.DateLimite == nil {
		c, err := s.store.SLAForEquipement(ctx, it.EquipementID, it.DateCreation)
		if err != nil {
			return echeanceEffective{}, err
		}
		hours = c.ResolutionHeures
	}
	var capA time.Duration
	if it.DateLimite == nil && hours == nil && s.cfg.SLA.CriticiteA > 0 {
		crit, err := s.store.EquipementCriticite(ctx, it.EquipementID)
		if err != nil {
			return echeanceEffective{}, err
		}
		if crit == domain.CriticiteA {
			capA = s.cfg.SLA.CriticiteA
		}
	}
	date, source := domain.Deadline(it.DateLimite, it.DateCreation, hours, it.Priorite, s.cfg.SLA.ByPriorite(), capA)
	ech := echeanceEffective{Date: &date, Source: source, Origine: "regle"}
	if !it.Statut.Final() {
		left := int64(time.Until(date) / time.Second)
		ech.RestantSecondes = &left
	}
	return ech, nil
}
