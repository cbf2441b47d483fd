package domain

import (
	"errors"
	"slices"
	"testing"
)

func fields(t *testing.T, err error) []string {
	t.Helper()
	var ve *ValidationError
	if err == nil {
		return nil
	}
	if !errors.As(err, &ve) {
		t.Fatalf("not a validation error: %v", err)
	}
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field)
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

func TestSiteInputNamesEveryBadField(t *testing.T) {
	c := int64(1)
	ok := SiteInput{ClientID: &c, Nom: ptrTo("Usine"), Latitude: ptrTo(33.6), Longitude: ptrTo(-7.5)}
	if err := ok.Validate(true); err != nil {
		t.Fatalf("valid site: %v", err)
	}
	cases := []struct {
		name string
		in   SiteInput
		want []string
	}{
		{"create needs its fields", SiteInput{}, []string{"client_id", "latitude", "longitude", "nom"}},
		{"latitude above 90", SiteInput{Latitude: ptrTo(90.5)}, []string{"latitude"}},
		{"latitude below -90", SiteInput{Latitude: ptrTo(-91.0)}, []string{"latitude"}},
		{"longitude out of range", SiteInput{Longitude: ptrTo(181.0)}, []string{"longitude"}},
		{"hours", SiteInput{HorairesOuverture: &[]Creneau{
			{Jour: "lundi", Debut: "08:00", Fin: "12:00"},
			{Jour: "funday", Debut: "8h", Fin: "25:00"},
			{Jour: "lundi", Debut: "11:00", Fin: "13:00"}, // overlaps the first
			{Jour: "mardi", Debut: "14:00", Fin: "13:00"}, // ends before it starts
		}}, []string{"horaires_ouverture[1].debut", "horaires_ouverture[1].fin", "horaires_ouverture[1].jour",
			"horaires_ouverture[2]", "horaires_ouverture[3].fin"}},
	}
	for _, c := range cases {
		got := fields(t, c.in.Validate(c.name == "create needs its fields"))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: fields %v, want %v", c.name, got, c.want)
		}
	}
	// Boundaries are places too.
	edge := SiteInput{Latitude: ptrTo(-90.0), Longitude: ptrTo(180.0)}
	if err := edge.Validate(false); err != nil {
		t.Errorf("poles and antimeridian: %v", err)
	}
}

func TestTechnicienTourneeValidation(t *testing.T) {
	if got := fields(t, TechnicienTournee{BaseLatitude: ptrTo(33.5)}.Validate(true)); !slices.Equal(got, []string{"base_longitude"}) {
		t.Errorf("half a base on create: %v", got)
	}
	if got := fields(t, TechnicienTournee{BaseLatitude: ptrTo(100.0), BaseLongitude: ptrTo(-200.0)}.Validate(false)); !slices.Equal(got, []string{"base_latitude", "base_longitude"}) {
		t.Errorf("out of range: %v", got)
	}
	if got := fields(t, TechnicienTournee{Outils: &[]string{"Multimètre", "multimètre", ""}}.Validate(false)); !slices.Equal(got, []string{"outils[1]", "outils[2]"}) {
		t.Errorf("tools: %v", got)
	}
	// Half a base completes the stored one, or is refused.
	lon := -7.6
	if err := (TechnicienTournee{BaseLatitude: ptrTo(33.5)}).ValidateUpdate(Technicien{BaseLongitude: &lon}); err != nil {
		t.Errorf("completes the stored longitude: %v", err)
	}
	if got := fields(t, TechnicienTournee{BaseLatitude: ptrTo(33.5)}.ValidateUpdate(Technicien{})); !slices.Equal(got, []string{"base_longitude"}) {
		t.Errorf("nothing stored: %v", got)
	}
}

func TestJours(t *testing.T) {
	if JourISO("lundi") != 1 || JourISO("dimanche") != 7 || JourISO("Lundi") != 0 || JourNom(3) != "mercredi" || JourNom(8) != "" {
		t.Fatal("day names")
	}
	c := Creneau{Jour: "lundi", Debut: "07:30", Fin: "16:15"}
	if d, f, ok := c.Minutes(); !ok || d != 450 || f != 975 {
		t.Fatalf("minutes %d %d %v", d, f, ok)
	}
}
