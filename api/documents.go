package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/notify"
	"github.com/mifmaroc/mif/storage"
)

// delivery holds the dependencies of the documents, report, real-time and dev-mail endpoints.
type delivery struct {
	docs    *documents.Vault
	hub     *notify.Hub
	devMail *mail.Sink
}

// initDelivery takes the optional dependencies from d, or builds them from the configuration:
// a vault over MIF_DOCUMENTS_DIR with FERNET_KEYS (none: plain files only, sensitive uploads
// refused) and a notification hub on DATABASE_URL (it connects on the first stream).
func (s *Server) initDelivery(d Deps) error {
	s.dl = delivery{docs: d.Documents, hub: d.Notifications, devMail: d.DevMail}
	if s.dl.docs == nil {
		v, err := documents.Open(s.cfg.Documents.Dir, s.cfg.FernetKeys)
		if err != nil {
			return err
		}
		if s.tel != nil {
			v.SetTracerProvider(s.tel.TracerProvider())
		}
		s.dl.docs = v
	}
	if s.dl.hub == nil {
		log := s.log
		if log == nil {
			log = zap.NewNop()
		}
		s.dl.hub = notify.NewHub(s.cfg.DatabaseURL, log.Named("notify"))
	}
	return nil
}

// Bounds of the upload form fields.
const (
	typeDocumentMaxLen = 100
	formFieldMaxBytes  = 1024
)

type uploadForm struct {
	fileName       string
	content        []byte
	interventionID *int64
	equipementID   *int64
	typeDocument   string
	sensitive      bool
}

// errTooLarge marks an upload over MIF_DOCUMENT_MAX_BYTES.
var errTooLarge = errors.New("document trop volumineux")

// readUploadForm streams the multipart body: the file is read up to the limit plus one byte
// (so an oversized file is detected without being kept), the other fields up to 1 KiB each.
// fileOnly is for routes that fix the file's owner and type themselves (a request's photos): the
// form then carries the file alone.
func (s *Server) readUploadForm(r *http.Request, fileOnly bool) (uploadForm, error) {
	var f uploadForm
	var v domain.Validator
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return f, &domain.ValidationError{Fields: []domain.FieldError{{Field: "body", Message: "multipart/form-data attendu (champs file, intervention_id ou equipement_id, type_document)"}}}
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, &domain.ValidationError{Fields: []domain.FieldError{{Field: "body", Message: "corps multipart illisible"}}}
	}
	max := s.cfg.Documents.MaxBytes
	seenFile := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return f, multipartError(err)
		}
		name := part.FormName()
		if name == "" {
			v.Add("body", "partie multipart sans nom de champ")
			_, _ = io.Copy(io.Discard, io.LimitReader(part, max+1))
			continue
		}
		if !textOK(name) {
			v.Add("body", "nom de champ: %s", invalidTextMessage)
			_, _ = io.Copy(io.Discard, io.LimitReader(part, max+1))
			continue
		}
		if name == "file" {
			if seenFile {
				v.Add("file", "un seul fichier par envoi")
				continue
			}
			seenFile = true
			f.fileName = part.FileName()
			if !textOK(f.fileName) {
				v.Add("file", "nom de fichier: %s", invalidTextMessage)
			}
			b, err := io.ReadAll(io.LimitReader(part, max+1))
			if err != nil {
				return f, multipartError(err)
			}
			if int64(len(b)) > max {
				return f, errTooLarge
			}
			f.content = b
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, formFieldMaxBytes+1))
		if err != nil {
			return f, multipartError(err)
		}
		if fileOnly {
			v.Add(name, "champ inconnu")
			continue
		}
		val := strings.TrimSpace(string(b))
		if len(b) > formFieldMaxBytes {
			v.Add(name, "valeur trop longue")
			continue
		}
		if !textOK(val) {
			v.Add(name, invalidTextMessage)
			continue
		}
		switch name {
		case "intervention_id", "equipement_id":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 {
				v.Add(name, "identifiant positif attendu")
				continue
			}
			if name == "intervention_id" {
				f.interventionID = &n
			} else {
				f.equipementID = &n
			}
		case "type_document":
			f.typeDocument = val
		case "sensitive", "is_sensitive":
			b, err := strconv.ParseBool(strings.ToLower(val))
			if err != nil && val != "on" {
				v.Add(name, "booléen attendu (true ou false)")
				continue
			}
			f.sensitive = b || val == "on"
		default:
			v.Add(name, "champ inconnu")
		}
	}
	v.Check(seenFile, "file", "obligatoire")
	v.Check(!seenFile || len(f.content) > 0, "file", "fichier vide")
	if fileOnly {
		return f, v.Err()
	}
	v.Check(f.interventionID != nil || f.equipementID != nil, "intervention_id", "intervention_id ou equipement_id obligatoire")
	v.Check(f.typeDocument != "", "type_document", "obligatoire")
	v.Check(utf8.RuneCountInString(f.typeDocument) <= typeDocumentMaxLen, "type_document", "%d caractères au maximum", typeDocumentMaxLen)
	return f, v.Err()
}

func multipartError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return errTooLarge
	}
	return &domain.ValidationError{Fields: []domain.FieldError{{Field: "body", Message: "corps multipart illisible"}}}
}

// uploadDocument stores a file: type sniffed from the bytes and checked against the allow-list,
// name sanitised, checksum computed, encrypted when sensitive (and always for reports), recorded
// as the next version of (owner, type, name).
func (s *Server) uploadDocument(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	f, err := s.readUploadForm(r, false)
	if err != nil {
		s.uploadFailed(w, r, err)
		return
	}
	doc, ok := s.storeUpload(w, r, f, func() error { return s.checkUploadTarget(r, p, f) })
	if !ok {
		return
	}
	w.Header().Set("Location", "/api/v1/documents/"+strconv.FormatInt(doc.ID, 10))
	writeJSON(w, http.StatusCreated, doc)
}

// uploadFailed answers a form that could not be read: 413 for a file over the limit.
func (s *Server) uploadFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errTooLarge) {
		problem(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("document trop volumineux: %d octets au maximum", s.cfg.Documents.MaxBytes))
		return
	}
	s.fail(w, r, err)
}

// storeUpload stores the file of f: type sniffed from the bytes and checked against the
// allow-list (415), then checkTarget (the owner the file is attached to; ErrForbidden is a 403),
// name sanitised, checksum computed, encrypted when sensitive (and always for reports), recorded
// as the next version of (owner, type, name). It answers the failures itself (ok false).
func (s *Server) storeUpload(w http.ResponseWriter, r *http.Request, f uploadForm, checkTarget func() error) (storage.Document, bool) {
	ctx := r.Context()
	p := principalFrom(ctx)
	nom := documents.SanitizeName(f.fileName)
	mimeType, ok := documents.Sniff(f.content, nom)
	if !ok {
		problem(w, r, http.StatusUnsupportedMediaType, "type de fichier refusé ("+mimeType+"): PDF, images (PNG, JPEG, GIF, WebP, BMP), documents Office ou OpenDocument, texte ou CSV")
		return storage.Document{}, false
	}
	if err := checkTarget(); errors.Is(err, domain.ErrForbidden) {
		problem(w, r, http.StatusForbidden, "seul le technicien assigné joint des documents à une intervention ou à son équipement")
		return storage.Document{}, false
	} else if err != nil {
		s.fail(w, r, err)
		return storage.Document{}, false
	}
	encrypt := f.sensitive || f.typeDocument == "rapport_intervention"
	blob, err := s.dl.docs.PutContext(ctx, f.content, encrypt)
	if errors.Is(err, documents.ErrNoKeys) {
		problem(w, r, http.StatusServiceUnavailable, "chiffrement indisponible: aucune clé FERNET_KEYS configurée")
		return storage.Document{}, false
	}
	if err != nil {
		s.fail(w, r, err)
		return storage.Document{}, false
	}
	doc, _, err := s.store.InsertDocument(ctx, storage.NewDocument{
		Nom: nom, TypeDocument: f.typeDocument, Blob: blob, MimeType: mimeType, IsSensitive: f.sensitive,
		InterventionID: f.interventionID, EquipementID: f.equipementID, UploadeurID: &p.UserID,
	})
	if err != nil {
		_ = s.dl.docs.Delete(blob.Key) // the row was not written: do not keep an orphan file
		s.fail(w, r, err)
		return storage.Document{}, false
	}
	return doc, true
}

// checkUploadTarget verifies the intervention or equipment the file is attached to: it must
// exist and be visible to the caller (422 otherwise), a technicien attaches files only to the
// interventions assigned to him and to the equipment of those (403), and equipement_id, when given with an intervention, must
// be that intervention's equipment.
func (s *Server) checkUploadTarget(r *http.Request, p domain.Principal, f uploadForm) error {
	ctx := r.Context()
	if f.interventionID != nil {
		d, err := s.store.GetInterventionDetail(ctx, p, *f.interventionID)
		if errors.Is(err, domain.ErrNotFound) {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "intervention_id", Message: "intervention introuvable"}}}
		}
		if err != nil {
			return err
		}
		if p.Role == domain.RoleTechnicien && (p.TechnicienID == nil || d.TechnicienID == nil || *d.TechnicienID != *p.TechnicienID) {
			return fmt.Errorf("%w: intervention d'un autre technicien", domain.ErrForbidden)
		}
		if f.equipementID != nil && *f.equipementID != d.EquipementID {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_id", Message: "ne correspond pas à l'équipement de l'intervention"}}}
		}
		return nil
	}
	err := s.store.EquipementVisible(ctx, p, *f.equipementID)
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_id", Message: "équipement introuvable"}}}
	}
	if err != nil || p.Role != domain.RoleTechnicien {
		return err
	}
	// The same relation as for interventions: a technicien reads every machine, but attaches
	// files (a new version of a document the client reads included) only to those he works on.
	if p.TechnicienID == nil {
		return fmt.Errorf("%w: aucun profil technicien", domain.ErrForbidden)
	}
	ok, err := s.store.EquipementInWork(ctx, *p.TechnicienID, *f.equipementID)
	if err == nil && !ok {
		err = fmt.Errorf("%w: équipement hors de ses interventions", domain.ErrForbidden)
	}
	return err
}

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	var f storage.DocumentFilter
	if id := q.id("intervention_id"); id != nil {
		f.InterventionID = *id
	}
	if id := q.id("equipement_id"); id != nil {
		f.EquipementID = *id
	}
	f.TypeDocument = q.text("type_document", typeDocumentMaxLen)
	if b := q.boolean("toutes_versions"); b != nil {
		f.AllVersions = *b
	}
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListDocuments(r.Context(), principalFrom(r.Context()), f, page.Limit, page.Offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) documentFromPath(w http.ResponseWriter, r *http.Request) (storage.Document, bool) {
	id, err := pathID(r, "id")
	if err == nil {
		var d storage.Document
		if d, err = s.store.GetDocument(r.Context(), principalFrom(r.Context()), id); err == nil {
			return d, true
		}
	}
	s.fail(w, r, err)
	return storage.Document{}, false
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) {
	if d, ok := s.documentFromPath(w, r); ok {
		writeJSON(w, http.StatusOK, d)
	}
}

func (s *Server) documentVersions(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.store.ListDocumentVersions(r.Context(), principalFrom(r.Context()), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, len(items))
}

// downloadDocument sends the plaintext, after decryption and a checksum check: altered bytes are
// never sent.
func (s *Server) downloadDocument(w http.ResponseWriter, r *http.Request) {
	d, ok := s.documentFromPath(w, r)
	if !ok {
		return
	}
	b, err := s.dl.docs.GetContext(r.Context(), d.CheminFichier, d.IsEncrypted, d.Checksum)
	if err != nil {
		s.documentIntegrityFailure(w, r, d, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", d.MimeType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Nom}))
	h.Set("ETag", `"`+d.Checksum+`"`)
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, bytes.NewReader(b))
	}
}

// documentIntegrityFailure answers a document whose file cannot be served: missing, altered, or
// sealed with a key no longer configured. The incident is logged with the document id.
func (s *Server) documentIntegrityFailure(w http.ResponseWriter, r *http.Request, d storage.Document, err error) {
	switch {
	case errors.Is(err, documents.ErrIntegrity):
		s.log.Error("document integrity failure", zap.Int64("document_id", d.ID), zap.String("request_id", requestIDFrom(r.Context())))
		problem(w, r, http.StatusInternalServerError, "intégrité du document compromise (contenu altéré ou clé de chiffrement absente); l'incident est journalisé")
	case documents.IsMissing(err):
		s.log.Error("document file missing", zap.Int64("document_id", d.ID), zap.String("request_id", requestIDFrom(r.Context())))
		problem(w, r, http.StatusInternalServerError, "fichier du document introuvable sur le stockage; l'incident est journalisé")
	case errors.Is(err, documents.ErrNoKeys):
		problem(w, r, http.StatusServiceUnavailable, "chiffrement indisponible: aucune clé FERNET_KEYS configurée")
	default:
		s.fail(w, r, err)
	}
}

// DocumentVerification is the answer of GET /documents/{id}/verify.
type DocumentVerification struct {
	ID          int64  `json:"id"`
	Valide      bool   `json:"valide"`
	Checksum    string `json:"checksum"`
	IsEncrypted bool   `json:"is_encrypted"`
	Detail      string `json:"detail"`
}

func (s *Server) verifyDocument(w http.ResponseWriter, r *http.Request) {
	d, ok := s.documentFromPath(w, r)
	if !ok {
		return
	}
	res := DocumentVerification{ID: d.ID, Checksum: d.Checksum, IsEncrypted: d.IsEncrypted, Valide: true, Detail: "contenu intact (SHA-256 conforme)"}
	_, err := s.dl.docs.GetContext(r.Context(), d.CheminFichier, d.IsEncrypted, d.Checksum)
	switch {
	case err == nil:
	case errors.Is(err, documents.ErrIntegrity):
		res.Valide, res.Detail = false, "contenu altéré, ou chiffré avec une clé qui n'est plus configurée"
		s.log.Warn("document integrity check failed", zap.Int64("document_id", d.ID))
	case documents.IsMissing(err):
		res.Valide, res.Detail = false, "fichier introuvable sur le stockage"
		s.log.Warn("document file missing", zap.Int64("document_id", d.ID))
	case errors.Is(err, documents.ErrNoKeys):
		res.Valide, res.Detail = false, "vérification impossible: aucune clé FERNET_KEYS configurée"
	default:
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// deleteDocument marks the document deleted (audited); its file stays for the audit trail.
func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.SoftDeleteDocument(r.Context(), principalFrom(r.Context()), id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
