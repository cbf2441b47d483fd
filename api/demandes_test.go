package api_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/storage"
)

// notified counts the notifications of event a demo account received about demande id (and the
// last message).
func (f *fixtures) notified(who, event string, demandeID int64) (int, string) {
	var rows []struct {
		N   int    `db:"n"`
		Msg string `db:"msg"`
	}
	err := f.env.Store.Q().SelectContext(f.t.Context(), &rows, `SELECT count(*) OVER () AS n, message AS msg FROM notifications n
		JOIN users u ON u.id = n.destinataire_id
		WHERE u.email = $1 AND n.metadata->>'event' = $2 AND (n.metadata->>'demande_id')::bigint = $3 ORDER BY n.id DESC LIMIT 1`,
		who, event, demandeID)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(rows) == 0 {
		return 0, ""
	}
	return rows[0].N, rows[0].Msg
}

func (f *fixtures) waitNotified(t *testing.T, who, event string, demandeID int64) string {
	t.Helper()
	var msg string
	poll.Until(t, who+" notified "+event, func() error {
		var n int
		if n, msg = f.notified(who, event, demandeID); n != 1 {
			return fmt.Errorf("%d notifications", n)
		}
		return nil
	})
	return msg
}

func pngBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (f *fixtures) uploadPhoto(t *testing.T, who string, demandeID int64, name string, content []byte) *apitest.Response {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	return f.env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/demandes/" + apitest.ID(demandeID) + "/photos", Token: f.tok[who],
		Body: body.Bytes(), Header: map[string]string{"Content-Type": mw.FormDataContentType()}})
}

func TestDemandes(t *testing.T) {
	t.Parallel()
	// Short enough to watch an escalation (requests of the other subtests may escalate too: harmless).
	f := newFixtures(t, apitest.WithEnv("MIF_DEMANDE_TRIAGE_DELAY", "4s"))
	atlasPresse, atlasBroyeur, soussTank := f.equipement(presse), f.equipement(broyeur), f.equipement(tankLait)
	submit := func(t *testing.T, who string, equipement int64, urgence string) domain.Demande {
		t.Helper()
		var d domain.Demande
		f.want(t, http.StatusCreated, who, "POST", "/api/v1/demandes", map[string]any{
			"equipement_id": equipement, "description": "La presse fuit au niveau du vérin principal.", "urgence": urgence}).JSON(t, &d)
		return d
	}

	// The subtests share one platform and run in turn: parallel subtests would hold the platform's
	// connections while waiting for a parallel slot that tests waiting for connections hold.
	t.Run("submit, photo, accept: a linked intervention, the client told at each step", func(t *testing.T) {
		d := submit(t, apitest.Client, atlasPresse, "haute")
		if d.Statut != domain.DemandeSoumise || d.ClientNom != "Cimenterie Atlas" || d.Urgence != domain.PrioriteHaute || d.DemandeurID == nil {
			t.Fatalf("submitted %+v", d)
		}
		f.waitNotified(t, apitest.Responsable, "demande.soumise", d.ID)
		f.waitNotified(t, apitest.Client, "demande.recue", d.ID)

		res := f.uploadPhoto(t, apitest.Client, d.ID, "fuite.png", pngBytes(t))
		if res.Status != http.StatusCreated {
			t.Fatalf("photo: %d %s", res.Status, res.Body)
		}
		var doc storage.Document
		res.JSON(t, &doc)
		if !doc.IsEncrypted || doc.TypeDocument != "photo_demande" || doc.EquipementID == nil || *doc.EquipementID != atlasPresse {
			t.Fatalf("photo stored as %+v", doc)
		}
		if res := f.uploadPhoto(t, apitest.Client, d.ID, "note.pdf", pdfBytes("pas une photo")); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("a PDF as photo: %d", res.Status)
		}
		if res := f.uploadPhoto(t, apitest.Client2, d.ID, "fuite.png", pngBytes(t)); res.Status != http.StatusNotFound {
			t.Fatalf("another client's photo: %d", res.Status)
		}
		dl := f.env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/documents/" + apitest.ID(doc.ID) + "/download", Token: f.tok[apitest.Client]})
		if dl.Status != http.StatusOK || !bytes.Equal(dl.Body, pngBytes(t)) {
			t.Fatalf("the client downloads its photo: %d", dl.Status)
		}

		f.want(t, http.StatusForbidden, apitest.Client, "POST", "/api/v1/demandes/"+apitest.ID(d.ID)+"/accepter", map[string]any{})
		f.want(t, http.StatusForbidden, apitest.Technicien, "POST", "/api/v1/demandes/"+apitest.ID(d.ID)+"/accepter", map[string]any{})
		var acc domain.Demande
		f.want(t, http.StatusOK, apitest.Responsable, "POST", "/api/v1/demandes/"+apitest.ID(d.ID)+"/accepter",
			map[string]any{"titre": "Fuite vérin presse"}).JSON(t, &acc)
		if acc.Statut != domain.DemandeAcceptee || acc.InterventionID == nil || acc.DateTriage == nil || !slices.Equal(acc.PhotoIDs, []int64{doc.ID}) {
			t.Fatalf("accepted %+v", acc)
		}
		var it domain.InterventionDetail
		f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/interventions/"+apitest.ID(*acc.InterventionID), nil).JSON(t, &it)
		if it.Titre != "Fuite vérin presse" || it.EquipementID != atlasPresse || it.Priorite != domain.PrioriteHaute || it.Statut != domain.StatutOuverte {
			t.Fatalf("intervention %+v", it.Intervention)
		}
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/demandes/"+apitest.ID(d.ID)+"/accepter", map[string]any{})
		f.want(t, http.StatusConflict, apitest.Responsable, "POST", "/api/v1/demandes/"+apitest.ID(d.ID)+"/rejeter", map[string]any{"motif": "trop tard"})
		if res := f.uploadPhoto(t, apitest.Client, d.ID, "fuite2.png", pngBytes(t)); res.Status != http.StatusConflict {
			t.Fatalf("a photo after triage: %d", res.Status)
		}
		msg := f.waitNotified(t, apitest.Client, "demande.acceptee", d.ID)
		if !strings.Contains(msg, apitest.ID(*acc.InterventionID)) {
			t.Fatalf("acceptance message %q", msg)
		}
		var actions []string
		hist, err := f.env.Store.ListHistorique(t.Context(), "demande", d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist {
			actions = append(actions, h.Action)
		}
		if !slices.Equal(actions, []string{"creation", "photo", "acceptee"}) {
			t.Fatalf("historique %v", actions)
		}

		// Merge a second request into that intervention; another equipment's intervention is refused.
		d2 := submit(t, apitest.Client, atlasPresse, "normale")
		other := f.intervention("Autre équipement", atlasBroyeur, domain.PrioriteNormale, nil)
		f.want422(t, "intervention_id", apitest.Responsable, "POST", "/api/v1/demandes/"+apitest.ID(d2.ID)+"/fusionner", map[string]any{"intervention_id": other})
		f.want422(t, "intervention_id", apitest.Responsable, "POST", "/api/v1/demandes/"+apitest.ID(d2.ID)+"/fusionner", map[string]any{"intervention_id": 987654})
		f.want422(t, "intervention_id", apitest.Responsable, "POST", "/api/v1/demandes/"+apitest.ID(d2.ID)+"/fusionner", map[string]any{})
		var merged domain.Demande
		f.want(t, http.StatusOK, apitest.Responsable, "POST", "/api/v1/demandes/"+apitest.ID(d2.ID)+"/fusionner",
			map[string]any{"intervention_id": *acc.InterventionID}).JSON(t, &merged)
		if merged.Statut != domain.DemandeFusionnee || merged.InterventionID == nil || *merged.InterventionID != *acc.InterventionID {
			t.Fatalf("merged %+v", merged)
		}
		f.waitNotified(t, apitest.Client, "demande.fusionnee", d2.ID)
	})

	t.Run("reject with a reason told to the client", func(t *testing.T) {
		d := submit(t, apitest.Client2, soussTank, "basse")
		f.want422(t, "motif", apitest.Responsable, "POST", "/api/v1/demandes/"+apitest.ID(d.ID)+"/rejeter", map[string]any{"motif": "  "})
		var rej domain.Demande
		f.want(t, http.StatusOK, apitest.Admin, "POST", "/api/v1/demandes/"+apitest.ID(d.ID)+"/rejeter",
			map[string]any{"motif": "Cuve hors contrat de maintenance"}).JSON(t, &rej)
		if rej.Statut != domain.DemandeRejetee || rej.MotifRejet == nil || *rej.MotifRejet != "Cuve hors contrat de maintenance" {
			t.Fatalf("rejected %+v", rej)
		}
		if msg := f.waitNotified(t, apitest.Client2, "demande.rejetee", d.ID); !strings.Contains(msg, "Cuve hors contrat") {
			t.Fatalf("rejection message %q", msg)
		}
	})

	t.Run("a client sees and files only its own", func(t *testing.T) {
		d := submit(t, apitest.Client, atlasBroyeur, "normale")
		f.want422(t, "equipement_id", apitest.Client, "POST", "/api/v1/demandes", map[string]any{"equipement_id": soussTank, "description": "Pas mon équipement du tout."})
		f.want422(t, "description", apitest.Client, "POST", "/api/v1/demandes", map[string]any{"equipement_id": atlasBroyeur, "description": "court"})
		f.want422(t, "urgence", apitest.Client, "POST", "/api/v1/demandes", map[string]any{"equipement_id": atlasBroyeur, "description": "Une description assez longue.", "urgence": "extreme"})
		f.want(t, http.StatusNotFound, apitest.Client2, "GET", "/api/v1/demandes/"+apitest.ID(d.ID), nil)
		for _, id := range ids(t, f.want(t, http.StatusOK, apitest.Client2, "GET", "/api/v1/demandes?limit=200", nil)) {
			if id == d.ID {
				t.Fatal("the dairy lists the cement works' request")
			}
		}
		if !slices.Contains(ids(t, f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/demandes?statut=soumise", nil)), d.ID) {
			t.Fatal("the client does not list its own request")
		}
		f.want(t, http.StatusForbidden, apitest.Technicien, "GET", "/api/v1/demandes", nil)
		f.want(t, http.StatusForbidden, apitest.Technicien, "POST", "/api/v1/demandes", map[string]any{"equipement_id": atlasBroyeur, "description": "Une description assez longue."})
	})

	t.Run("untriaged past the delay: escalated once, responsables and admins told", func(t *testing.T) {
		d := submit(t, apitest.Client, atlasBroyeur, "critique")
		poll.Until(t, "escalation", func() error {
			var got domain.Demande
			f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/demandes/"+apitest.ID(d.ID), nil).JSON(t, &got)
			if !got.Escaladee || got.DateEscalade == nil {
				return fmt.Errorf("not escalated: %+v", got)
			}
			return nil
		})
		f.waitNotified(t, apitest.Admin, "demande.escaladee", d.ID)
		f.waitNotified(t, apitest.Responsable, "demande.escaladee", d.ID)
		if !slices.Contains(ids(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/demandes?escaladee=true", nil)), d.ID) {
			t.Fatal("escaladee=true does not list it")
		}
		// Still triageable afterwards; the client is told.
		f.want(t, http.StatusOK, apitest.Responsable, "POST", "/api/v1/demandes/"+apitest.ID(d.ID)+"/accepter", map[string]any{})
		f.waitNotified(t, apitest.Client, "demande.acceptee", d.ID)
	})
}
