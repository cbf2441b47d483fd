package storage

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// The asset hierarchy (issue 14): zones and lines of a site, equipment placed in them and under
// each other, criticality. Client accounts see their own sites' zones and the equipment under
// their contracts (the same rule as the equipment list); anything else is not found.

func sameID(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// leaveZoneForNewSite keeps an equipment whose site changed through the equipment API
// consistent: it leaves its zone; an equipment attached to a parent or holding children must be
// moved with the hierarchy (PUT /actifs/{id}/deplacement), which moves them together.
func (s *Store) leaveZoneForNewSite(ctx context.Context, e domain.Equipement) (domain.Equipement, error) {
	var children bool
	if err := s.q.GetContext(ctx, &children, `SELECT EXISTS (SELECT 1 FROM equipements WHERE parent_id = $1)`, e.ID); err != nil {
		return e, wrap("leave zone", err)
	}
	if e.ParentID != nil || children {
		return e, &domain.ValidationError{Fields: []domain.FieldError{{Field: "site_id",
			Message: "équipement rattaché à un parent ou à des sous-équipements: déplacez-le avec PUT /api/v1/actifs/{id}/deplacement"}}}
	}
	err := s.q.GetContext(ctx, &e, `UPDATE equipements AS e SET zone_id = NULL WHERE e.id = $1 RETURNING `+equipementColumns, e.ID)
	return e, wrap("leave zone", err)
}

const zoneSelect = `SELECT z.id, z.site_id, s.nom AS site_nom, s.client_id, z.nom, z.type,
	(SELECT count(*) FROM equipements e WHERE e.zone_id = z.id) AS equipements_count, z.date_creation, z.updated_at
FROM zones z JOIN sites s ON s.id = z.site_id`

// ZoneFiltre selects zones.
type ZoneFiltre struct {
	SiteID *int64
	Type   *domain.TypeZone
}

// ListZones returns one page of the zones p may see and the total.
func (s *Store) ListZones(ctx context.Context, p domain.Principal, f ZoneFiltre, page Page) ([]domain.Zone, int, error) {
	w := &where{}
	siteVisibility(p, w)
	if f.SiteID != nil {
		w.add("z.site_id = ?", *f.SiteID)
	}
	if f.Type != nil {
		w.add("z.type = ?", *f.Type)
	}
	total, err := s.count(ctx, "count zones", "zones z JOIN sites s ON s.id = z.site_id", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Zone{}
	err = s.q.SelectContext(ctx, &out, zoneSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY z.site_id, lower(z.nom), z.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list zones", err)
}

// GetZone returns one zone p may see.
func (s *Store) GetZone(ctx context.Context, p domain.Principal, id int64) (domain.Zone, error) {
	w := &where{}
	w.add("z.id = ?", id)
	siteVisibility(p, w)
	var z domain.Zone
	err := s.q.GetContext(ctx, &z, zoneSelect+` WHERE `+w.sql(), w.args...)
	return z, wrap("get zone", err)
}

func (s *Store) checkSite(ctx context.Context, id int64) error {
	var ok bool
	if err := s.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM sites WHERE id = $1)`, id); err != nil {
		return wrap("check site", err)
	}
	if !ok {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "site_id", Message: "site introuvable"}}}
	}
	return nil
}

// CreateZone adds a zone or line to a site and records it.
func (s *Store) CreateZone(ctx context.Context, in domain.ZoneInput, acteur int64) (domain.Zone, error) {
	var z domain.Zone
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.checkSite(ctx, *in.SiteID); err != nil {
			return err
		}
		typ := domain.ZoneZone
		if in.Type != nil {
			typ = *in.Type
		}
		var id int64
		if err := tx.q.GetContext(ctx, &id, `INSERT INTO zones (site_id, nom, type) VALUES ($1, $2, $3) RETURNING id`, *in.SiteID, *in.Nom, typ); err != nil {
			return wrap("create zone", err)
		}
		var err error
		if z, err = tx.GetZone(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "zone", EntiteID: id, Action: "creation", ActeurID: &acteur, Changements: z})
	})
	return z, err
}

// UpdateZone renames a zone or changes its kind; a zone holding equipment keeps its site (its
// equipment would otherwise stand on two sites).
func (s *Store) UpdateZone(ctx context.Context, id int64, in domain.ZoneInput, acteur int64) (domain.Zone, error) {
	var z domain.Zone
	err := s.InTx(ctx, func(tx *Store) error {
		var old domain.Zone
		if err := tx.q.GetContext(ctx, &old, zoneSelect+` WHERE z.id = $1 FOR UPDATE OF z`, id); err != nil {
			return wrap("update zone", err)
		}
		if in.SiteID != nil && *in.SiteID != old.SiteID {
			if old.EquipementsCount > 0 {
				return domain.Conflictf("la zone contient des équipements: déplacez-les avant de changer son site")
			}
			if err := tx.checkSite(ctx, *in.SiteID); err != nil {
				return err
			}
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE zones SET site_id = COALESCE($2, site_id), nom = COALESCE($3, nom),
			type = COALESCE($4, type), updated_at = now() WHERE id = $1`, id, in.SiteID, in.Nom, in.Type); err != nil {
			return wrap("update zone", err)
		}
		var err error
		if z, err = tx.GetZone(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "zone", EntiteID: id, Action: "modification", ActeurID: &acteur, Changements: diff(old, z)})
	})
	return z, err
}

// DeleteZone removes an empty zone; one holding equipment is a conflict.
func (s *Store) DeleteZone(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		var locked int64
		if err := tx.q.GetContext(ctx, &locked, `SELECT id FROM zones WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("delete zone", err)
		}
		var used bool
		if err := tx.q.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM equipements WHERE zone_id = $1)`, id); err != nil {
			return wrap("delete zone", err)
		}
		if used {
			return domain.Conflictf("des équipements se trouvent dans cette zone: déplacez-les d'abord")
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM zones WHERE id = $1`, id); err != nil {
			return wrap("delete zone", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "zone", EntiteID: id, Action: "suppression", ActeurID: &acteur})
	})
}

const actifSelect = `SELECT e.id, e.nom, e.type, e.numero_serie, e.statut, e.criticite, e.site_id, e.zone_id, e.parent_id,
	(SELECT count(*) FROM equipements c WHERE c.parent_id = e.id) AS enfants_count,
	(SELECT count(*) FROM interventions i WHERE i.equipement_id = e.id AND i.statut NOT IN ('terminee', 'annulee')) AS interventions_ouvertes
FROM equipements e`

// ListActifs returns one page of the assets p may see matching f, by site, zone and name.
func (s *Store) ListActifs(ctx context.Context, p domain.Principal, f domain.ActifFiltre, page Page) ([]domain.Actif, int, error) {
	w := &where{}
	equipementVisibility(p, w)
	if f.SiteID != nil {
		w.add("e.site_id = ?", *f.SiteID)
	}
	if f.ZoneID != nil {
		w.add("e.zone_id = ?", *f.ZoneID)
	}
	if f.ParentID != nil {
		w.add("e.parent_id = ?", *f.ParentID)
	}
	if f.Racines != nil {
		w.add("(e.parent_id IS NULL) = ?", *f.Racines)
	}
	if f.Criticite != nil {
		w.add("e.criticite = ?", *f.Criticite)
	}
	total, err := s.count(ctx, "count actifs", "equipements e", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Actif{}
	err = s.q.SelectContext(ctx, &out, actifSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY e.site_id NULLS LAST, e.zone_id NULLS LAST, lower(e.nom), e.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list actifs", err)
}

// GetActif returns one asset p may see.
func (s *Store) GetActif(ctx context.Context, p domain.Principal, id int64) (domain.Actif, error) {
	w := &where{}
	w.add("e.id = ?", id)
	equipementVisibility(p, w)
	var a domain.Actif
	err := s.q.GetContext(ctx, &a, actifSelect+` WHERE `+w.sql(), w.args...)
	return a, wrap("get actif", err)
}

// ArbreActifs returns the tree of the sites p may see (one site with siteID): each site's zones
// with their equipment, then the equipment in no zone, children under their parents. A client
// sees only its sites and the equipment under its contracts. At most 5 000 equipment are read.
func (s *Store) ArbreActifs(ctx context.Context, p domain.Principal, siteID, clientID *int64) ([]domain.ArbreSite, error) {
	ws := &where{}
	siteVisibility(p, ws)
	if siteID != nil {
		ws.add("s.id = ?", *siteID)
	}
	if clientID != nil {
		ws.add("s.client_id = ?", *clientID)
	}
	var sites []struct {
		ID       int64  `db:"id"`
		Nom      string `db:"nom"`
		Ville    string `db:"ville"`
		ClientID int64  `db:"client_id"`
	}
	if err := s.q.SelectContext(ctx, &sites, `SELECT s.id, s.nom, s.ville, s.client_id FROM sites s WHERE `+ws.sql()+
		` ORDER BY s.client_id, lower(s.nom), s.id LIMIT 500`, ws.args...); err != nil {
		return nil, wrap("arbre sites", err)
	}
	if siteID != nil && len(sites) == 0 {
		return nil, domain.ErrNotFound
	}
	ids := make([]int64, len(sites))
	for i, st := range sites {
		ids[i] = st.ID
	}
	var zones []domain.Zone
	if err := s.q.SelectContext(ctx, &zones, zoneSelect+` WHERE z.site_id = ANY($1) ORDER BY lower(z.nom), z.id`, pq.Array(ids)); err != nil {
		return nil, wrap("arbre zones", err)
	}
	we := &where{}
	we.add("e.site_id = ANY(?)", pq.Array(ids))
	equipementVisibility(p, we)
	var actifs []domain.Actif
	if err := s.q.SelectContext(ctx, &actifs, actifSelect+` WHERE `+we.sql()+` ORDER BY lower(e.nom), e.id LIMIT 5000`, we.args...); err != nil {
		return nil, wrap("arbre actifs", err)
	}
	children := map[int64][]domain.Actif{}
	visible := map[int64]bool{}
	for _, a := range actifs {
		visible[a.ID] = true
	}
	var roots []domain.Actif
	for _, a := range actifs {
		if a.ParentID != nil && visible[*a.ParentID] {
			children[*a.ParentID] = append(children[*a.ParentID], a)
		} else {
			roots = append(roots, a)
		}
	}
	var build func(a domain.Actif, depth int) domain.NoeudActif
	build = func(a domain.Actif, depth int) domain.NoeudActif {
		n := domain.NoeudActif{Actif: a, Enfants: []domain.NoeudActif{}}
		if depth > 50 { // the hierarchy refuses cycles; this only bounds a corrupted one
			return n
		}
		for _, c := range children[a.ID] {
			n.Enfants = append(n.Enfants, build(c, depth+1))
		}
		return n
	}
	out := make([]domain.ArbreSite, len(sites))
	bySite := map[int64]int{}
	byZone := map[int64][2]int{}
	for i, st := range sites {
		out[i] = domain.ArbreSite{ID: st.ID, Nom: st.Nom, Ville: st.Ville, ClientID: st.ClientID, Zones: []domain.ArbreZone{}, Equipements: []domain.NoeudActif{}}
		bySite[st.ID] = i
	}
	for _, z := range zones {
		i := bySite[z.SiteID]
		byZone[z.ID] = [2]int{i, len(out[i].Zones)}
		out[i].Zones = append(out[i].Zones, domain.ArbreZone{ID: z.ID, Nom: z.Nom, Type: z.Type, Equipements: []domain.NoeudActif{}})
	}
	for _, a := range roots {
		n := build(a, 0)
		if a.ZoneID != nil {
			if at, ok := byZone[*a.ZoneID]; ok {
				out[at[0]].Zones[at[1]].Equipements = append(out[at[0]].Zones[at[1]].Equipements, n)
				continue
			}
		}
		i := bySite[*a.SiteID]
		out[i].Equipements = append(out[i].Equipements, n)
	}
	return out, nil
}

// lockActif locks an equipment row and returns it.
func (s *Store) lockActif(ctx context.Context, id int64) (domain.Equipement, error) {
	var e domain.Equipement
	err := s.q.GetContext(ctx, &e, `SELECT `+equipementColumns+` FROM equipements e WHERE e.id = $1 FOR UPDATE`, id)
	return e, wrap("lock actif", err)
}

// MoveActif places an asset under a parent, into a zone or onto a site, with its whole subtree
// (the descendants take its site; their own zones are kept only when on that site), and records
// the move of each asset that moved in historique (action deplacement, old and new place).
func (s *Store) MoveActif(ctx context.Context, id int64, in domain.DeplacementInput, acteur int64) (domain.Actif, error) {
	var a domain.Actif
	err := s.InTx(ctx, func(tx *Store) error {
		// One lock for every move: two concurrent moves could otherwise build a cycle together.
		if _, err := tx.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('mif/actifs/deplacement'))`); err != nil {
			return wrap("move actif", err)
		}
		old, err := tx.lockActif(ctx, id)
		if err != nil {
			return err
		}
		var site, zone, parent *int64
		switch {
		case in.ParentID != nil:
			var par domain.Equipement
			if err := tx.q.GetContext(ctx, &par, `SELECT `+equipementColumns+` FROM equipements e WHERE e.id = $1`, *in.ParentID); err != nil {
				return fieldNotFound(err, "parent_id", "équipement introuvable")
			}
			var cycle bool
			if err := tx.q.GetContext(ctx, &cycle, `WITH RECURSIVE sub AS (
					SELECT id FROM equipements WHERE id = $1
					UNION SELECT e.id FROM equipements e JOIN sub ON e.parent_id = sub.id)
				SELECT EXISTS (SELECT 1 FROM sub WHERE id = $2)`, id, par.ID); err != nil {
				return wrap("move actif", err)
			}
			if cycle {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "parent_id", Message: "un équipement ne peut être placé sous lui-même ou sous un de ses sous-équipements"}}}
			}
			if par.Statut == domain.EquipementRetire {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "parent_id", Message: "équipement retiré du service"}}}
			}
			site, zone, parent = par.SiteID, par.ZoneID, &par.ID
		case in.ZoneID != nil:
			z, err := tx.GetZone(ctx, domain.Principal{}, *in.ZoneID)
			if err != nil {
				return fieldNotFound(err, "zone_id", "zone introuvable")
			}
			site, zone = &z.SiteID, &z.ID
		default:
			if err := tx.checkSite(ctx, *in.SiteID); err != nil {
				return err
			}
			site = in.SiteID
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE equipements SET site_id = $2, zone_id = $3, parent_id = $4, updated_at = now() WHERE id = $1`,
			id, site, zone, parent); err != nil {
			return wrap("move actif", err)
		}
		motif := ""
		if in.Motif != nil {
			motif = *in.Motif
		}
		if err := tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: id, Action: "deplacement", ActeurID: &acteur,
			Changements: map[string]any{
				"ancien":  map[string]any{"site_id": old.SiteID, "zone_id": old.ZoneID, "parent_id": old.ParentID},
				"nouveau": map[string]any{"site_id": site, "zone_id": zone, "parent_id": parent},
				"motif":   motif}}); err != nil {
			return err
		}
		// The subtree follows to the new site; a descendant's zone on another site is dropped.
		var moved []struct {
			ID      int64  `db:"id"`
			OldSite *int64 `db:"old_site"`
			OldZone *int64 `db:"old_zone"`
			NewZone *int64 `db:"new_zone"`
		}
		if err := tx.q.SelectContext(ctx, &moved, `WITH RECURSIVE sub AS (
				SELECT id FROM equipements WHERE parent_id = $1
				UNION SELECT e.id FROM equipements e JOIN sub ON e.parent_id = sub.id),
			old AS (SELECT e.id, e.site_id, e.zone_id FROM equipements e JOIN sub ON sub.id = e.id FOR UPDATE OF e)
			UPDATE equipements e SET site_id = $2,
				zone_id = CASE WHEN e.zone_id IN (SELECT z.id FROM zones z WHERE z.site_id = $2) THEN e.zone_id END, updated_at = now()
			FROM old WHERE old.id = e.id AND (old.site_id IS DISTINCT FROM $2)
			RETURNING e.id, old.site_id AS old_site, old.zone_id AS old_zone, e.zone_id AS new_zone`, id, site); err != nil {
			return wrap("move actif subtree", err)
		}
		for _, m := range moved {
			if err := tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: m.ID, Action: "deplacement", ActeurID: &acteur,
				Changements: map[string]any{
					"ancien":  map[string]any{"site_id": m.OldSite, "zone_id": m.OldZone},
					"nouveau": map[string]any{"site_id": site, "zone_id": m.NewZone},
					"motif":   fmt.Sprintf("suit l'équipement parent n°%d", id)}}); err != nil {
				return err
			}
		}
		a, err = tx.GetActif(ctx, domain.Principal{}, id)
		return err
	})
	return a, err
}

func fieldNotFound(err error, field, msg string) error {
	if err == nil {
		return nil
	}
	if isNotFound(err) {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: field, Message: msg}}}
	}
	return err
}

// SetCriticite changes an asset's criticality and records it.
func (s *Store) SetCriticite(ctx context.Context, id int64, c domain.Criticite, acteur int64) (domain.Actif, error) {
	var a domain.Actif
	err := s.InTx(ctx, func(tx *Store) error {
		old, err := tx.lockActif(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE equipements SET criticite = $2, updated_at = now() WHERE id = $1`, id, c); err != nil {
			return wrap("set criticite", err)
		}
		if err := tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: id, Action: "criticite", ActeurID: &acteur,
			Changements: map[string]any{"criticite": map[string]any{"ancien": old.Criticite, "nouveau": c}}}); err != nil {
			return err
		}
		a, err = tx.GetActif(ctx, domain.Principal{}, id)
		return err
	})
	return a, err
}

// EquipementCriticite returns the criticality of an equipment.
func (s *Store) EquipementCriticite(ctx context.Context, id int64) (domain.Criticite, error) {
	var c domain.Criticite
	err := s.q.GetContext(ctx, &c, `SELECT criticite FROM equipements WHERE id = $1`, id)
	return c, wrap("equipement criticite", err)
}

// RetirementImpact is what retiring an asset touches: its descendants (in service) and the
// unfinished interventions on it (and on its descendants when they are retired with it).
type RetirementImpact struct {
	Descendants   []int64
	Interventions []OpenIntervention
}

// OpenIntervention is an unfinished intervention and its workflow.
type OpenIntervention struct {
	ID         int64  `db:"id"`
	WorkflowID string `db:"workflow_id"`
}

// RetirementImpactOf lists the descendants of id not yet retired and the unfinished work on id,
// and on those descendants too when withChildren.
func (s *Store) RetirementImpactOf(ctx context.Context, id int64, withChildren bool) (RetirementImpact, error) {
	var out RetirementImpact
	if err := s.q.SelectContext(ctx, &out.Descendants, `WITH RECURSIVE sub AS (
			SELECT id FROM equipements WHERE parent_id = $1
			UNION SELECT e.id FROM equipements e JOIN sub ON e.parent_id = sub.id)
		SELECT e.id FROM equipements e JOIN sub ON sub.id = e.id WHERE e.statut <> 'retire' ORDER BY e.id`, id); err != nil {
		return out, wrap("retirement impact", err)
	}
	ids := []int64{id}
	if withChildren {
		ids = append(ids, out.Descendants...)
	}
	err := s.q.SelectContext(ctx, &out.Interventions, `SELECT id, workflow_id FROM interventions
		WHERE equipement_id = ANY($1) AND statut NOT IN ('terminee', 'annulee') ORDER BY id`, pq.Array(ids))
	return out, wrap("retirement impact", err)
}

// DetachChildren leaves the direct children of id in service without a parent, where they
// stand, and records it for each.
func (s *Store) DetachChildren(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		var ids []int64
		if err := tx.q.SelectContext(ctx, &ids, `UPDATE equipements SET parent_id = NULL, updated_at = now()
			WHERE parent_id = $1 RETURNING id`, id); err != nil {
			return wrap("detach children", err)
		}
		for _, c := range ids {
			if err := tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: c, Action: "deplacement", ActeurID: &acteur,
				Changements: map[string]any{"ancien": map[string]any{"parent_id": id}, "nouveau": map[string]any{"parent_id": nil},
					"motif": fmt.Sprintf("équipement parent n°%d retiré", id)}}); err != nil {
				return err
			}
		}
		return nil
	})
}
