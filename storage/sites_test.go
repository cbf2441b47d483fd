package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/storage"
)

func TestSitesAndTheirEquipment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	// Seeding twice changes nothing.
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	admin, _ := st.GetUserByLogin(ctx, "admin@mif.ma")
	client, _ := st.GetUserByLogin(ctx, "client@laiteriesouss.ma")
	staff := domain.Principal{Role: domain.RoleResponsable}
	laiterie := domain.Principal{Role: domain.RoleClient, ClientID: client.ClientID}

	all, total, err := st.ListSites(ctx, staff, domain.SiteFiltre{}, storage.Page{Limit: 50})
	if err != nil || total != 7 || len(all) != 7 {
		t.Fatalf("demo sites: %d %v", total, err)
	}
	villes := map[string]bool{}
	for _, s := range all {
		villes[s.Ville] = true
	}
	for _, v := range []string{"Casablanca", "Mohammedia", "Rabat", "Kénitra", "Tanger", "Marrakech", "Agadir"} {
		if !villes[v] {
			t.Errorf("no demo site in %s", v)
		}
	}
	own, total, err := st.ListSites(ctx, laiterie, domain.SiteFiltre{}, storage.Page{Limit: 50})
	if err != nil || total != 1 || own[0].Nom != "Usine d'Agadir" || own[0].EquipementsCount != 2 {
		t.Fatalf("the dairy's sites: %+v %v", own, err)
	}
	// Opening hours come back in order, the Saturday morning included.
	if h := own[0].HorairesOuverture; len(h) != 6 || h[0] != (domain.Creneau{Jour: "lundi", Debut: "06:00", Fin: "14:00"}) ||
		h[5] != (domain.Creneau{Jour: "samedi", Debut: "06:00", Fin: "12:00"}) {
		t.Fatalf("horaires %+v", h)
	}
	// Another client's site does not exist for the dairy.
	var ainSebaa domain.Site
	for _, s := range all {
		if s.Nom == "Usine d'Aïn Sebaâ" {
			ainSebaa = s
		}
	}
	if _, err := st.GetSite(ctx, laiterie, ainSebaa.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("foreign site: %v", err)
	}

	lat, lon, nom := 34.0331, -5.0003, "Dépôt de Fès"
	horaires := []domain.Creneau{{Jour: "mardi", Debut: "14:00", Fin: "18:00"}, {Jour: "mardi", Debut: "08:00", Fin: "12:00"}}
	created, err := st.CreateSite(ctx, domain.SiteInput{ClientID: client.ClientID, Nom: &nom, Latitude: &lat, Longitude: &lon,
		HorairesOuverture: &horaires}, admin.ID)
	if err != nil || created.Latitude != lat || len(created.HorairesOuverture) != 2 || created.HorairesOuverture[0].Debut != "08:00" {
		t.Fatalf("create: %+v %v", created, err)
	}
	if _, err := st.CreateSite(ctx, domain.SiteInput{ClientID: client.ClientID, Nom: &nom, Latitude: &lat, Longitude: &lon}, admin.ID); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	unknown := int64(987654)
	var ve *domain.ValidationError
	if _, err := st.CreateSite(ctx, domain.SiteInput{ClientID: &unknown, Nom: &nom, Latitude: &lat, Longitude: &lon}, admin.ID); !errors.As(err, &ve) || ve.Fields[0].Field != "client_id" {
		t.Fatalf("unknown client: %v", err)
	}
	// An empty timetable lifts the restriction; coordinates change alone.
	lat2, empty := 34.05, []domain.Creneau{}
	updated, err := st.UpdateSite(ctx, created.ID, domain.SiteInput{Latitude: &lat2, HorairesOuverture: &empty}, admin.ID)
	if err != nil || updated.Latitude != lat2 || updated.Longitude != lon || len(updated.HorairesOuverture) != 0 {
		t.Fatalf("update: %+v %v", updated, err)
	}
	h, _ := st.ListHistorique(ctx, "site", created.ID)
	if len(h) != 2 || h[1].Action != "modification" || h[1].ActeurID == nil || *h[1].ActeurID != admin.ID {
		t.Fatalf("historique %+v", h)
	}

	// Equipment carries its site; a site with equipment cannot go.
	equip, _, err := st.ListEquipements(ctx, laiterie, domain.EquipementFiltre{}, storage.Sort{}, storage.Page{Limit: 50})
	if err != nil || len(equip) != 2 || equip[0].Site == nil || equip[0].Site.Ville != "Agadir" || equip[0].SiteID == nil {
		t.Fatalf("equipment site: %+v %v", equip, err)
	}
	if err := st.DeleteSite(ctx, *equip[0].SiteID, admin.ID); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("delete a site in use: %v", err)
	}
	moved, err := st.UpdateEquipement(ctx, equip[0].ID, domain.EquipementInput{SiteID: &created.ID}, admin.ID)
	if err != nil || moved.SiteID == nil || *moved.SiteID != created.ID {
		t.Fatalf("move equipment: %+v %v", moved, err)
	}
	if _, err := st.UpdateEquipement(ctx, equip[0].ID, domain.EquipementInput{SiteID: &unknown}, admin.ID); !errors.As(err, &ve) || ve.Fields[0].Field != "site_id" {
		t.Fatalf("unknown site: %v", err)
	}
	off, err := st.UpdateEquipement(ctx, equip[0].ID, domain.EquipementInput{ClearSite: true}, admin.ID)
	if err != nil || off.SiteID != nil {
		t.Fatalf("take off its site: %+v %v", off, err)
	}
	if err := st.DeleteSite(ctx, created.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetSite(ctx, staff, created.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted site: %v", err)
	}
}

func TestTechnicienHomeBaseAndHours(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	staff := domain.Principal{Role: domain.RoleAdmin}
	techs, _, err := st.ListTechniciens(ctx, staff, domain.TechnicienFiltre{}, storage.Sort{}, storage.Page{Limit: 50})
	if err != nil || len(techs) != 3 {
		t.Fatalf("%+v %v", techs, err)
	}
	byMail := map[string]domain.Technicien{}
	for _, tc := range techs {
		byMail[tc.Email] = tc
	}
	marie, youssef := byMail["technicien@mif.ma"], byMail["technicien2@mif.ma"]
	// Without a timetable of his own, a technicien works Monday to Friday at heure_debut–heure_fin.
	if !marie.HorairesDefaut || len(marie.Horaires) != 5 || marie.Horaires[4] != (domain.Creneau{Jour: "vendredi", Debut: "08:00", Fin: "17:00"}) {
		t.Fatalf("default hours: %+v", marie.Horaires)
	}
	if youssef.HorairesDefaut || len(youssef.Horaires) != 6 || youssef.Horaires[5].Jour != "samedi" {
		t.Fatalf("explicit hours: %+v", youssef.Horaires)
	}
	if marie.BaseLatitude == nil || *marie.BaseLatitude < 33.5 || *marie.BaseLatitude > 33.7 || len(marie.Outils) != 2 {
		t.Fatalf("base and tools: %+v", marie)
	}
	// A changed heure_fin moves the default timetable with it.
	fin := "16:00"
	admin, _ := st.GetUserByLogin(ctx, "admin@mif.ma")
	if _, err := st.UpdateTechnicien(ctx, marie.ID, domain.TechnicienInput{HeureFin: &fin}, admin.ID); err != nil {
		t.Fatal(err)
	}
	marie, err = st.GetTechnicien(ctx, marie.ID)
	if err != nil || marie.Horaires[0].Fin != "16:00" {
		t.Fatalf("after heure_fin: %+v %v", marie.Horaires, err)
	}
}
