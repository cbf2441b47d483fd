package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/workflows"
)

// idempotencyNamespace scopes the UUIDs derived from Idempotency-Key headers.
var idempotencyNamespace = uuid.MustParse("6f1c1a52-8d53-4d1e-9f3e-2a7a4e0c9b11")

// idempotencyKey is the stable UUID a request's Idempotency-Key header stands for, scoped to the
// caller and to what the key is for (scope: "" for a creation, the action for a transition), so
// that a retried request reaches the same workflow or applies the same update once; a random one
// when the request sends no key.
// checkIdempotencyKey refuses a key longer than 255 bytes or holding an unprintable character.
func checkIdempotencyKey(k string) error {
	if len(k) > 255 || strings.IndexFunc(k, func(c rune) bool { return !unicode.IsPrint(c) }) >= 0 {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "Idempotency-Key", Message: "1 à 255 caractères imprimables"}}}
	}
	return nil
}

func idempotencyKey(r *http.Request, p domain.Principal, scope string) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return uuid.NewString(), nil
	}
	if err := checkIdempotencyKey(k); err != nil {
		return "", err
	}
	name := strconv.FormatInt(p.UserID, 10) + ":" + k
	if scope != "" {
		name = scope + ":" + name
	}
	return uuid.NewSHA1(idempotencyNamespace, []byte(name)).String(), nil
}

// createInterventionRequest is the seed's create payload; the creator comes from the token.
type createInterventionRequest struct {
	Titre            string                  `json:"titre"`
	Description      string                  `json:"description"`
	TypeIntervention domain.TypeIntervention `json:"type_intervention"`
	Priorite         domain.Priorite         `json:"priorite"`
	Urgence          bool                    `json:"urgence"`
	DateLimite       *time.Time              `json:"date_limite"`
	EquipementID     int64                   `json:"equipement_id"`
	CreateurID       *int64                  `json:"-"`
}

// createIntervention writes the intervention and its outbox entry in one transaction, then starts
// its workflow (without waiting for a worker: the row is already the answer). When Temporal cannot
// be reached the create still stands: 202 with Location, the intervention readable with
// workflow_en_attente, and the worker's outbox relay starts the workflow once Temporal is back.
// The same Idempotency-Key reaches the same row and the same workflow whichever way it went.
func (s *Server) createIntervention(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var req createInterventionRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	n := domain.NewIntervention(req)
	// Without a priority, the equipment's criticality gives it (A haute, B normale, C basse).
	prioriteOmise := n.Priorite == ""
	n.Normalize()
	if err := n.Validate(time.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	eq, err := s.store.GetEquipement(r.Context(), n.EquipementID)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_id", Message: "équipement introuvable"}}})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case eq.Statut == domain.EquipementRetire:
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_id", Message: "équipement retiré du service"}}})
		return
	}
	if prioriteOmise {
		n.Priorite = eq.Criticite.PrioriteParDefaut()
	}
	n.CreateurID = &p.UserID
	key, err := idempotencyKey(r, p, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	row, started, err := s.openIntervention(r, key, n, func(numero int64) orchestration.Description {
		return s.describeIntervention(r.Context(), numero, n, &eq)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if !started {
		status = http.StatusAccepted
	}
	detail, err := s.store.GetInterventionDetail(r.Context(), p, row.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/interventions/"+strconv.FormatInt(row.ID, 10))
	if status == http.StatusAccepted {
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	writeJSON(w, status, detail)
}

// openIntervention is the creation path of every API caller (creation, an accepted client
// request, a checklist's follow-up): the row, its historique and its outbox entry in one
// transaction, then the workflow started under the key's ID. started is false when Temporal did
// not take it: the outbox relay starts it later.
//
// describe writes what a manager reads of the workflow in the Temporal Web UI from the
// intervention's number (known once the row is written); nil describes it from the rows.
func (s *Server) openIntervention(r *http.Request, key string, n domain.NewIntervention, describe func(numero int64) orchestration.Description) (row domain.Intervention, started bool, err error) {
	wfID := workflows.InterventionWorkflowID(key)
	row, _, err = s.store.InsertInterventionPending(r.Context(), wfID, n)
	if err != nil {
		return row, false, err
	}
	if describe == nil {
		describe = func(numero int64) orchestration.Description {
			return s.describeIntervention(r.Context(), numero, n, nil)
		}
	}
	desc := []orchestration.Description{describe(row.ID)}
	if err := s.wf.Interventions.Start(r.Context(), wfID, row.ID, n, desc...); err != nil {
		s.log.Warn("intervention workflow not started; the outbox relay will start it", zap.String("request_id", requestIDFrom(r.Context())),
			zap.Int64("intervention_id", row.ID), zap.Error(err))
		return row, false, nil
	}
	if err := s.store.InterventionStarted(r.Context(), wfID); err != nil {
		// The relay deletes it too (starting again is harmless).
		s.log.Warn("outbox entry of a started workflow not deleted", zap.Int64("intervention_id", row.ID), zap.Error(err))
	}
	return row, true, nil
}
