package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/webhook"
)

// receiver is a subscriber: a real HTTP server that verifies every delivery's signature as the
// documentation tells subscribers to, and keeps what it accepted.
type receiver struct {
	srv    *httptest.Server
	secret atomic.Value // string
	fail   atomic.Bool  // answer 500 instead of 204
	mu     sync.Mutex
	got    []delivery
	bad    []string
}

type delivery struct {
	ID, Event string
	Body      struct {
		ID       int64           `json:"id"`
		Type     string          `json:"type"`
		Entite   string          `json:"entite"`
		EntiteID int64           `json:"entite_id"`
		Donnees  json.RawMessage `json:"donnees"`
	}
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.secret.Store("")
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(rc.secret.Load().(string), r.Header, body, time.Now(), 5*time.Minute); err != nil {
			rc.mu.Lock()
			rc.bad = append(rc.bad, err.Error())
			rc.mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if rc.fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		d := delivery{ID: r.Header.Get(webhook.HeaderID), Event: r.Header.Get(webhook.HeaderEvent)}
		if err := json.Unmarshal(body, &d.Body); err != nil || d.Body.Type != d.Event || fmt.Sprint(d.Body.ID) != d.ID {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.got = append(rc.got, d)
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// waitFor waits until a delivery of event about entity id arrived, and returns it.
func (rc *receiver) waitFor(t *testing.T, event string, id int64) delivery {
	t.Helper()
	var found delivery
	poll.Until(t, "delivery of "+event, func() error {
		for _, d := range rc.deliveries() {
			if d.Event == event && d.Body.EntiteID == id {
				found = d
				return nil
			}
		}
		return fmt.Errorf("%d deliveries, none %s of %d (bad signatures: %v)", len(rc.deliveries()), event, id, rc.bad)
	})
	return found
}

func TestWebhooks(t *testing.T) {
	t.Parallel()
	f := newFixtures(t, apitest.WithEnv("MIF_WEBHOOK_ALLOW_HOSTS", "127.0.0.1"),
		apitest.WithEnv("MIF_WEBHOOK_INITIAL_BACKOFF", "100ms"), apitest.WithEnv("MIF_WEBHOOK_MAX_BACKOFF", "200ms"),
		apitest.WithEnv("MIF_WEBHOOK_MAX_ATTEMPTS", "3"), apitest.WithEnv("MIF_WEBHOOK_PAUSE_AFTER", "3"))
	rc := newReceiver(t)
	presseID := f.equipement(presse)

	// Who may, and which destinations.
	body := map[string]any{"url": rc.srv.URL + "/hook", "evenements": []string{"intervention.created", "intervention.status_changed", "demande.submitted"}}
	f.want(t, http.StatusForbidden, apitest.Responsable, "POST", "/api/v1/webhooks", body)
	f.want(t, http.StatusForbidden, apitest.Client, "GET", "/api/v1/webhooks", nil)
	for _, u := range []string{"http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://[::1]:8080/", "ftp://example.com/"} {
		f.want422(t, "url", apitest.Admin, "POST", "/api/v1/webhooks", map[string]any{"url": u, "evenements": []string{"intervention.created"}})
	}
	f.want422(t, "evenements", apitest.Admin, "POST", "/api/v1/webhooks", map[string]any{"url": rc.srv.URL, "evenements": []string{"stock.bas"}})

	var created struct {
		domain.WebhookAbonnement
		Secret string `json:"secret"`
	}
	f.want(t, http.StatusCreated, apitest.Admin, "POST", "/api/v1/webhooks", body).JSON(t, &created)
	if !strings.HasPrefix(created.Secret, "whsec_") || created.Statut != domain.WebhookActif {
		t.Fatalf("created %+v", created)
	}
	rc.secret.Store(created.Secret)
	hook := "/api/v1/webhooks/" + apitest.ID(created.ID)
	if res := f.want(t, http.StatusOK, apitest.Admin, "GET", hook, nil); strings.Contains(string(res.Body), created.Secret) {
		t.Fatal("the secret is shown again")
	}

	// Events of an intervention arrive signed and in order.
	var it domain.InterventionDetail
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/interventions", map[string]any{
		"titre": "Fuite hydraulique", "description": "Fuite d'huile sous la presse", "type_intervention": "corrective",
		"priorite": "normale", "equipement_id": presseID}).JSON(t, &it)
	f.want(t, http.StatusOK, apitest.Responsable, "POST", "/api/v1/interventions/"+apitest.ID(it.ID)+"/cancel", map[string]any{"motif": "doublon"})
	first := rc.waitFor(t, "intervention.created", it.ID)
	rc.waitFor(t, "intervention.status_changed", it.ID)
	var order []string
	for _, d := range rc.deliveries() {
		if d.Body.EntiteID == it.ID && d.Body.Entite == "intervention" {
			order = append(order, d.Event)
		}
	}
	if len(order) != 2 || order[0] != "intervention.created" || order[1] != "intervention.status_changed" {
		t.Fatalf("intervention events in order %v", order)
	}
	var dem domain.Demande
	f.want(t, http.StatusCreated, apitest.Client, "POST", "/api/v1/demandes", map[string]any{
		"equipement_id": presseID, "description": "Bruit anormal au démarrage de la presse."}).JSON(t, &dem)
	rc.waitFor(t, "demande.submitted", dem.ID)

	// The receiver has the request before the delivery activity logs its answer: wait for the row.
	var log []domain.WebhookLivraison
	poll.Until(t, "three deliveries logged", func() error {
		log = nil
		f.want(t, http.StatusOK, apitest.Admin, "GET", hook+"/livraisons", nil).JSON(t, &log)
		if len(log) < 3 {
			return fmt.Errorf("%d deliveries logged", len(log))
		}
		return nil
	})
	if !log[0].Succes || log[0].CodeHTTP == nil || *log[0].CodeHTTP != http.StatusNoContent {
		t.Fatalf("delivery log %+v", log)
	}

	// Replay: the same event id again, logged as a replay.
	before := len(rc.deliveries())
	f.want(t, http.StatusAccepted, apitest.Admin, "POST", hook+"/evenements/"+first.ID+"/rejouer", nil)
	poll.Until(t, "replayed delivery", func() error {
		ds := rc.deliveries()
		if len(ds) > before && ds[len(ds)-1].ID == first.ID {
			return nil
		}
		return fmt.Errorf("%d deliveries", len(ds))
	})

	// A failing subscriber: retried with backoff, then suspended after 3 consecutive failures and
	// its owner told.
	rc.fail.Store(true)
	var it2 domain.InterventionDetail
	f.want(t, http.StatusCreated, apitest.Responsable, "POST", "/api/v1/interventions", map[string]any{
		"titre": "Capteur HS", "description": "Capteur de pression hors service", "type_intervention": "corrective",
		"priorite": "haute", "equipement_id": presseID}).JSON(t, &it2)
	var sub domain.WebhookAbonnement
	poll.Until(t, "suspension", func() error {
		f.want(t, http.StatusOK, apitest.Admin, "GET", hook, nil).JSON(t, &sub)
		if sub.Statut != domain.WebhookSuspendu {
			return fmt.Errorf("statut %s, %d failures", sub.Statut, sub.EchecsConsecutifs)
		}
		return nil
	})
	f.want(t, http.StatusOK, apitest.Admin, "GET", hook+"/livraisons?limit=3", nil).JSON(t, &log)
	for i, l := range log {
		if l.Succes || l.CodeHTTP == nil || *l.CodeHTTP != http.StatusInternalServerError || l.Tentative != 3-i {
			t.Fatalf("failed attempts %+v", log)
		}
	}
	poll.Until(t, "owner notified", func() error {
		if n := countRows(t, f.env, `SELECT count(*) FROM notifications WHERE destinataire_id = $1 AND metadata->>'event' = 'webhook.suspendu'`,
			f.env.User(apitest.Admin).ID); n != 1 {
			return fmt.Errorf("%d notifications", n)
		}
		return nil
	})

	// Repaired and resumed: the event that failed is delivered.
	rc.fail.Store(false)
	f.want(t, http.StatusOK, apitest.Admin, "PUT", hook, map[string]any{"statut": "actif"}).JSON(t, &sub)
	if sub.Statut != domain.WebhookActif || sub.EchecsConsecutifs != 0 {
		t.Fatalf("resumed %+v", sub)
	}
	rc.waitFor(t, "intervention.created", it2.ID)
	f.want(t, http.StatusNoContent, apitest.Admin, "DELETE", hook, nil)
	f.want(t, http.StatusNotFound, apitest.Admin, "GET", hook, nil)
	if n := countRows(t, f.env, `SELECT count(*) FROM historique WHERE entite = 'webhook' AND entite_id = $1`, created.ID); n < 5 {
		t.Fatalf("%d historique rows for the webhook (creation, rejeu, suspension, modification, suppression)", n)
	}
}
