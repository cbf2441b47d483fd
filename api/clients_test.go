package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

func TestClientsContratsAPI(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	atlas := f.id(`SELECT id FROM clients WHERE nom = 'Cimenterie Atlas'`)
	souss := f.id(`SELECT id FROM clients WHERE nom = 'Laiterie du Souss'`)
	atlasContrat := f.id(`SELECT id FROM contrats WHERE numero = 'CT-2026-001'`)
	soussContrat := f.id(`SELECT id FROM contrats WHERE numero = 'CT-2026-002'`)
	var client domain.Client

	t.Run("clients CRUD", func(t *testing.T) {
		res := f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/clients", map[string]any{"nom": " Sucrerie de l'Oriental ", "ville": "Berkane", "email": "Maintenance@Sucrerie.ma"})
		res.JSON(t, &client)
		if client.Nom != "Sucrerie de l'Oriental" || client.Email == nil || *client.Email != "maintenance@sucrerie.ma" || !client.IsActive {
			t.Fatalf("created %+v", client)
		}
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/clients", map[string]any{"nom": "sucrerie de l'oriental"})
		f.want422(t, "nom", apitest.Responsable, "POST", "/api/v1/clients", map[string]any{"ville": "Fès"})
		f.want422(t, "email", apitest.Responsable, "POST", "/api/v1/clients", map[string]any{"nom": "X", "email": "pas-un-email"})
		res = f.want(t, http.StatusOK, apitest.Admin, "PUT", "/api/v1/clients/"+apitest.ID(client.ID), map[string]any{"telephone": "+212 536 00 00 00", "is_active": false})
		var upd domain.Client
		res.JSON(t, &upd)
		if upd.IsActive || upd.Telephone == nil || upd.Nom != client.Nom {
			t.Fatalf("updated %+v", upd)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/clients?is_active=true", nil)); n != 2 {
			t.Fatalf("active clients %d", n)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/clients?q=casa", nil)); n != 1 {
			t.Fatalf("search by city: %d", n)
		}
		// A client with contracts and accounts cannot be deleted.
		f.want(t, http.StatusConflict, apitest.Admin, "DELETE", "/api/v1/clients/"+apitest.ID(atlas), nil)
		if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'client' AND entite_id = $1`, client.ID); n != 2 {
			t.Fatalf("historique %d", n)
		}
	})

	t.Run("a client account sees its own company; technicien nothing", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/clients", nil)
		if got := ids(t, res); len(got) != 1 || got[0] != atlas {
			t.Fatalf("client sees %v", got)
		}
		f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/clients/"+apitest.ID(atlas), nil)
		f.want(t, http.StatusNotFound, apitest.Client, "GET", "/api/v1/clients/"+apitest.ID(souss), nil)
		f.want(t, http.StatusForbidden, apitest.Client, "PUT", "/api/v1/clients/"+apitest.ID(atlas), map[string]any{"ville": "Rabat"})
		f.want(t, http.StatusForbidden, apitest.Client, "POST", "/api/v1/clients", map[string]any{"nom": "Moi"})
		f.want(t, http.StatusForbidden, apitest.Technicien, "GET", "/api/v1/clients", nil)
		f.want(t, http.StatusForbidden, apitest.Technicien, "GET", "/api/v1/contrats", nil)
	})

	var contrat domain.Contrat
	presseID, tankID := f.equipement(presse), f.equipement(tankLait)
	t.Run("contracts with equipment and SLA", func(t *testing.T) {
		start := time.Now().UTC().AddDate(0, -1, 0)
		body := map[string]any{"numero": "CT-2026-010", "client_id": client.ID, "date_debut": day(start), "date_fin": day(start.AddDate(1, 0, 0)),
			"sla_reponse_heures": 2, "sla_resolution_heures": 12, "equipement_ids": []int64{presseID}}
		res := f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/contrats", body)
		res.JSON(t, &contrat)
		if contrat.ClientNom != "Sucrerie de l'Oriental" || contrat.EquipementsCount != 1 || contrat.Statut != "actif" || day(contrat.DateDebut.Time) != day(start) {
			t.Fatalf("created %+v", contrat)
		}
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/contrats", body)
		f.want422(t, "date_fin", apitest.Responsable, "POST", "/api/v1/contrats", map[string]any{"numero": "X-1", "client_id": client.ID, "date_debut": "2026-05-01", "date_fin": "2026-04-01"})
		f.want422(t, "date_debut", apitest.Responsable, "POST", "/api/v1/contrats", map[string]any{"numero": "X-1", "client_id": client.ID, "date_debut": "1er mai", "date_fin": "2026-04-01"})
		f.want422(t, "equipement_ids", apitest.Responsable, "POST", "/api/v1/contrats", map[string]any{"numero": "X-1", "client_id": client.ID, "date_debut": "2026-01-01", "date_fin": "2026-12-31", "equipement_ids": []int64{999999}})
		f.want422(t, "client_id", apitest.Responsable, "POST", "/api/v1/contrats", map[string]any{"numero": "X-1", "client_id": 999999, "date_debut": "2026-01-01", "date_fin": "2026-12-31"})
		f.want422(t, "sla_resolution_heures", apitest.Responsable, "POST", "/api/v1/contrats", map[string]any{"numero": "X-1", "client_id": client.ID, "date_debut": "2026-01-01", "date_fin": "2026-12-31", "sla_reponse_heures": 10, "sla_resolution_heures": 5})

		// The press is now under two contracts: an intervention on it inherits the tightest SLA.
		sla, err := f.env.Store.SLAForEquipement(context.Background(), presseID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if sla.ReponseHeures == nil || *sla.ReponseHeures != 2 || *sla.ResolutionHeures != 12 {
			t.Fatalf("SLA %+v", sla)
		}

		res = f.want(t, http.StatusOK, apitest.Responsable, "POST", "/api/v1/contrats/"+apitest.ID(contrat.ID)+"/equipements", map[string]any{"equipement_id": tankID})
		if got := ids(t, res); !slices.Equal(got, []int64{presseID, tankID}) && !slices.Equal(got, []int64{tankID, presseID}) {
			t.Fatalf("covered %v", got)
		}
		f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", "/api/v1/contrats/"+apitest.ID(contrat.ID)+"/equipements/"+apitest.ID(tankID), nil)
		f.want(t, http.StatusNotFound, apitest.Responsable, "DELETE", "/api/v1/contrats/"+apitest.ID(contrat.ID)+"/equipements/"+apitest.ID(tankID), nil)
		res = f.want(t, http.StatusOK, apitest.Admin, "PUT", "/api/v1/contrats/"+apitest.ID(contrat.ID), map[string]any{"statut": "suspendu", "sla_reponse_heures": 3})
		var upd domain.Contrat
		res.JSON(t, &upd)
		if upd.Statut != "suspendu" || *upd.SLAReponseHeures != 3 || upd.Numero != contrat.Numero {
			t.Fatalf("updated %+v", upd)
		}
		// A suspended contract no longer gives its SLA.
		if sla, _ := f.env.Store.SLAForEquipement(context.Background(), presseID, time.Now()); *sla.ReponseHeures != 4 {
			t.Fatalf("SLA after suspension %+v", sla)
		}
		cases := map[string]int{"?client_id=" + apitest.ID(client.ID): 1, "?statut=actif": 2, "?en_vigueur=true": 2,
			"?equipement_id=" + apitest.ID(presseID): 2}
		for q, want := range cases {
			if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/contrats"+q, nil)); n != want {
				t.Errorf("%s: %d, want %d", q, n, want)
			}
		}
		f.want422(t, "statut", apitest.Responsable, "GET", "/api/v1/contrats?statut=gele", nil)
	})

	t.Run("a client reads its own contracts only", func(t *testing.T) {
		res := f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/contrats", nil)
		if got := ids(t, res); len(got) != 1 || got[0] != atlasContrat {
			t.Fatalf("client sees %v", got)
		}
		res = f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/contrats/"+apitest.ID(atlasContrat)+"/equipements", nil)
		if total(t, res) != 3 {
			t.Fatalf("covered equipment %d", total(t, res))
		}
		f.want(t, http.StatusNotFound, apitest.Client, "GET", "/api/v1/contrats/"+apitest.ID(soussContrat), nil)
		f.want(t, http.StatusNotFound, apitest.Client, "GET", "/api/v1/contrats/"+apitest.ID(soussContrat)+"/equipements", nil)
		f.want(t, http.StatusForbidden, apitest.Client, "DELETE", "/api/v1/contrats/"+apitest.ID(atlasContrat), nil)
	})

	t.Run("delete a contract, then its client", func(t *testing.T) {
		f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", "/api/v1/contrats/"+apitest.ID(contrat.ID), nil)
		f.want(t, http.StatusNotFound, apitest.Responsable, "GET", "/api/v1/contrats/"+apitest.ID(contrat.ID), nil)
		f.want(t, http.StatusNoContent, apitest.Responsable, "DELETE", "/api/v1/clients/"+apitest.ID(client.ID), nil)
		f.want(t, http.StatusNotFound, apitest.Responsable, "GET", "/api/v1/clients/"+apitest.ID(client.ID), nil)
	})
}
