package demo

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// The demo's geography: client sites in real Moroccan places (coordinates of the industrial
// zones named, WGS 84), the equipment placed there, and the techniciens' home bases, working
// hours and tools, so that the route planning has something true to the map to work on.

type demoSite struct {
	client, nom, adresse, ville string
	lat, lon                    float64
	horaires                    []domain.Creneau
}

// semaine is Monday to Friday from debut to fin, plus extra intervals.
func semaine(debut, fin string, extra ...domain.Creneau) []domain.Creneau {
	var out []domain.Creneau
	for _, j := range domain.Jours[:5] {
		out = append(out, domain.Creneau{Jour: j, Debut: debut, Fin: fin})
	}
	return append(out, extra...)
}

// coupure is Monday to Friday with a lunch break.
func coupure(matin, midi, reprise, soir string) []domain.Creneau {
	var out []domain.Creneau
	for _, j := range domain.Jours[:5] {
		out = append(out, domain.Creneau{Jour: j, Debut: matin, Fin: midi}, domain.Creneau{Jour: j, Debut: reprise, Fin: soir})
	}
	return out
}

var sites = []demoSite{
	{"Cimenterie Atlas", "Usine d'Aïn Sebaâ", "Zone industrielle d'Aïn Sebaâ, route de Rabat", "Casablanca", 33.6054, -7.5336,
		semaine("07:00", "19:00", domain.Creneau{Jour: "samedi", Debut: "08:00", Fin: "12:00"})},
	{"Cimenterie Atlas", "Centre de broyage de Mohammedia", "Zone industrielle Sud-Ouest", "Mohammedia", 33.6861, -7.4108,
		coupure("08:00", "12:00", "14:00", "18:00")},
	{"Cimenterie Atlas", "Dépôt de Rabat", "Quartier industriel de Takaddoum", "Rabat", 33.9862, -6.8194,
		semaine("08:30", "17:30")},
	{"Cimenterie Atlas", "Terminal de Kénitra", "Zone portuaire, rive du Sebou", "Kénitra", 34.2682, -6.5946,
		semaine("08:00", "16:00")},
	{"Cimenterie Atlas", "Plateforme de Tanger", "Zone franche de Gzenaya", "Tanger", 35.7356, -5.9047,
		semaine("08:00", "17:00")},
	{"Cimenterie Atlas", "Agence de Marrakech", "Zone industrielle de Sidi Ghanem", "Marrakech", 31.6603, -8.0280,
		coupure("08:30", "12:30", "14:30", "18:30")},
	{"Laiterie du Souss", "Usine d'Agadir", "Parc industriel de Tassila", "Agadir", 30.3986, -9.5155,
		append(semaine("06:00", "14:00"), domain.Creneau{Jour: "samedi", Debut: "06:00", Fin: "12:00"})},
}

// equipementSites places the demo equipment (by serial number) at a site.
var equipementSites = map[string]string{
	"PH001-2023-001": "Usine d'Aïn Sebaâ",
	"BB07-2019-114":  "Centre de broyage de Mohammedia",
	"CA3-2021-553":   "Dépôt de Rabat",
	"TL12-2020-010":  "Usine d'Agadir",
	"PS2-2022-201":   "Usine d'Agadir",
}

var bases = []struct {
	email    string
	lat, lon float64
	horaires []domain.Creneau // nil: Monday to Friday from heure_debut to heure_fin
	outils   []string
}{
	// Maârif, Casablanca.
	{"technicien@mif.ma", 33.5841, -7.6330, nil, []string{"Poste à souder", "Clé dynamométrique"}},
	// Hay Mohammadi, Casablanca; also on call on Saturday mornings.
	{"technicien2@mif.ma", 33.5960, -7.5700, semaine("08:00", "17:00", domain.Creneau{Jour: "samedi", Debut: "08:00", Fin: "12:00"}),
		[]string{"Multimètre", "Valise de programmation"}},
	// Talborjt, Agadir; the dairy starts early.
	{"technicien3@mif.ma", 30.4226, -9.5961, semaine("06:30", "15:30"), []string{"Station de récupération de fluide", "Multimètre"}},
}

// Tools the equipment types call for (matched case-insensitively, like competences).
var typeOutils = []struct{ typ, outil string }{
	{"Broyeur", "Poste à souder"},
	{"Cuve réfrigérée", "Station de récupération de fluide"},
}

// seedGeographie inserts what is missing and never overwrites what a user changed: a site is
// found by its client and name, an equipment or a technicien gets a place only if it has none.
func seedGeographie(ctx context.Context, tx *storage.Store, ids map[string]int64) error {
	db := tx.Q()
	siteIDs := map[string]int64{}
	for _, s := range sites {
		client := ids["client:"+s.client]
		var found []int64
		if err := db.SelectContext(ctx, &found, `INSERT INTO sites (client_id, nom, adresse, ville, latitude, longitude)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id, lower(nom)) DO NOTHING RETURNING id`,
			client, s.nom, s.adresse, s.ville, s.lat, s.lon); err != nil {
			return fmt.Errorf("demo: site: %w", err)
		}
		if len(found) == 1 {
			for _, c := range s.horaires {
				if _, err := db.ExecContext(ctx, `INSERT INTO site_horaires (site_id, jour, debut, fin) VALUES ($1, $2, $3, $4)`,
					found[0], domain.JourISO(c.Jour), c.Debut, c.Fin); err != nil {
					return fmt.Errorf("demo: site horaires: %w", err)
				}
			}
			siteIDs[s.nom] = found[0]
			continue
		}
		var id int64
		if err := db.GetContext(ctx, &id, `SELECT id FROM sites WHERE client_id = $1 AND lower(nom) = lower($2)`, client, s.nom); err != nil {
			return fmt.Errorf("demo: site: %w", err)
		}
		siteIDs[s.nom] = id
	}
	for serie, site := range equipementSites {
		if _, err := db.ExecContext(ctx, `UPDATE equipements SET site_id = $2 WHERE numero_serie = $1 AND site_id IS NULL`,
			serie, siteIDs[site]); err != nil {
			return fmt.Errorf("demo: equipement site: %w", err)
		}
	}
	for _, b := range bases {
		var techs []int64
		if err := db.SelectContext(ctx, &techs, `UPDATE techniciens t SET base_latitude = $2, base_longitude = $3, outils = $4
			FROM users u WHERE u.id = t.user_id AND u.email = $1 AND t.base_latitude IS NULL RETURNING t.id`,
			b.email, b.lat, b.lon, pq.Array(b.outils)); err != nil {
			return fmt.Errorf("demo: technicien base: %w", err)
		}
		for _, id := range techs {
			for _, c := range b.horaires {
				if _, err := db.ExecContext(ctx, `INSERT INTO technicien_horaires (technicien_id, jour, debut, fin) VALUES ($1, $2, $3, $4)`,
					id, domain.JourISO(c.Jour), c.Debut, c.Fin); err != nil {
					return fmt.Errorf("demo: technicien horaires: %w", err)
				}
			}
		}
	}
	for _, t := range typeOutils {
		if _, err := db.ExecContext(ctx, `INSERT INTO equipement_type_outils (type_equipement, outil) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			t.typ, t.outil); err != nil {
			return fmt.Errorf("demo: outils: %w", err)
		}
	}
	return nil
}
