package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// partsSetup creates a part, the central warehouse and Marie's van, and puts qty of the part in
// the warehouse.
func partsSetup(t *testing.T, f *fixtures, ref string, cout float64, qty float64) (piece, entrepot, van int64) {
	t.Helper()
	var p domain.Piece
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/pieces",
		map[string]any{"reference": ref, "designation": "Pièce " + ref, "cout_unitaire": cout}).JSON(t, &p)
	var l domain.Emplacement
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/emplacements",
		map[string]any{"nom": "Magasin " + ref, "type": "entrepot"}).JSON(t, &l)
	entrepot = l.ID
	marie := f.technicien(apitest.Technicien)
	if n := countRows(t, f.env, `SELECT count(*) FROM emplacements WHERE technicien_id = $1`, marie); n == 0 {
		f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/emplacements",
			map[string]any{"nom": "Fourgon de Marie", "type": "vehicule", "technicien_id": marie}).JSON(t, &l)
	}
	van = f.id(`SELECT id FROM emplacements WHERE technicien_id = $1`, marie)
	if qty > 0 {
		f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/mouvements",
			map[string]any{"piece_id": p.ID, "emplacement_id": entrepot, "type": "entree", "quantite": qty, "motif": "livraison"})
	}
	return p.ID, entrepot, van
}

func stockOf(t *testing.T, f *fixtures, piece, place int64) domain.Stock {
	t.Helper()
	var st []domain.Stock
	f.want(t, http.StatusOK, apitest.Responsable, "GET", fmt.Sprintf("/api/v1/stocks?piece_id=%d&emplacement_id=%d", piece, place), nil).JSON(t, &st)
	if len(st) != 1 {
		t.Fatalf("stock of %d at %d: %d lines", piece, place, len(st))
	}
	return st[0]
}

func TestPartsCatalogueStockAndTransfers(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	piece, entrepot, van := partsSetup(t, f, "JT-45", 12.5, 20)
	path := "/api/v1/pieces/" + apitest.ID(piece)

	t.Run("catalogue with its historique", func(t *testing.T) {
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/pieces", map[string]any{"reference": "jt-45", "designation": "Doublon"})
		var p domain.Piece
		f.want(t, http.StatusOK, apitest.Responsable, "PUT", path, map[string]any{"cout_unitaire": 13.9}).JSON(t, &p)
		if p.CoutUnitaire != 13.9 || p.Unite != "pièce" || p.QuantiteTotale != 20 {
			t.Fatalf("piece %+v", p)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Technicien, "GET", "/api/v1/pieces?q=jt-4", nil)); n != 1 {
			t.Fatalf("search: %d", n)
		}
		f.want(t, http.StatusConflict, apitest.Responsable, "DELETE", path, nil)
		var spare domain.Piece
		f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/pieces", map[string]any{"reference": "X-1", "designation": "Jamais utilisée"}).JSON(t, &spare)
		f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", "/api/v1/pieces/"+apitest.ID(spare.ID), nil)
		f.want(t, http.StatusNotFound, apitest.Responsable, "GET", "/api/v1/pieces/"+apitest.ID(spare.ID), nil)
		var actions []string
		for _, id := range []int64{piece, spare.ID} {
			rows, err := f.env.Store.ListHistorique(t.Context(), "piece", id)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range rows {
				actions = append(actions, h.Action)
			}
		}
		if !slices.Equal(actions, []string{"creation", "stock_entree", "modification", "creation", "suppression"}) {
			t.Fatalf("historique %v", actions)
		}
	})

	t.Run("bad input names its field", func(t *testing.T) {
		f.want422(t, "designation", apitest.Responsable, "POST", "/api/v1/pieces", map[string]any{"reference": "Y-1"})
		f.want422(t, "cout_unitaire", apitest.Responsable, "POST", "/api/v1/pieces", map[string]any{"reference": "Y-1", "designation": "Y", "cout_unitaire": -1})
		f.want422(t, "cout_unitaire", apitest.Responsable, "POST", "/api/v1/pieces", map[string]any{"reference": "Y-1", "designation": "Y", "cout_unitaire": 1.005})
		f.want422(t, "technicien_id", apitest.Responsable, "POST", "/api/v1/emplacements", map[string]any{"nom": "Fourgon ?", "type": "vehicule"})
		f.want422(t, "technicien_id", apitest.Responsable, "POST", "/api/v1/emplacements", map[string]any{"nom": "Fourgon ?", "type": "vehicule", "technicien_id": 987654})
		f.want422(t, "type", apitest.Responsable, "POST", "/api/v1/emplacements", map[string]any{"nom": "Cave", "type": "cave"})
		f.want422(t, "quantite", apitest.Responsable, "POST", "/api/v1/stocks/mouvements", map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "entree", "quantite": 0})
		f.want422(t, "quantite", apitest.Responsable, "POST", "/api/v1/stocks/mouvements", map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "entree", "quantite": 1.0001})
		f.want422(t, "motif", apitest.Responsable, "POST", "/api/v1/stocks/mouvements", map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "sortie", "quantite": 1})
		f.want422(t, "type", apitest.Responsable, "POST", "/api/v1/stocks/mouvements", map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "consommation", "quantite": 1})
		f.want422(t, "emplacement_id", apitest.Responsable, "POST", "/api/v1/stocks/mouvements", map[string]any{"piece_id": piece, "emplacement_id": 987654, "type": "entree", "quantite": 1})
		f.want422(t, "vers_emplacement_id", apitest.Responsable, "POST", "/api/v1/stocks/transferts", map[string]any{"piece_id": piece, "de_emplacement_id": van, "vers_emplacement_id": van, "quantite": 1})
		f.want422(t, "sous_seuil", apitest.Responsable, "GET", "/api/v1/stocks?sous_seuil=peut-etre", nil)
	})

	t.Run("never below zero, transfers, ledger", func(t *testing.T) {
		res := f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/stocks/mouvements",
			map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "sortie", "quantite": 21, "motif": "casse"})
		if p := res.Problem(t); !bytes.Contains([]byte(p.Detail), []byte("20 pièce disponible")) {
			t.Fatalf("refusal: %s", p.Detail)
		}
		// The technicien loads his van; a transfer from an empty place is refused.
		var tr domain.Transfert
		f.want(t, http.StatusCreated, apitest.Technicien, "POST", "/api/v1/stocks/transferts",
			map[string]any{"piece_id": piece, "de_emplacement_id": entrepot, "vers_emplacement_id": van, "quantite": 6}).JSON(t, &tr)
		if tr.Sortie.Quantite != -6 || tr.Sortie.QuantiteApres != 14 || tr.Entree.Quantite != 6 || tr.Entree.QuantiteApres != 6 || tr.Groupe == "" ||
			tr.Sortie.Groupe == nil || *tr.Sortie.Groupe != tr.Groupe {
			t.Fatalf("transfer %+v", tr)
		}
		f.want(t, http.StatusConflict, apitest.Technicien, "POST", "/api/v1/stocks/transferts",
			map[string]any{"piece_id": piece, "de_emplacement_id": van, "vers_emplacement_id": entrepot, "quantite": 6.5})
		// An inventory sets the counted quantity.
		var m domain.Mouvement
		f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/mouvements",
			map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "ajustement", "quantite": 13, "motif": "inventaire"}).JSON(t, &m)
		if m.Quantite != -1 || m.QuantiteApres != 13 {
			t.Fatalf("adjustment %+v", m)
		}
		var vanStock []domain.Stock
		f.want(t, http.StatusOK, apitest.Technicien, "GET", "/api/v1/stocks?technicien_id="+apitest.ID(f.technicien(apitest.Technicien)), nil).JSON(t, &vanStock)
		if len(vanStock) != 1 || vanStock[0].Quantite != 6 || vanStock[0].EmplacementType != domain.EmplacementVehicule {
			t.Fatalf("van %+v", vanStock)
		}
		var ledger []domain.Mouvement
		res = f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/stocks/mouvements?piece_id="+apitest.ID(piece), nil)
		res.JSON(t, &ledger)
		var types []domain.TypeMouvement
		for _, l := range ledger {
			types = append(types, l.Type)
		}
		if !slices.Equal(types, []domain.TypeMouvement{"ajustement", "transfert_entree", "transfert_sortie", "entree"}) {
			t.Fatalf("ledger %v", types)
		}
		if n := countRows(t, f.env, `SELECT count(*) FROM stocks WHERE quantite < 0`); n != 0 {
			t.Fatal("negative stock")
		}
	})

	t.Run("reorder threshold notifies once until restocked", func(t *testing.T) {
		notices := func() int {
			return countRows(t, f.env, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.destinataire_id
				WHERE u.email = $1 AND n.metadata->>'piece_id' = $2`, apitest.Responsable, apitest.ID(piece))
		}
		// A webhook subscription to the event: one event per fall, like the notices.
		if _, err := f.env.Store.Q().ExecContext(context.Background(), `INSERT INTO webhook_abonnements (url, evenements, secret_chiffre)
			VALUES ('https://erp.example.com/hook', ARRAY['stock.below_threshold'], 'x')`); err != nil {
			t.Fatal(err)
		}
		events := func() int {
			return countRows(t, f.env, `SELECT count(*) FROM webhook_evenements WHERE type = 'stock.below_threshold' AND entite_id = $1`, piece)
		}
		var st domain.Stock
		f.want(t, http.StatusOK, apitest.Responsable, "PUT", "/api/v1/stocks/seuil", map[string]any{"piece_id": piece, "emplacement_id": entrepot, "seuil_reappro": 10}).JSON(t, &st)
		if st.SousSeuil || st.AlerteActive || *st.SeuilReappro != 10 || notices() != 0 {
			t.Fatalf("above the threshold: %+v, %d notices", st, notices())
		}
		out := func(q float64) {
			f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/mouvements",
				map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "sortie", "quantite": q, "motif": "usure"})
		}
		out(3) // 10: at the threshold
		out(1) // 9
		out(1) // 8
		if n, e := notices(), events(); n != 1 || e != 1 {
			t.Fatalf("%d notices and %d webhook events, want one until restocked", n, e)
		}
		if st = stockOf(t, f, piece, entrepot); !st.SousSeuil || !st.AlerteActive {
			t.Fatalf("below: %+v", st)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/stocks?sous_seuil=true&piece_id="+apitest.ID(piece), nil)); n != 1 {
			t.Fatalf("sous_seuil lists %d", n)
		}
		f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/mouvements",
			map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "entree", "quantite": 12})
		if st = stockOf(t, f, piece, entrepot); st.SousSeuil || st.AlerteActive || st.Quantite != 20 {
			t.Fatalf("restocked: %+v", st)
		}
		out(11)
		if n, e := notices(), events(); n != 2 || e != 2 {
			t.Fatalf("%d notices and %d webhook events after a second fall, want 2", n, e)
		}
	})

	t.Run("who may do what", func(t *testing.T) {
		f.want(t, http.StatusForbidden, apitest.Technicien, "POST", "/api/v1/pieces", map[string]any{"reference": "T-1", "designation": "T"})
		f.want(t, http.StatusForbidden, apitest.Technicien, "POST", "/api/v1/stocks/mouvements",
			map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "entree", "quantite": 1})
		f.want(t, http.StatusForbidden, apitest.Client, "GET", "/api/v1/stocks", nil)
		f.want(t, http.StatusForbidden, apitest.Client, "GET", "/api/v1/pieces", nil)
		f.want(t, http.StatusOK, apitest.Technicien, "GET", "/api/v1/emplacements?type=vehicule", nil)
	})
}

// TestPartsReservedAndConsumedByCompletion drives real interventions through their workflows:
// a reservation, a completion consuming parts (its reservation first, the rest released), the
// costs on the report, and a completion the stock cannot serve refused as a whole.
func TestPartsReservedAndConsumedByCompletion(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	env := f.env
	piece, entrepot, van := partsSetup(t, f, "FH-10", 45.2, 10)
	other, _, _ := partsSetup(t, f, "CR-2", 3, 0)
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/transferts",
		map[string]any{"piece_id": piece, "de_emplacement_id": entrepot, "vers_emplacement_id": van, "quantite": 4})
	marie := f.technicien(apitest.Technicien)
	in := createOpen(t, env, "Filtre hydraulique", f.equipement(presse))
	base := "/api/v1/interventions/" + apitest.ID(in.ID)
	when := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)
	step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": marie, "date_planifiee": when, "duree_estimee": 60}, http.StatusOK)

	var r domain.Reservation
	f.want(t, http.StatusCreated, apitest.Technicien, "POST", base+"/reservations", map[string]any{"piece_id": piece, "emplacement_id": van, "quantite": 3}).JSON(t, &r)
	f.want(t, http.StatusCreated, apitest.Technicien, "POST", base+"/reservations", map[string]any{"piece_id": piece, "emplacement_id": entrepot, "quantite": 2})
	if st := stockOf(t, f, piece, van); st.QuantiteReservee != 3 || st.Disponible != 1 {
		t.Fatalf("van after reservation: %+v", st)
	}
	// Beyond what is available.
	f.want(t, http.StatusConflict, apitest.Technicien, "POST", base+"/reservations", map[string]any{"piece_id": piece, "emplacement_id": van, "quantite": 2})
	f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/stocks/mouvements",
		map[string]any{"piece_id": piece, "emplacement_id": van, "type": "sortie", "quantite": 2, "motif": "perte"})
	if n := total(t, f.want(t, http.StatusOK, apitest.Technicien, "GET", base+"/reservations", nil)); n != 2 {
		t.Fatalf("%d reservations", n)
	}
	f.want(t, http.StatusNotFound, apitest.Client2, "GET", base+"/pieces", nil)
	// The route planning reads Marie's van and the parts reserved in it (not the warehouse's).
	techs, its, err := env.Store.LoadRoutingInput(t.Context(), time.Now(), time.Now().Add(7*24*time.Hour), nil, 60, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tech := range techs {
		if want := map[string]int{"fh-10": 4}; tech.ID == marie && !maps.Equal(tech.Stock, want) {
			t.Fatalf("Marie's van for the planner: %v", tech.Stock)
		}
	}
	for _, it := range its {
		if want := map[string]int{"fh-10": 3}; it.ID == in.ID && !maps.Equal(it.Pieces, want) {
			t.Fatalf("parts the planner binds to the intervention: %v", it.Pieces)
		}
	}

	step(t, env, apitest.Technicien, "POST", base+"/start", nil, http.StatusOK)
	// More than the van holds: the whole completion is refused and nothing moves.
	step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Filtre changé",
		"pieces_utilisees": []map[string]any{{"piece_id": piece, "quantite": 5}}}, http.StatusConflict)
	step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Filtre changé",
		"pieces_utilisees": []map[string]any{{"piece_id": 987654, "quantite": 1}}}, http.StatusUnprocessableEntity)
	step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Filtre changé",
		"pieces_utilisees": []map[string]any{{"piece_id": piece, "nom": "Filtre", "quantite": 1}}}, http.StatusUnprocessableEntity)
	if st := stockOf(t, f, piece, van); st.Quantite != 4 || st.QuantiteReservee != 3 {
		t.Fatalf("a refused completion moved the stock: %+v", st)
	}
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/mouvements",
		map[string]any{"piece_id": other, "emplacement_id": van, "type": "entree", "quantite": 5})
	d := step(t, env, apitest.Technicien, "POST", base+"/complete", map[string]any{"rapport": "Filtre changé", "temps_passe": 45,
		"pieces_utilisees": []map[string]any{
			{"piece_id": piece, "quantite": 2},                          // the van by default, from its reservation of 3
			{"piece_id": other, "emplacement_id": van, "quantite": 1.5}, // no reservation
			{"piece_id": piece, "emplacement_id": van, "quantite": 2},   // same line again: 4 in all
			{"nom": "Chiffons", "quantite": 3}}}, http.StatusOK)
	if d.Statut != domain.StatutTerminee {
		t.Fatalf("completed: %+v", d)
	}
	if st := stockOf(t, f, piece, van); st.Quantite != 0 || st.QuantiteReservee != 0 {
		t.Fatalf("van after completion: %+v", st)
	}
	// The warehouse reservation was not used: given back.
	if st := stockOf(t, f, piece, entrepot); st.Quantite != 6 || st.QuantiteReservee != 0 {
		t.Fatalf("warehouse after completion: %+v", st)
	}
	var rs []domain.Reservation
	f.want(t, http.StatusOK, apitest.Responsable, "GET", base+"/reservations", nil).JSON(t, &rs)
	if len(rs) != 2 || rs[0].Statut != domain.ReservationConsommee || rs[1].Statut != domain.ReservationLiberee {
		t.Fatalf("reservations %+v", rs)
	}
	var lines []domain.Consommation
	f.want(t, http.StatusOK, apitest.Client, "GET", base+"/pieces", nil).JSON(t, &lines)
	if len(lines) != 2 || lines[0].Reference != "CR-2" || lines[0].Quantite != 1.5 || lines[0].CoutTotal != 4.5 ||
		lines[1].Reference != "FH-10" || lines[1].Quantite != 4 || lines[1].CoutUnitaire != 45.2 || lines[1].CoutTotal != 180.8 {
		t.Fatalf("consumed %+v", lines)
	}
	if n := countRows(t, env, `SELECT count(*) FROM mouvements_stock WHERE intervention_id = $1 AND type = 'consommation'`, in.ID); n != 2 {
		t.Fatalf("%d consumption movements", n)
	}
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1
		AND action = 'cloture' AND changements ? 'pieces'`, in.ID); n != 1 {
		t.Fatalf("the completion's historique lacks its parts (%d)", n)
	}
	// The report shows the parts table with costs.
	data, _, err := env.Store.InterventionReportData(t.Context(), domain.Principal{Role: domain.RoleAdmin}, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(data.Pieces) != 2 || data.Pieces[1].CoutTotal != 180.8 || data.Pieces[1].Emplacement != "Fourgon de Marie" {
		t.Fatalf("report parts %+v", data.Pieces)
	}
	res := f.want(t, http.StatusOK, apitest.Client, "GET", base+"/rapport.pdf", nil)
	text := pdfText(t, res.Body)
	for _, want := range []string{"Pièces consommées", "FH-10", "Fourgon de Marie", "4 pièce", "45,20 MAD", "180,80 MAD", "Total pièces", "185,30 MAD"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the report lacks %q:\n%s", want, text)
		}
	}
	f.want(t, http.StatusConflict, apitest.Technicien, "POST", base+"/reservations", map[string]any{"piece_id": other, "emplacement_id": van, "quantite": 1})

	// A cancelled intervention gives its reservations back.
	in2 := createOpen(t, env, "Contrôle annulé", f.equipement(presse))
	base2 := "/api/v1/interventions/" + apitest.ID(in2.ID)
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", base2+"/reservations", map[string]any{"piece_id": piece, "emplacement_id": entrepot, "quantite": 5})
	step(t, env, apitest.Responsable, "POST", base2+"/cancel", map[string]any{"motif": "doublon"}, http.StatusOK)
	if st := stockOf(t, f, piece, entrepot); st.QuantiteReservee != 0 || st.Quantite != 6 {
		t.Fatalf("after cancellation: %+v", st)
	}
}

// TestPartsConcurrentCompletionsNeverGoBelowZero completes many interventions at once through
// their workflows, all taking the same part from the same van, and then races many more
// completion writes directly on the storage: exactly as many succeed as the stock allows, the
// others are refused (409), and the stock ends at zero, never below, with one ledger row per
// success.
func TestPartsConcurrentCompletionsNeverGoBelowZero(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	env := f.env
	piece, entrepot, van := partsSetup(t, f, "RL-6204", 30, 50)
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/transferts",
		map[string]any{"piece_id": piece, "de_emplacement_id": entrepot, "vers_emplacement_id": van, "quantite": 7})
	marie := f.technicien(apitest.Technicien)
	const n = 8 // each takes 2 of 7: three succeed
	bases := make([]string, n)
	for i := range bases {
		in := createOpen(t, env, fmt.Sprintf("Roulement %d", i), f.equipement(presse))
		bases[i] = "/api/v1/interventions/" + apitest.ID(in.ID)
		when := time.Now().Add(time.Duration(24+i) * time.Hour).UTC().Truncate(time.Minute)
		step(t, env, apitest.Responsable, "PUT", bases[i]+"/assign", map[string]any{"technicien_id": marie, "date_planifiee": when, "duree_estimee": 30}, http.StatusOK)
		step(t, env, apitest.Technicien, "POST", bases[i]+"/start", nil, http.StatusOK)
	}
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range bases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := env.Do(t, apitest.Request{Method: "POST", Path: bases[i] + "/complete", Token: f.tok[apitest.Technicien],
				Body: map[string]any{"rapport": "Roulement changé", "pieces_utilisees": []map[string]any{{"piece_id": piece, "quantite": 2}}}})
			statuses[i] = res.Status
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			refused++
		}
	}
	if ok != 3 || refused != n-3 {
		t.Fatalf("statuses %v: want 3 × 200 and %d × 409", statuses, n-3)
	}
	if st := stockOf(t, f, piece, van); st.Quantite != 1 {
		t.Fatalf("van: %+v, want 1 left", st)
	}

	// Many more at once on the storage itself: 40 completions of 1 each race for the 43 left in
	// the warehouse … minus 10 taken first, so 33 succeed.
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/stocks/mouvements",
		map[string]any{"piece_id": piece, "emplacement_id": entrepot, "type": "sortie", "quantite": 10, "motif": "test"})
	const m = 40
	ids := make([]int64, m)
	for i := range ids {
		ids[i] = f.intervention(fmt.Sprintf("Course %d", i), f.equipement(broyeur), domain.PrioriteNormale,
			map[string]any{"statut": "en_cours", "technicien_id": marie})
	}
	errs := make([]error, m)
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
	for _, err := range errs {
		var ce *domain.ConflictError
		switch {
		case err == nil:
			done++
		case !errors.As(err, &ce):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if done != 33 {
		t.Fatalf("%d completions succeeded, want 33", done)
	}
	if st := stockOf(t, f, piece, entrepot); st.Quantite != 0 {
		t.Fatalf("warehouse: %+v", st)
	}
	if c := countRows(t, env, `SELECT count(*) FROM mouvements_stock WHERE piece_id = $1 AND type = 'consommation'`, piece); c != 3+33 {
		t.Fatalf("%d consumption movements, want %d", c, 3+33)
	}
	if c := countRows(t, env, `SELECT count(*) FROM interventions WHERE id = ANY($1) AND statut = 'terminee'`, pq.Array(ids)); c != 33 {
		t.Fatalf("%d interventions completed, want 33 (a refused completion must write nothing)", c)
	}
}
