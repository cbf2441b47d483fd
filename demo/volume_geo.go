package demo

import (
	"fmt"
	"math/rand/v2"

	"github.com/mifmaroc/mif/domain"
)

// The geography of a volume data set: every client gets sites in real Moroccan cities (its own
// city first), every machine stands at one of its client's sites, every generated technicien has a
// home base in his city and weekly hours. It draws from its own random stream, so adding it left
// the rest of the data set of a given seed as it was.

// villesCoordonnees are the city centres (WGS 84) of the volume data set's cities.
var villesCoordonnees = map[string]domain.Point{
	"Casablanca": {Latitude: 33.5731, Longitude: -7.5898}, "Rabat": {Latitude: 34.0209, Longitude: -6.8416},
	"Tanger": {Latitude: 35.7595, Longitude: -5.8340}, "Fès": {Latitude: 34.0331, Longitude: -5.0003},
	"Meknès": {Latitude: 33.8935, Longitude: -5.5473}, "Marrakech": {Latitude: 31.6295, Longitude: -7.9811},
	"Agadir": {Latitude: 30.4278, Longitude: -9.5981}, "Oujda": {Latitude: 34.6814, Longitude: -1.9086},
	"Kénitra": {Latitude: 34.2610, Longitude: -6.5802}, "Tétouan": {Latitude: 35.5889, Longitude: -5.3626},
	"Safi": {Latitude: 32.2994, Longitude: -9.2372}, "El Jadida": {Latitude: 33.2316, Longitude: -8.5007},
	"Nador": {Latitude: 35.1681, Longitude: -2.9335}, "Béni Mellal": {Latitude: 32.3373, Longitude: -6.3498},
	"Settat": {Latitude: 33.0010, Longitude: -7.6166}, "Mohammedia": {Latitude: 33.6861, Longitude: -7.3829},
	"Berrechid": {Latitude: 33.2655, Longitude: -7.5875}, "Khouribga": {Latitude: 32.8811, Longitude: -6.9063},
	"Laâyoune": {Latitude: 27.1253, Longitude: -13.1625}, "Taza": {Latitude: 34.2100, Longitude: -4.0100},
	"Larache": {Latitude: 35.1932, Longitude: -6.1557}, "Essaouira": {Latitude: 31.5085, Longitude: -9.7595},
}

type vSite struct {
	id                  int64
	seed                bool // one of the demo seed's sites (exists already)
	client              *vClient
	nom, adresse, ville string
	at                  domain.Point
	horaires            []domain.Creneau
}

// sitePrefixes name a client's sites.
var sitePrefixes = []string{"Usine", "Site", "Entrepôt", "Atelier", "Dépôt", "Unité de production"}

// horairesTypes are the opening hours a site may have (nil: open whenever a technicien works).
var horairesTypes = [][]domain.Creneau{
	semaine("07:00", "19:00"),
	coupure("08:00", "12:00", "14:00", "18:00"),
	append(semaine("06:00", "14:00"), domain.Creneau{Jour: "samedi", Debut: "06:00", Fin: "12:00"}),
	semaine("08:00", "17:00"),
	nil,
}

// near is a point within about five kilometres of a city centre.
func near(r *rand.Rand, ville string) domain.Point {
	c, ok := villesCoordonnees[ville]
	if !ok {
		c = villesCoordonnees["Casablanca"]
	}
	return domain.Point{Latitude: c.Latitude + (r.Float64()*2-1)*0.045, Longitude: c.Longitude + (r.Float64()*2-1)*0.055}
}

// geographie places the clients' sites, the machines and the techniciens' bases. The seed's
// clients keep the sites the demo seed gave them (refs.sites); its techniciens their bases.
func (m *model) geographie(refs seedRefs) {
	g := rand.New(rand.NewPCG(uint64(m.o.Seed)^0x67656f, uint64(m.o.Seed)))
	first := true
	for _, c := range m.clients {
		if c.seed {
			c.sites = refs.sites[c.id]
			continue
		}
		n := 1 + g.IntN(3)
		for k := range n {
			ville := c.ville
			if k > 0 {
				ville = pick(g, villes)
			}
			s := &vSite{client: c, ville: ville, at: near(g, ville), horaires: pick(g, horairesTypes)}
			if first {
				// Every kind of row is written, whatever the draws.
				s.horaires, first = horairesTypes[1], false
			}
			s.nom = fmt.Sprintf("%s de %s", pick(g, sitePrefixes), ville)
			for i := 2; containsSite(c.sites, s.nom); i++ {
				s.nom = fmt.Sprintf("%s de %s %d", pick(g, sitePrefixes), ville, i)
			}
			s.adresse = fmt.Sprintf("Lot %d, %s, %s", 1+g.IntN(180), pick(g, zonesIndustrielles), ville)
			c.sites = append(c.sites, s)
		}
	}
	for _, e := range m.equips {
		if len(e.client.sites) > 0 {
			e.site = pick(g, e.client.sites)
		}
	}
	onCall := false
	for _, t := range m.techs {
		if t.user == nil {
			continue
		}
		at := near(g, t.ville)
		t.base = &at
		if g.Float64() < 0.2 || !onCall {
			onCall = true
			// On call on Saturday mornings.
			t.horaires = semaine("08:00", "17:00", domain.Creneau{Jour: "samedi", Debut: "08:00", Fin: "12:00"})
		}
	}
}

func containsSite(sites []*vSite, nom string) bool {
	for _, s := range sites {
		if s.nom == nom {
			return true
		}
	}
	return false
}
