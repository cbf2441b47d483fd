package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// TestStockMovesIdempotencyKey: a manual movement or a transfer sent again with its
// Idempotency-Key replays the first answer and moves the stock once, even when many copies
// arrive at once; the same key with another body is a 422 naming the header; keys are per
// user; a refused request is not remembered.
func TestStockMovesIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	piece, entrepot, van := partsSetup(t, f, "IDEM-1", 4, 100)
	keyed := func(who, path, key string, body any) *apitest.Response {
		t.Helper()
		return f.env.Do(t, apitest.Request{Method: "POST", Path: path, Token: f.tok[who], Body: body,
			Header: map[string]string{"Idempotency-Key": key}})
	}
	ledger := func(typ string) int {
		return countRows(t, f.env, `SELECT count(*) FROM mouvements_stock WHERE piece_id = $1 AND type = $2`, piece, typ)
	}
	sortie := map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "sortie", "quantite": 3, "motif": "casse"}

	t.Run("replay, other body, other user", func(t *testing.T) {
		first := keyed(apitest.Responsable, "/api/v1/stocks/mouvements", "sortie-1", sortie)
		if first.Status != http.StatusCreated || first.Header.Get("Idempotency-Replayed") != "" {
			t.Fatalf("first: %d %v %s", first.Status, first.Header, first.Body)
		}
		// The same request, its keys in another order and with other spacing: the same answer.
		again := keyed(apitest.Responsable, "/api/v1/stocks/mouvements", "sortie-1",
			[]byte(fmt.Sprintf(`{ "motif": "casse", "quantite": 3, "type": "sortie", "emplacement_id": %d, "piece_id": %d }`, entrepot, piece)))
		if again.Status != http.StatusCreated || again.Header.Get("Idempotency-Replayed") != "true" || !bytes.Equal(again.Body, first.Body) {
			t.Fatalf("replay: %d %v\n%s\nfirst:\n%s", again.Status, again.Header, again.Body, first.Body)
		}
		if st := stockOf(t, f, piece, entrepot); st.Quantite != 97 || ledger("sortie") != 1 {
			t.Fatalf("moved twice: %+v, %d exits", st, ledger("sortie"))
		}
		other := map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "sortie", "quantite": 4, "motif": "casse"}
		res := keyed(apitest.Responsable, "/api/v1/stocks/mouvements", "sortie-1", other)
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("other body: %d %s", res.Status, res.Body)
		}
		if p := res.Problem(t); p.Code != "validation_failed" || len(p.Errors) != 1 || p.Errors[0].Field != "Idempotency-Key" {
			t.Fatalf("other body: %+v", p)
		}
		// The same key on the other operation is another request too.
		res = keyed(apitest.Responsable, "/api/v1/stocks/transferts", "sortie-1",
			map[string]any{"piece_id": piece, "de_emplacement_id": entrepot, "vers_emplacement_id": van, "quantite": 3})
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("key of a movement on a transfer: %d %s", res.Status, res.Body)
		}
		// Keys belong to their user: the administrator's "sortie-1" is his own request.
		if res := keyed(apitest.Admin, "/api/v1/stocks/mouvements", "sortie-1", sortie); res.Status != http.StatusCreated ||
			res.Header.Get("Idempotency-Replayed") != "" {
			t.Fatalf("another user's key: %d %s", res.Status, res.Body)
		}
		if st := stockOf(t, f, piece, entrepot); st.Quantite != 94 || ledger("sortie") != 2 {
			t.Fatalf("after the administrator's exit: %+v", st)
		}
		if n := countRows(t, f.env, `SELECT count(*) FROM idempotence_requetes WHERE cle = 'sortie-1'
			AND expire_le BETWEEN now() + interval '23 hours' AND now() + interval '25 hours'`); n != 2 {
			t.Fatalf("%d keys kept for 24 h, want one per user", n)
		}
	})

	t.Run("a refused request is not remembered", func(t *testing.T) {
		big := map[string]any{"piece_id": piece, "emplacement_id": van, "type": "sortie", "quantite": 5, "motif": "casse"}
		if res := keyed(apitest.Responsable, "/api/v1/stocks/mouvements", "vide-1", big); res.Status != http.StatusConflict {
			t.Fatalf("exit from an empty van: %d %s", res.Status, res.Body)
		}
		f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/transferts",
			map[string]any{"piece_id": piece, "de_emplacement_id": entrepot, "vers_emplacement_id": van, "quantite": 5})
		if res := keyed(apitest.Responsable, "/api/v1/stocks/mouvements", "vide-1", big); res.Status != http.StatusCreated {
			t.Fatalf("the same key once the van is loaded: %d %s", res.Status, res.Body)
		}
		if st := stockOf(t, f, piece, van); st.Quantite != 0 {
			t.Fatalf("van: %+v", st)
		}
	})

	t.Run("many identical requests at once move the stock once", func(t *testing.T) {
		before := stockOf(t, f, piece, entrepot).Quantite
		body := map[string]any{"piece_id": piece, "de_emplacement_id": entrepot, "vers_emplacement_id": van, "quantite": 2,
			"motif": "chargement"}
		const n = 16
		res := make([]*apitest.Response, n)
		var wg sync.WaitGroup
		for i := range res {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i] = keyed(apitest.Technicien, "/api/v1/stocks/transferts", "charge-1", body)
			}()
		}
		wg.Wait()
		replays := 0
		var groupe string
		for i, r := range res {
			if r.Status != http.StatusCreated || !bytes.Equal(r.Body, res[0].Body) {
				t.Fatalf("answer %d: %d %s (first %s)", i, r.Status, r.Body, res[0].Body)
			}
			if r.Header.Get("Idempotency-Replayed") == "true" {
				replays++
			}
		}
		var tr domain.Transfert
		res[0].JSON(t, &tr)
		groupe = tr.Groupe
		if replays != n-1 {
			t.Fatalf("%d replays, want %d", replays, n-1)
		}
		if st := stockOf(t, f, piece, entrepot); st.Quantite != before-2 {
			t.Fatalf("warehouse %v, want %v", st.Quantite, before-2)
		}
		if st := stockOf(t, f, piece, van); st.Quantite != 2 {
			t.Fatalf("van %+v, want 2", st)
		}
		if c := countRows(t, f.env, `SELECT count(*) FROM mouvements_stock WHERE groupe = $1`, groupe); c != 2 {
			t.Fatalf("%d ledger rows for the transfer, want 2", c)
		}
		if c := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'piece' AND entite_id = $1 AND action = 'transfert'
			AND changements->>'groupe' = $2`, piece, groupe); c != 1 {
			t.Fatalf("%d historique rows for the transfer, want 1", c)
		}
	})

	t.Run("an expired key is served again", func(t *testing.T) {
		entree := map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "entree", "quantite": 1}
		f.env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/stocks/mouvements", Token: f.tok[apitest.Responsable], Body: entree,
			Header: map[string]string{"Idempotency-Key": "vieille"}})
		if _, err := f.env.Store.Q().ExecContext(t.Context(), `UPDATE idempotence_requetes SET expire_le = now() - interval '1 second'
			WHERE cle = 'vieille'`); err != nil {
			t.Fatal(err)
		}
		before := stockOf(t, f, piece, entrepot).Quantite
		res := keyed(apitest.Responsable, "/api/v1/stocks/mouvements", "vieille", map[string]any{"piece_id": piece, "emplacement_id": entrepot,
			"type": "entree", "quantite": 5})
		if res.Status != http.StatusCreated || res.Header.Get("Idempotency-Replayed") != "" {
			t.Fatalf("expired key: %d %s", res.Status, res.Body)
		}
		if st := stockOf(t, f, piece, entrepot); st.Quantite != before+5 {
			t.Fatalf("warehouse %v, want %v", st.Quantite, before+5)
		}
	})
}
