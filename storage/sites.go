package storage

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

const siteSelect = `SELECT s.id, s.client_id, c.nom AS client_nom, s.nom, s.adresse, s.ville, s.latitude, s.longitude,
	(SELECT count(*) FROM equipements e WHERE e.site_id = s.id) AS equipements_count, s.date_creation, s.updated_at
FROM sites s JOIN clients c ON c.id = s.client_id`

// siteVisibility limits sites (alias s) to what p may see: a client account sees its own
// company's sites; staff see all of them.
func siteVisibility(p domain.Principal, w *where) {
	if p.Role != domain.RoleClient {
		return
	}
	if p.ClientID == nil {
		w.add("FALSE")
		return
	}
	w.add("s.client_id = ?", *p.ClientID)
}

// ListSites returns one page of the sites p may see matching f, with their opening hours, and
// the total.
func (s *Store) ListSites(ctx context.Context, p domain.Principal, f domain.SiteFiltre, page Page) ([]domain.Site, int, error) {
	w := &where{}
	siteVisibility(p, w)
	if f.ClientID != nil {
		w.add("s.client_id = ?", *f.ClientID)
	}
	if f.Ville != "" {
		w.add("lower(s.ville) = lower(?)", f.Ville)
	}
	if f.Recherche != "" {
		pat := likePattern(f.Recherche)
		w.add("(s.nom ILIKE ? OR s.adresse ILIKE ? OR s.ville ILIKE ?)", pat, pat, pat)
	}
	total, err := s.count(ctx, "count sites", "sites s", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Site{}
	err = s.q.SelectContext(ctx, &out, siteSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY s.client_id, s.nom, s.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	if err != nil {
		return nil, 0, wrap("list sites", err)
	}
	return out, total, s.loadSiteHoraires(ctx, out)
}

// GetSite returns one site p may see.
func (s *Store) GetSite(ctx context.Context, p domain.Principal, id int64) (domain.Site, error) {
	w := &where{}
	w.add("s.id = ?", id)
	siteVisibility(p, w)
	var site domain.Site
	if err := s.q.GetContext(ctx, &site, siteSelect+` WHERE `+w.sql(), w.args...); err != nil {
		return site, wrap("get site", err)
	}
	sites := []domain.Site{site}
	err := s.loadSiteHoraires(ctx, sites)
	return sites[0], err
}

type creneauRow struct {
	OwnerID int64  `db:"owner_id"`
	Jour    int    `db:"jour"`
	Debut   string `db:"debut"`
	Fin     string `db:"fin"`
}

func (r creneauRow) creneau() domain.Creneau {
	return domain.Creneau{Jour: domain.JourNom(r.Jour), Debut: r.Debut, Fin: r.Fin}
}

// creneauColumns reads a timetable row's times as HH:MM.
const creneauColumns = `jour, to_char(debut, 'HH24:MI') AS debut, to_char(fin, 'HH24:MI') AS fin`

// loadSiteHoraires fills the opening hours of every site in one query.
func (s *Store) loadSiteHoraires(ctx context.Context, sites []domain.Site) error {
	if len(sites) == 0 {
		return nil
	}
	ids := make([]int64, len(sites))
	byID := make(map[int64]int, len(sites))
	for i := range sites {
		ids[i] = sites[i].ID
		byID[sites[i].ID] = i
		sites[i].HorairesOuverture = []domain.Creneau{}
	}
	var rows []creneauRow
	err := s.q.SelectContext(ctx, &rows, `SELECT site_id AS owner_id, `+creneauColumns+` FROM site_horaires
		WHERE site_id = ANY($1) ORDER BY site_id, jour, debut`, pq.Array(ids))
	if err != nil {
		return wrap("load site horaires", err)
	}
	for _, r := range rows {
		i := byID[r.OwnerID]
		sites[i].HorairesOuverture = append(sites[i].HorairesOuverture, r.creneau())
	}
	return nil
}

// replaceCreneaux writes a weekly timetable in place of the old one.
func (s *Store) replaceCreneaux(ctx context.Context, table, owner string, id int64, cs []domain.Creneau) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+owner+` = $1`, id); err != nil {
		return wrap("replace "+table, err)
	}
	for _, c := range cs {
		_, err := s.q.ExecContext(ctx, `INSERT INTO `+table+` (`+owner+`, jour, debut, fin) VALUES ($1, $2, $3::time, $4::time)`,
			id, domain.JourISO(c.Jour), c.Debut, c.Fin)
		if err != nil {
			return wrap("replace "+table, err)
		}
	}
	return nil
}

// checkClient turns a missing client into a 422 on client_id.
func (s *Store) checkClient(ctx context.Context, id int64) error {
	var ok bool
	if err := s.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1)`, id); err != nil {
		return wrap("check client", err)
	}
	if !ok {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "client_id", Message: "client introuvable"}}}
	}
	return nil
}

// CreateSite inserts a site with its opening hours and records it in historique.
func (s *Store) CreateSite(ctx context.Context, in domain.SiteInput, acteur int64) (domain.Site, error) {
	var site domain.Site
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.checkClient(ctx, *in.ClientID); err != nil {
			return err
		}
		var id int64
		err := tx.q.GetContext(ctx, &id, `INSERT INTO sites (client_id, nom, adresse, ville, latitude, longitude)
			VALUES ($1, $2, COALESCE($3, ''), COALESCE($4, ''), $5, $6) RETURNING id`,
			*in.ClientID, *in.Nom, in.Adresse, in.Ville, *in.Latitude, *in.Longitude)
		if err != nil {
			return wrap("create site", err)
		}
		if in.HorairesOuverture != nil {
			if err := tx.replaceCreneaux(ctx, "site_horaires", "site_id", id, *in.HorairesOuverture); err != nil {
				return err
			}
		}
		if site, err = tx.GetSite(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "site", EntiteID: id, Action: "creation", ActeurID: &acteur, Changements: site})
	})
	return site, err
}

// UpdateSite changes the fields set in in (the whole timetable when given) and records the old
// and new values.
func (s *Store) UpdateSite(ctx context.Context, id int64, in domain.SiteInput, acteur int64) (domain.Site, error) {
	var site domain.Site
	err := s.InTx(ctx, func(tx *Store) error {
		var locked int64
		if err := tx.q.GetContext(ctx, &locked, `SELECT id FROM sites WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("update site", err)
		}
		old, err := tx.GetSite(ctx, domain.Principal{}, id)
		if err != nil {
			return err
		}
		if in.ClientID != nil {
			if err := tx.checkClient(ctx, *in.ClientID); err != nil {
				return err
			}
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE sites SET client_id = COALESCE($2, client_id), nom = COALESCE($3, nom),
				adresse = COALESCE($4, adresse), ville = COALESCE($5, ville),
				latitude = COALESCE($6, latitude), longitude = COALESCE($7, longitude), updated_at = now()
			WHERE id = $1`, id, in.ClientID, in.Nom, in.Adresse, in.Ville, in.Latitude, in.Longitude)
		if err != nil {
			return wrap("update site", err)
		}
		if in.HorairesOuverture != nil {
			if err := tx.replaceCreneaux(ctx, "site_horaires", "site_id", id, *in.HorairesOuverture); err != nil {
				return err
			}
		}
		if site, err = tx.GetSite(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "site", EntiteID: id, Action: "modification",
			ActeurID: &acteur, Changements: diff(old, site)})
	})
	return site, err
}

// DeleteSite removes a site no equipment stands at; otherwise it is a conflict.
func (s *Store) DeleteSite(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		var locked int64
		if err := tx.q.GetContext(ctx, &locked, `SELECT id FROM sites WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("delete site", err)
		}
		var used bool
		if err := tx.q.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM equipements WHERE site_id = $1)`, id); err != nil {
			return wrap("delete site", err)
		}
		if used {
			return domain.Conflictf("des équipements se trouvent sur ce site: déplacez-les d'abord")
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM sites WHERE id = $1`, id); err != nil {
			return wrap("delete site", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "site", EntiteID: id, Action: "suppression", ActeurID: &acteur})
	})
}
