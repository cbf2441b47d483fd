package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/domain"
)

// Document is a stored file's row (seed shape). The storage key (chemin_fichier) and the key
// fingerprint never leave the server.
type Document struct {
	ID             int64      `db:"id" json:"id"`
	Nom            string     `db:"nom" json:"nom"`
	TypeDocument   string     `db:"type_document" json:"type_document"`
	CheminFichier  string     `db:"chemin_fichier" json:"-"`
	Taille         int64      `db:"taille" json:"taille"`
	MimeType       string     `db:"mime_type" json:"mime_type"`
	Checksum       string     `db:"checksum" json:"checksum"`
	IsEncrypted    bool       `db:"is_encrypted" json:"is_encrypted"`
	IsSensitive    bool       `db:"is_sensitive" json:"is_sensitive"`
	Version        int        `db:"version" json:"version"`
	InterventionID *int64     `db:"intervention_id" json:"intervention_id"`
	EquipementID   *int64     `db:"equipement_id" json:"equipement_id"`
	UploadeurID    *int64     `db:"uploadeur_id" json:"uploadeur_id"`
	DateUpload     time.Time  `db:"date_upload" json:"date_upload"`
	DeletedAt      *time.Time `db:"deleted_at" json:"-"`
	CleID          *string    `db:"cle_id" json:"-"`
	GenerationKey  *string    `db:"generation_key" json:"-"`
}

const documentColumns = `d.id, d.nom, d.type_document, d.chemin_fichier, d.taille, d.mime_type, d.checksum,
	d.is_encrypted, d.is_sensitive, d.version, d.intervention_id, d.equipement_id, d.uploadeur_id,
	d.date_upload, d.deleted_at, d.cle_id, d.generation_key`

// NewDocument is a file already written to the vault, to record.
type NewDocument struct {
	Nom            string
	TypeDocument   string
	Blob           documents.Blob
	MimeType       string
	IsSensitive    bool
	InterventionID *int64
	EquipementID   *int64
	UploadeurID    *int64
	// GenerationKey makes the insert idempotent (generated reports): an existing row with the
	// same key is returned instead.
	GenerationKey string
}

// InsertDocument records a stored file as the next version of (owner, type, name), with its
// historique row, in one transaction. created is false when GenerationKey matched an existing
// row (nothing written).
func (s *Store) InsertDocument(ctx context.Context, n NewDocument) (doc Document, created bool, err error) {
	err = s.InTx(ctx, func(tx *Store) error {
		if n.GenerationKey != "" {
			err := tx.q.GetContext(ctx, &doc, `SELECT `+documentColumns+` FROM documents d WHERE d.generation_key = $1`, n.GenerationKey)
			if err == nil {
				return nil
			}
			if err = wrap("insert document", err); !errors.Is(err, domain.ErrNotFound) {
				return err
			}
		}
		// Versions of one (owner, type, name) are numbered under a transaction-scoped lock, so two
		// simultaneous uploads get 1 and 2 rather than a conflict.
		lockKey := fmt.Sprintf("documents:%d:%d:%s:%s", deref(n.InterventionID), deref(n.EquipementID), n.TypeDocument, n.Nom)
		if _, err := tx.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, lockKey); err != nil {
			return wrap("insert document", err)
		}
		var key *string
		if n.GenerationKey != "" {
			key = &n.GenerationKey
		}
		var cle *string
		if n.Blob.KeyID != "" {
			cle = &n.Blob.KeyID
		}
		err := tx.q.GetContext(ctx, &doc, `
			INSERT INTO documents AS d (nom, type_document, chemin_fichier, taille, mime_type, checksum,
				is_encrypted, is_sensitive, version, intervention_id, equipement_id, uploadeur_id, cle_id, generation_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
				(SELECT COALESCE(max(version), 0) + 1 FROM documents
				 WHERE COALESCE(intervention_id, 0) = COALESCE($9::bigint, 0) AND COALESCE(equipement_id, 0) = COALESCE($10::bigint, 0)
				   AND type_document = $2 AND nom = $1),
				$9, $10, $11, $12, $13)
			RETURNING `+documentColumns,
			n.Nom, n.TypeDocument, n.Blob.Key, n.Blob.Size, n.MimeType, n.Blob.Checksum, n.Blob.Encrypted,
			n.IsSensitive, n.InterventionID, n.EquipementID, n.UploadeurID, cle, key)
		if err != nil {
			return wrap("insert document", err)
		}
		created = true
		return tx.RecordHistorique(ctx, HistoriqueEntry{
			Entite: "document", EntiteID: doc.ID, Action: "upload", ActeurID: n.UploadeurID,
			Changements: map[string]any{
				"nom": doc.Nom, "type_document": doc.TypeDocument, "version": doc.Version, "taille": doc.Taille,
				"mime_type": doc.MimeType, "checksum": doc.Checksum, "is_encrypted": doc.IsEncrypted,
				"intervention_id": doc.InterventionID, "equipement_id": doc.EquipementID,
			},
		})
	})
	return doc, created, err
}

// documentVisibility limits documents (alias d) to what p may see (casbin/policy.csv says the
// same in words). A client sees the documents of interventions it may see and of equipment under
// its contracts. A technicien sees the documents of his work: those of the interventions assigned
// to him, and the non-sensitive ones of the equipment he works on (attached to the machine or to
// another of its interventions: its manuals, earlier reports); a sensitive document only when it
// belongs to one of his interventions.
func documentVisibility(p domain.Principal, arg int) (string, []any) {
	switch p.Role {
	case domain.RoleClient:
		if p.ClientID == nil {
			return "FALSE", nil
		}
		return fmt.Sprintf(`EXISTS (SELECT 1 FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
		WHERE c.client_id = $%d AND ce.equipement_id = COALESCE(
			(SELECT i.equipement_id FROM interventions i WHERE i.id = d.intervention_id), d.equipement_id))`, arg), []any{*p.ClientID}
	case domain.RoleTechnicien:
		if p.TechnicienID == nil {
			return "FALSE", nil
		}
		return fmt.Sprintf(`(EXISTS (SELECT 1 FROM interventions i WHERE i.id = d.intervention_id AND i.technicien_id = $%[1]d)
		OR NOT d.is_sensitive AND EXISTS (SELECT 1 FROM interventions w WHERE w.technicien_id = $%[1]d
			AND w.equipement_id = COALESCE((SELECT i.equipement_id FROM interventions i WHERE i.id = d.intervention_id), d.equipement_id)))`, arg),
			[]any{*p.TechnicienID}
	}
	return "TRUE", nil
}

// GetDocument returns a live (not deleted) document that p may see, or domain.ErrNotFound.
func (s *Store) GetDocument(ctx context.Context, p domain.Principal, id int64) (Document, error) {
	cond, args := documentVisibility(p, 2)
	var d Document
	err := s.q.GetContext(ctx, &d, `SELECT `+documentColumns+` FROM documents d
		WHERE d.id = $1 AND d.deleted_at IS NULL AND `+cond, append([]any{id}, args...)...)
	return d, wrap("get document", err)
}

// GetDocumentByGenerationKey returns the generated document recorded under key.
func (s *Store) GetDocumentByGenerationKey(ctx context.Context, key string) (Document, error) {
	var d Document
	err := s.q.GetContext(ctx, &d, `SELECT `+documentColumns+` FROM documents d WHERE d.generation_key = $1`, key)
	return d, wrap("get document by generation key", err)
}

// DocumentFilter selects documents in a list; zero fields do not filter.
type DocumentFilter struct {
	InterventionID int64
	// EquipementID selects the documents of the equipment and of its interventions.
	EquipementID int64
	TypeDocument string
	// AllVersions lists every version; by default only the latest of each (owner, type, name).
	AllVersions bool
}

// ListDocuments returns one page of the live documents p may see, newest first, and the total.
func (s *Store) ListDocuments(ctx context.Context, p domain.Principal, f DocumentFilter, limit, offset int) ([]Document, int, error) {
	cond, args := documentVisibility(p, 1)
	conds := []string{"d.deleted_at IS NULL", cond}
	add := func(c string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(c, len(args)))
	}
	if f.InterventionID > 0 {
		add("d.intervention_id = $%d", f.InterventionID)
	}
	if f.EquipementID > 0 {
		// An equipment's documents are those attached to it and those of its interventions
		// (reports, photos of a repair): what a reader of the equipment's file expects.
		add("COALESCE(d.equipement_id, (SELECT i.equipement_id FROM interventions i WHERE i.id = d.intervention_id)) = $%d", f.EquipementID)
	}
	if f.TypeDocument != "" {
		add("d.type_document = $%d", f.TypeDocument)
	}
	if !f.AllVersions {
		conds = append(conds, `NOT EXISTS (SELECT 1 FROM documents n WHERE n.deleted_at IS NULL
			AND COALESCE(n.intervention_id, 0) = COALESCE(d.intervention_id, 0) AND COALESCE(n.equipement_id, 0) = COALESCE(d.equipement_id, 0)
			AND n.type_document = d.type_document AND n.nom = d.nom AND n.version > d.version)`)
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := s.q.GetContext(ctx, &total, `SELECT count(*) FROM documents d WHERE `+where, args...); err != nil {
		return nil, 0, wrap("count documents", err)
	}
	out := []Document{}
	err := s.q.SelectContext(ctx, &out, fmt.Sprintf(`SELECT `+documentColumns+` FROM documents d WHERE `+where+`
		ORDER BY d.date_upload DESC, d.id DESC LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2), append(args, limit, offset)...)
	return out, total, wrap("list documents", err)
}

// ListDocumentVersions returns every live version of the document id (same owner, type and
// name), newest first.
func (s *Store) ListDocumentVersions(ctx context.Context, p domain.Principal, id int64) ([]Document, error) {
	cond, args := documentVisibility(p, 2)
	out := []Document{}
	err := s.q.SelectContext(ctx, &out, `SELECT `+documentColumns+` FROM documents d
		JOIN documents o ON o.id = $1 AND o.deleted_at IS NULL
			AND COALESCE(o.intervention_id, 0) = COALESCE(d.intervention_id, 0) AND COALESCE(o.equipement_id, 0) = COALESCE(d.equipement_id, 0)
			AND o.type_document = d.type_document AND o.nom = d.nom
		WHERE d.deleted_at IS NULL AND `+cond+` ORDER BY d.version DESC`, append([]any{id}, args...)...)
	if err == nil && len(out) == 0 {
		return nil, wrap("list document versions", domain.ErrNotFound)
	}
	return out, wrap("list document versions", err)
}

// SoftDeleteDocument marks a document deleted (the file stays, for the audit) and records who
// did it.
func (s *Store) SoftDeleteDocument(ctx context.Context, p domain.Principal, id int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		d, err := tx.GetDocument(ctx, p, id)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE documents SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`, id); err != nil {
			return wrap("delete document", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{
			Entite: "document", EntiteID: id, Action: "suppression", ActeurID: &p.UserID,
			Changements: map[string]any{"nom": d.Nom, "type_document": d.TypeDocument, "version": d.Version,
				"intervention_id": d.InterventionID, "equipement_id": d.EquipementID},
		})
	})
}

// DocumentsToRotate returns up to limit encrypted documents (deleted ones included: their files
// are still on disk) whose key is not currentKeyID, in id order after afterID.
func (s *Store) DocumentsToRotate(ctx context.Context, currentKeyID string, afterID int64, limit int) ([]Document, error) {
	out := []Document{}
	err := s.q.SelectContext(ctx, &out, `SELECT `+documentColumns+` FROM documents d
		WHERE d.is_encrypted AND d.cle_id IS DISTINCT FROM $1 AND d.id > $2 ORDER BY d.id LIMIT $3`,
		currentKeyID, afterID, limit)
	return out, wrap("documents to rotate", err)
}

// CountDocumentsToRotate counts the encrypted documents not sealed with currentKeyID.
func (s *Store) CountDocumentsToRotate(ctx context.Context, currentKeyID string) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM documents WHERE is_encrypted AND cle_id IS DISTINCT FROM $1`, currentKeyID)
	return n, wrap("count documents to rotate", err)
}

// SetDocumentKey records that a document's file is now sealed with keyID.
func (s *Store) SetDocumentKey(ctx context.Context, id int64, keyID string) error {
	_, err := s.q.ExecContext(ctx, `UPDATE documents SET cle_id = $2 WHERE id = $1`, id, keyID)
	return wrap("set document key", err)
}

// InterventionReportData reads everything the intervention report shows, in two queries.
// p limits what may be read (domain.ErrNotFound otherwise); activities pass a system principal.
func (s *Store) InterventionReportData(ctx context.Context, p domain.Principal, id int64) (documents.ReportData, domain.Intervention, error) {
	cond, args := interventionVisibility(p, 2)
	// The client named on the report: the one(s) whose contract covered the equipment when the
	// intervention was created (any contract on it otherwise); a client reading the report sees
	// only its own name, never another client's.
	clientCond := "TRUE"
	if p.Role == domain.RoleClient && len(args) == 1 {
		clientCond = "c.client_id = $2"
	}
	var row struct {
		domain.Intervention
		EqNom      string  `db:"eq_nom"`
		EqType     string  `db:"eq_type"`
		EqLoc      string  `db:"eq_localisation"`
		EqSerie    string  `db:"eq_numero_serie"`
		ClientNom  *string `db:"client_nom"`
		TechNom    *string `db:"tech_nom"`
		TechPrenom *string `db:"tech_prenom"`
	}
	err := s.q.GetContext(ctx, &row, `
		SELECT `+interventionColumns+`, e.nom AS eq_nom, e.type AS eq_type, e.localisation AS eq_localisation,
			e.numero_serie AS eq_numero_serie,
			COALESCE(
				(SELECT string_agg(DISTINCT cl.nom, ', ') FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
					JOIN clients cl ON cl.id = c.client_id WHERE ce.equipement_id = e.id AND `+clientCond+`
					AND (i.date_creation AT TIME ZONE 'Africa/Casablanca')::date BETWEEN c.date_debut AND c.date_fin),
				(SELECT string_agg(DISTINCT cl.nom, ', ') FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
					JOIN clients cl ON cl.id = c.client_id WHERE ce.equipement_id = e.id AND `+clientCond+`)) AS client_nom,
			tu.nom AS tech_nom, tu.prenom AS tech_prenom
		FROM interventions i
		JOIN equipements e ON e.id = i.equipement_id
		LEFT JOIN techniciens t ON t.id = i.technicien_id
		LEFT JOIN users tu ON tu.id = t.user_id
		WHERE i.id = $1 AND `+cond, append([]any{id}, args...)...)
	if err != nil {
		return documents.ReportData{}, domain.Intervention{}, wrap("report data", err)
	}
	in := row.Intervention
	d := documents.ReportData{
		InterventionID: in.ID, Titre: in.Titre, Description: in.Description, Type: in.TypeIntervention.Label(),
		Priorite: in.Priorite.Label(), Statut: in.Statut.Label(), DateCreation: in.DateCreation,
		DateDebut: in.DateDebut, DateFin: in.DateFin, DateLimite: in.DateLimite, Rapport: deref(in.Rapport),
		TempsPasse: in.TempsPasse, Equipement: row.EqNom, EquipementType: row.EqType, Localisation: row.EqLoc,
		NumeroSerie: row.EqSerie, Client: deref(row.ClientNom),
		Technicien: strings.TrimSpace(deref(row.TechPrenom) + " " + deref(row.TechNom)),
	}
	var parts []domain.Consommation
	if err := s.q.SelectContext(ctx, &parts, consommationSelect+` WHERE c.intervention_id = $1 ORDER BY lower(p.reference), c.id`, id); err != nil {
		return documents.ReportData{}, domain.Intervention{}, wrap("report parts", err)
	}
	for _, c := range parts {
		d.Pieces = append(d.Pieces, documents.ReportPiece{Reference: c.Reference, Designation: c.Designation, Emplacement: c.EmplacementNom,
			Quantite: c.Quantite, Unite: c.Unite, CoutUnitaire: c.CoutUnitaire, CoutTotal: c.CoutTotal})
	}
	items, err := s.InterventionChecklist(ctx, id)
	if err != nil {
		return documents.ReportData{}, domain.Intervention{}, err
	}
	for _, it := range items {
		d.Checklist = append(d.Checklist, documents.ChecklistLine{Libelle: it.Libelle, Valeur: deref(it.Valeur), Unite: deref(it.Unite),
			Obligatoire: it.Obligatoire, HorsLimites: it.HorsLimites})
	}
	var events []struct {
		Date        time.Time `db:"date_action"`
		Action      string    `db:"action"`
		Acteur      *string   `db:"acteur"`
		Changements string    `db:"changements"`
	}
	err = s.q.SelectContext(ctx, &events, `
		SELECT h.date_action, h.action, NULLIF(trim(COALESCE(u.prenom, '') || ' ' || COALESCE(u.nom, '')), '') AS acteur,
			h.changements::text AS changements
		FROM historique h LEFT JOIN users u ON u.id = h.acteur_id
		WHERE h.entite = 'intervention' AND h.entite_id = $1 ORDER BY h.date_action, h.id LIMIT 500`, id)
	if err != nil {
		return documents.ReportData{}, domain.Intervention{}, wrap("report timeline", err)
	}
	for _, e := range events {
		d.Timeline = append(d.Timeline, documents.TimelineEntry{Date: e.Date, Action: e.Action, Acteur: deref(e.Acteur), Changements: e.Changements})
	}
	return d, in, nil
}

// EquipementVisible returns nil when the equipment exists and p may see it, domain.ErrNotFound
// otherwise.
func (s *Store) EquipementVisible(ctx context.Context, p domain.Principal, id int64) error {
	args := []any{id}
	cond := "TRUE"
	if p.Role == domain.RoleClient {
		if p.ClientID == nil {
			return wrap("equipement visible", domain.ErrNotFound)
		}
		cond = `EXISTS (SELECT 1 FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
			WHERE ce.equipement_id = e.id AND c.client_id = $2)`
		args = append(args, *p.ClientID)
	}
	var one int
	err := s.q.GetContext(ctx, &one, `SELECT 1 FROM equipements e WHERE e.id = $1 AND `+cond, args...)
	return wrap("equipement visible", err)
}

// EquipementInWork reports whether the technicien has (or had) an intervention on the equipment:
// the equipment he may attach documents to.
func (s *Store) EquipementInWork(ctx context.Context, technicienID, equipementID int64) (bool, error) {
	var ok bool
	err := s.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM interventions WHERE technicien_id = $1 AND equipement_id = $2)`,
		technicienID, equipementID)
	return ok, wrap("equipement in work", err)
}
