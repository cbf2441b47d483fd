package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// TestAssetHierarchy builds site → line → press → hydraulic unit, checks the tree and list as
// each account sees them, refuses cycles, audits every move, lets the criticality set the
// default priority and SLA, and retires an asset only once the request says what happens to its
// children and open work.
func TestAssetHierarchy(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	env := f.env
	presseID := f.equipement(presse)
	site := f.id(`SELECT site_id FROM equipements WHERE id = $1`, presseID)
	atlasContrat := f.id(`SELECT ce.contrat_id FROM contrat_equipements ce WHERE ce.equipement_id = $1 LIMIT 1`, presseID)

	var zone domain.Zone
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/zones", map[string]any{"site_id": site, "nom": "Ligne de pressage", "type": "ligne"}).JSON(t, &zone)
	f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/zones", map[string]any{"site_id": site, "nom": "ligne de pressage"})
	f.want422(t, "site_id", apitest.Responsable, "POST", "/api/v1/zones", map[string]any{"site_id": 987654, "nom": "Nulle part"})
	f.want422(t, "type", apitest.Responsable, "POST", "/api/v1/zones", map[string]any{"site_id": site, "nom": "Z", "type": "atelier"})
	f.want(t, http.StatusForbidden, apitest.Technicien, "POST", "/api/v1/zones", map[string]any{"site_id": site, "nom": "Z"})
	f.want(t, http.StatusNotFound, apitest.Client2, "GET", "/api/v1/zones/"+apitest.ID(zone.ID), nil)
	f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/zones/"+apitest.ID(zone.ID), nil)

	var unit domain.EquipementVue
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/equipements",
		map[string]any{"nom": "Centrale hydraulique", "type": "Hydraulique", "numero_serie": "CH-" + time.Now().Format("150405.000")}).JSON(t, &unit)
	f.exec(`INSERT INTO contrat_equipements (contrat_id, equipement_id) VALUES ($1, $2)`, atlasContrat, unit.ID)

	move := func(id int64, body map[string]any, want int) domain.Actif {
		t.Helper()
		var a domain.Actif
		res := f.want(t, want, apitest.Responsable, "PUT", "/api/v1/actifs/"+apitest.ID(id)+"/deplacement", body)
		if want == http.StatusOK {
			res.JSON(t, &a)
		}
		return a
	}
	a := move(presseID, map[string]any{"zone_id": zone.ID, "motif": "réimplantation"}, http.StatusOK)
	if a.ZoneID == nil || *a.ZoneID != zone.ID || *a.SiteID != site || a.ParentID != nil {
		t.Fatalf("press in its line: %+v", a)
	}
	a = move(unit.ID, map[string]any{"parent_id": presseID}, http.StatusOK)
	if a.ParentID == nil || *a.ParentID != presseID || a.SiteID == nil || *a.SiteID != site || *a.ZoneID != zone.ID {
		t.Fatalf("unit under the press: %+v", a)
	}
	f.want422(t, "parent_id", apitest.Responsable, "PUT", "/api/v1/actifs/"+apitest.ID(presseID)+"/deplacement", map[string]any{"parent_id": unit.ID})
	f.want422(t, "parent_id", apitest.Responsable, "PUT", "/api/v1/actifs/"+apitest.ID(presseID)+"/deplacement", map[string]any{"parent_id": presseID})
	f.want422(t, "body", apitest.Responsable, "PUT", "/api/v1/actifs/"+apitest.ID(presseID)+"/deplacement", map[string]any{"zone_id": zone.ID, "site_id": site})
	f.want422(t, "zone_id", apitest.Responsable, "PUT", "/api/v1/actifs/"+apitest.ID(presseID)+"/deplacement", map[string]any{"zone_id": 987654})
	f.want(t, http.StatusForbidden, apitest.Technicien, "PUT", "/api/v1/actifs/"+apitest.ID(presseID)+"/deplacement", map[string]any{"zone_id": zone.ID})
	// The zone holds equipment: it stays.
	f.want(t, http.StatusConflict, apitest.Responsable, "DELETE", "/api/v1/zones/"+apitest.ID(zone.ID), nil)

	// The press moves to another site of Atlas: its unit follows, out of the line.
	other := f.id(`SELECT id FROM sites WHERE client_id = (SELECT client_id FROM sites WHERE id = $1) AND id <> $1 ORDER BY id LIMIT 1`, site)
	move(presseID, map[string]any{"site_id": other}, http.StatusOK)
	var got domain.Actif
	f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/actifs/"+apitest.ID(unit.ID), nil).JSON(t, &got)
	if *got.SiteID != other || got.ZoneID != nil || *got.ParentID != presseID {
		t.Fatalf("the unit did not follow: %+v", got)
	}
	move(presseID, map[string]any{"zone_id": zone.ID}, http.StatusOK)
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND action = 'deplacement' AND entite_id = $1`, presseID); n != 3 {
		t.Fatalf("%d moves of the press recorded, want 3", n)
	}
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND action = 'deplacement' AND entite_id = $1`, unit.ID); n != 3 {
		t.Fatalf("%d moves of the unit recorded, want 3 (under the press, then twice with it)", n)
	}
	// The equipment API may not tear the unit away from its parent's site.
	f.want422(t, "site_id", apitest.Responsable, "PUT", "/api/v1/equipements/"+apitest.ID(unit.ID), map[string]any{"site_id": other})

	t.Run("tree and list as each account sees them", func(t *testing.T) {
		var tree []domain.ArbreSite
		f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/actifs/arbre?site_id="+apitest.ID(site), nil).JSON(t, &tree)
		if len(tree) != 1 || len(tree[0].Zones) != 1 || len(tree[0].Zones[0].Equipements) != 1 {
			t.Fatalf("tree %+v", tree)
		}
		press := tree[0].Zones[0].Equipements[0]
		if press.ID != presseID || len(press.Enfants) != 1 || press.Enfants[0].ID != unit.ID || press.EnfantsCount != 1 {
			t.Fatalf("press node %+v", press)
		}
		f.want(t, http.StatusNotFound, apitest.Client2, "GET", "/api/v1/actifs/arbre?site_id="+apitest.ID(site), nil)
		f.want(t, http.StatusOK, apitest.Client2, "GET", "/api/v1/actifs/arbre", nil).JSON(t, &tree)
		souss := f.id(`SELECT client_id FROM users WHERE email = $1`, apitest.Client2)
		for _, s := range tree {
			if s.ClientID != souss {
				t.Fatalf("the dairy sees site %d of client %d", s.ID, s.ClientID)
			}
		}
		f.want(t, http.StatusNotFound, apitest.Client2, "GET", "/api/v1/actifs/"+apitest.ID(presseID), nil)
		var list []domain.Actif
		f.want(t, http.StatusOK, apitest.Technicien, "GET", "/api/v1/actifs?parent_id="+apitest.ID(presseID), nil).JSON(t, &list)
		if len(list) != 1 || list[0].ID != unit.ID {
			t.Fatalf("children %+v", list)
		}
		if n := total(t, f.want(t, http.StatusOK, apitest.Client2, "GET", "/api/v1/actifs?zone_id="+apitest.ID(zone.ID), nil)); n != 0 {
			t.Fatalf("the dairy lists %d of Atlas's line", n)
		}
		f.want422(t, "criticite", apitest.Responsable, "GET", "/api/v1/actifs?criticite=D", nil)
	})

	t.Run("criticality sets the default priority and SLA", func(t *testing.T) {
		f.want422(t, "criticite", apitest.Responsable, "PUT", "/api/v1/actifs/"+apitest.ID(unit.ID)+"/criticite", map[string]any{"criticite": "Z"})
		f.want(t, http.StatusOK, apitest.Responsable, "PUT", "/api/v1/actifs/"+apitest.ID(unit.ID)+"/criticite", map[string]any{"criticite": "A"}).JSON(t, &got)
		if got.Criticite != domain.CriticiteA {
			t.Fatalf("criticite %+v", got)
		}
		if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND action = 'criticite' AND entite_id = $1`, unit.ID); n != 1 {
			t.Fatalf("criticality change recorded %d times", n)
		}
		// The contract of the unit has no resolution SLA here: the priority's default applies,
		// capped for criticality A.
		f.exec(`UPDATE contrats SET sla_resolution_heures = NULL WHERE id = $1`, atlasContrat)
		d := createOpen(t, env, "Pression instable", unit.ID, func(b map[string]any) {
			delete(b, "priorite")
			b["date_limite"], b["urgence"] = nil, false
		})
		if d.Priorite != domain.PrioriteHaute {
			t.Fatalf("priority of an A machine: %s", d.Priorite)
		}
		low := createOpen(t, env, "Graissage", unit.ID, func(b map[string]any) {
			b["priorite"], b["date_limite"], b["urgence"] = "basse", nil, false
		})
		st := workflowState(t, env, apitest.Responsable, low.ID)
		if st.SLA.Source != "criticite" || st.SLA.Echeance == nil || st.SLA.Echeance.Sub(low.DateCreation) != 24*time.Hour {
			t.Fatalf("SLA of low-priority work on an A machine: %+v", st.SLA)
		}
	})

	t.Run("retirement says what happens to children and open work", func(t *testing.T) {
		path := "/api/v1/actifs/" + apitest.ID(presseID) + "/retirer"
		res := f.want(t, http.StatusConflict, apitest.Responsable, "POST", path, nil)
		if p := res.Problem(t); !strings.Contains(p.Detail, "sous-équipement") || p.Code != "conflict" {
			t.Fatalf("problem %+v", p)
		}
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/equipements/"+apitest.ID(presseID)+"/retirer", nil)
		f.want(t, http.StatusConflict, apitest.Responsable, "PATCH", "/api/v1/equipements/"+apitest.ID(presseID)+"/statut", map[string]any{"statut": "retire"})
		// Children retired with it: their open work (the two interventions above) must be decided too.
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", path, map[string]any{"enfants": "retirer"})
		f.want422(t, "interventions", apitest.Responsable, "POST", path, map[string]any{"enfants": "retirer", "interventions": "oublier"})
		var e domain.EquipementVue
		f.want(t, http.StatusOK, apitest.Responsable, "POST", path, map[string]any{"enfants": "retirer", "interventions": "annuler"}).JSON(t, &e)
		if e.Statut != domain.EquipementRetire {
			t.Fatalf("press %+v", e)
		}
		if n := countRows(t, env, `SELECT count(*) FROM equipements WHERE id = $1 AND statut = 'retire'`, unit.ID); n != 1 {
			t.Fatal("the unit was not retired with the press")
		}
		if n := countRows(t, env, `SELECT count(*) FROM interventions WHERE equipement_id = ANY(ARRAY[$1, $2]::bigint[]) AND statut NOT IN ('terminee', 'annulee')`,
			presseID, unit.ID); n != 0 {
			t.Fatalf("%d interventions still open on retired equipment", n)
		}

		// Detach: the child stays in service where it stands; open work kept.
		broy := f.equipement(broyeur)
		var child domain.EquipementVue
		f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/equipements",
			map[string]any{"nom": "Moteur du broyeur", "type": "Moteur", "numero_serie": "MB-" + time.Now().Format("150405.000")}).JSON(t, &child)
		move(child.ID, map[string]any{"parent_id": broy}, http.StatusOK)
		f.intervention("Vibrations", broy, domain.PrioriteNormale, nil)
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/equipements/"+apitest.ID(broy)+"/retirer", map[string]any{"enfants": "detacher"})
		f.want(t, http.StatusOK, apitest.Responsable, "POST", "/api/v1/equipements/"+apitest.ID(broy)+"/retirer",
			map[string]any{"enfants": "detacher", "interventions": "conserver"})
		f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/actifs/"+apitest.ID(child.ID), nil).JSON(t, &got)
		if got.ParentID != nil || got.Statut == domain.EquipementRetire || got.SiteID == nil {
			t.Fatalf("detached child %+v", got)
		}
	})
}
