package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// TestPartsReorderAlertOnceUnderConcurrency: many exits and completions at once take a stock
// line across its reorder threshold: the responsables are notified once (one webhook event),
// not once per movement below it, and the stock never goes below zero; once restocked above the
// threshold, the next fall notifies again, once.
func TestPartsReorderAlertOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	env := f.env
	piece, entrepot, _ := partsSetup(t, f, "SEUIL-9", 8, 30)
	if _, err := env.Store.Q().ExecContext(context.Background(), `INSERT INTO webhook_abonnements (url, evenements, secret_chiffre)
		VALUES ('https://erp.example.com/seuil', ARRAY['stock.below_threshold'], 'x')`); err != nil {
		t.Fatal(err)
	}
	notices := func() int {
		return countRows(t, env, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.destinataire_id
			WHERE u.email = $1 AND n.metadata->>'piece_id' = $2`, apitest.Responsable, apitest.ID(piece))
	}
	events := func() int {
		return countRows(t, env, `SELECT count(*) FROM webhook_evenements WHERE type = 'stock.below_threshold' AND entite_id = $1`, piece)
	}
	f.want(t, http.StatusOK, apitest.Responsable, "PUT", "/api/v1/stocks/seuil", map[string]any{"piece_id": piece, "emplacement_id": entrepot, "seuil_reappro": 10})

	// 24 exits of 1 at once through the API, and 12 completions of 1 at once on the storage:
	// 36 asked of 30, so 30 succeed, the others are refused, and the line falls through 10 once.
	marie := f.technicien(apitest.Technicien)
	const exits, completions = 24, 12
	ids := make([]int64, completions)
	for i := range ids {
		ids[i] = f.intervention(fmt.Sprintf("Seuil %d", i), f.equipement(broyeur), domain.PrioriteNormale,
			map[string]any{"statut": "en_cours", "technicien_id": marie})
	}
	statuses := make([]int, exits)
	errs := make([]error, completions)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/stocks/mouvements", Token: f.tok[apitest.Responsable],
				Body: map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "sortie", "quantite": 1, "motif": "course"}}).Status
		}()
	}
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = env.Store.ApplyTransition(context.Background(), domain.TransitionWrite{
				InterventionID: ids[i], De: domain.StatutEnCours, Vers: domain.StatutTerminee, Action: "cloture", Date: time.Now(),
				EventKey: fmt.Sprintf("test/%d/complete", ids[i]),
				Pieces:   []domain.LignePiece{{PieceID: piece, EmplacementID: &entrepot, Quantite: 1}},
			})
		}()
	}
	wg.Wait()
	done := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			done++
		case http.StatusConflict:
		default:
			t.Fatalf("exit answered %d", s)
		}
	}
	for _, err := range errs {
		var ce *domain.ConflictError
		switch {
		case err == nil:
			done++
		case !errors.As(err, &ce):
			t.Fatalf("completion: %v", err)
		}
	}
	if done != 30 {
		t.Fatalf("%d movements succeeded, want 30", done)
	}
	st := stockOf(t, f, piece, entrepot)
	if st.Quantite != 0 || !st.AlerteActive || !st.SousSeuil {
		t.Fatalf("stock after the race %+v", st)
	}
	if c := countRows(t, env, `SELECT count(*) FROM mouvements_stock WHERE piece_id = $1 AND quantite_apres < 0`, piece); c != 0 {
		t.Fatalf("%d ledger rows below zero", c)
	}
	if n, e := notices(), events(); n != 1 || e != 1 {
		t.Fatalf("%d notices and %d webhook events for one fall, want 1 and 1", n, e)
	}

	// Restocked above the threshold by several deliveries at once: re-armed, nothing sent; the
	// next fall notifies once more.
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/stocks/mouvements", Token: f.tok[apitest.Responsable],
				Body: map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "entree", "quantite": 5}})
		}()
	}
	wg.Wait()
	if st := stockOf(t, f, piece, entrepot); st.Quantite != 20 || st.AlerteActive || notices() != 1 {
		t.Fatalf("restocked: %+v, %d notices", st, notices())
	}
	for range 15 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/stocks/mouvements", Token: f.tok[apitest.Responsable],
				Body: map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "sortie", "quantite": 1, "motif": "course"}})
		}()
	}
	wg.Wait()
	if n, e := notices(), events(); n != 2 || e != 2 {
		t.Fatalf("%d notices and %d webhook events after a second fall, want 2 and 2", n, e)
	}
}
