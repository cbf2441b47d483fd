package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/storage"
)

type sseEvent struct {
	ID    string
	Event string
	Data  string
}

// sseStream is an open text/event-stream response, parsed line by line in the background.
type sseStream struct {
	events chan sseEvent
	cancel context.CancelFunc
	status int
	header http.Header
}

// openStream connects; it returns once the response headers arrived, which for our handler means
// the subscription (LISTEN) is in place.
func openStream(t *testing.T, url string, header map[string]string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{events: make(chan sseEvent, 100), cancel: cancel, status: res.StatusCode, header: res.Header}
	t.Cleanup(s.close)
	go func() {
		defer res.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" || ev.Data != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return s
}

func (s *sseStream) close() { s.cancel() }

// next waits for the next notification event.
func (s *sseStream) next(t *testing.T) domain.Notification {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("stream closed")
		}
		var n domain.Notification
		if ev.Event != "notification" {
			t.Fatalf("unexpected event %+v", ev)
		}
		if err := json.Unmarshal([]byte(ev.Data), &n); err != nil {
			t.Fatalf("event data %q: %v", ev.Data, err)
		}
		if ev.ID != strconv.FormatInt(n.ID, 10) {
			t.Fatalf("event id %q for notification %d", ev.ID, n.ID)
		}
		return n
	case <-time.After(20 * time.Second):
		t.Fatal("no notification event within 20s")
	}
	return domain.Notification{}
}

// replica starts a second API server on the same database (its own connection pool, its own
// LISTEN connection), as another instance behind a load balancer would be.
func replica(t *testing.T, e *apitest.Env) string {
	t.Helper()
	db, err := storage.Open(context.Background(), e.Config.DatabaseURL, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	az, err := authz.NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Deps{Config: e.Config, Store: storage.New(db), Temporal: e.Temporal, Tokens: e.Tokens, Authz: az, Log: e.Log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestNotificationStreamAcrossReplicas(t *testing.T) {
	e := apitest.New(t)
	ctx := context.Background()
	url2 := replica(t, e)
	tech, resp := e.User(apitest.Technicien), e.User(apitest.Responsable)
	notify := func(user int64, titre, key string) {
		t.Helper()
		// Through instance 1: the activity every workflow uses.
		acts := &activities.Activities{Store: e.Store, Log: e.Log}
		if _, err := acts.Notify(ctx, activities.NotifyInput{UserIDs: []int64{user}, Notification: domain.NewNotification{
			Titre: titre, Message: titre + " — détail", Type: domain.NotificationInfo, Event: "intervention.assigned",
			Metadata: map[string]any{"intervention_id": 15}, DedupKey: key,
		}}); err != nil {
			t.Fatal(err)
		}
	}

	// The technicien streams from replica 2 with ?access_token= (as EventSource must), the
	// responsable from replica 1 with the header.
	s2 := openStream(t, url2+"/api/v1/notifications/stream?access_token="+e.Token(apitest.Technicien), nil)
	s1 := openStream(t, e.URL+"/api/v1/notifications/stream", map[string]string{"Authorization": "Bearer " + e.Token(apitest.Responsable)})
	if s2.status != http.StatusOK || s1.status != http.StatusOK || !strings.HasPrefix(s2.header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("streams: %d %d %v", s2.status, s1.status, s2.header)
	}

	notify(tech.ID, "Intervention assignée", "assign/1")
	got := s2.next(t)
	if got.Titre != "Intervention assignée" || got.DestinataireID != tech.ID || got.Lue || !strings.Contains(string(got.Metadata), `"intervention_id": 15`) && !strings.Contains(string(got.Metadata), `"intervention_id":15`) {
		t.Fatalf("event = %+v (%s)", got, got.Metadata)
	}
	// Deduplicated: the same event again creates nothing, so nothing is pushed; the responsable's
	// stream got nothing of the technicien's and receives its own.
	notify(tech.ID, "Intervention assignée", "assign/1")
	notify(resp.ID, "SLA dépassé", "sla/1")
	if n := s1.next(t); n.Titre != "SLA dépassé" || n.DestinataireID != resp.ID {
		t.Fatalf("responsable event = %+v", n)
	}

	// Disconnected while two notifications are created; reconnecting with Last-Event-ID replays
	// them, in order, then goes on live.
	s2.close()
	notify(tech.ID, "Intervention démarrée", "start/1")
	notify(tech.ID, "Intervention terminée", "done/1")
	s3 := openStream(t, url2+"/api/v1/notifications/stream", map[string]string{
		"Authorization": "Bearer " + e.Token(apitest.Technicien), "Last-Event-ID": strconv.FormatInt(got.ID, 10)})
	if a, b := s3.next(t), s3.next(t); a.Titre != "Intervention démarrée" || b.Titre != "Intervention terminée" || a.ID >= b.ID {
		t.Fatalf("replay = %+v, %+v", a, b)
	}
	notify(tech.ID, "Rapport disponible", "report/1")
	if n := s3.next(t); n.Titre != "Rapport disponible" {
		t.Fatalf("live after replay = %+v", n)
	}
}

func TestNotificationStreamRefusals(t *testing.T) {
	e := apitest.New(t)
	if r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/notifications/stream"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.Status)
	}
	if r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/notifications/stream?access_token=forged"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", r.Status)
	}
	r := e.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/notifications/stream", Token: e.Token(apitest.Client), Header: map[string]string{"Last-Event-ID": "abc"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad Last-Event-ID: %d", r.Status)
	}
}

func TestEmailPreferences(t *testing.T) {
	e := apitest.New(t)
	tok := e.Token(apitest.Technicien)
	const path = "/api/v1/notifications/preferences"
	var p struct {
		Enabled bool            `json:"enabled"`
		Events  map[string]bool `json:"events"`
	}
	e.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Token: tok}).JSON(t, &p)
	if !p.Enabled || len(p.Events) != 0 {
		t.Fatalf("defaults = %+v", p)
	}
	for _, bad := range []any{
		map[string]any{"events": map[string]bool{"pas un événement": true}},
		map[string]any{"enabled": "oui"},
		map[string]any{"frequence": "hebdo"},
	} {
		if r := e.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Token: tok, Body: bad}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%v: %d %s", bad, r.Status, r.Body)
		}
	}
	r := e.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Token: tok, Body: map[string]any{
		"enabled": true, "events": map[string]bool{"intervention.assigned": false, "intervention.started": true}}})
	if r.Status != http.StatusOK {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	e.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Token: tok}).JSON(t, &p)
	if !p.Enabled || p.Events["intervention.assigned"] || !p.Events["intervention.started"] {
		t.Fatalf("stored = %+v", p)
	}
	// The preferences drive e-mail: an assignment is not queued for this user any more.
	ctx := context.Background()
	tech := e.User(apitest.Technicien)
	created, err := e.Store.CreateNotifications(ctx, []int64{tech.ID}, domain.NewNotification{Titre: "Assignée", Message: "x", Event: "intervention.assigned"})
	if err != nil {
		t.Fatal(err)
	}
	if users, err := e.Store.QueueNotificationEmails(ctx, []int64{created[0].ID}); err != nil || len(users) != 0 {
		t.Fatalf("queued for %v (%v); the user turned this event off", users, err)
	}
	hist, err := e.Store.ListHistorique(ctx, "user", tech.ID)
	if err != nil || len(hist) == 0 || hist[len(hist)-1].Action != "preferences_email" {
		t.Fatalf("historique = %+v %v", hist, err)
	}
}

// TestNotificationStreamSurvivesALostListenConnection kills the replica's LISTEN connection in
// PostgreSQL: the listener reconnects and the stream re-reads from its last id, so a notification
// created while it was down still arrives.
func TestNotificationStreamSurvivesALostListenConnection(t *testing.T) {
	e := apitest.New(t)
	ctx := context.Background()
	tech := e.User(apitest.Technicien)
	s := openStream(t, e.URL+"/api/v1/notifications/stream", map[string]string{"Authorization": "Bearer " + e.Token(apitest.Technicien)})
	var killed int
	if err := e.Store.Q().GetContext(ctx, &killed, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query ILIKE 'LISTEN%'`); err != nil || killed != 1 {
		t.Fatalf("terminated %d LISTEN connections: %v", killed, err)
	}
	if _, err := e.Store.CreateNotifications(ctx, []int64{tech.ID}, domain.NewNotification{Titre: "Pendant la coupure", Message: "x"}); err != nil {
		t.Fatal(err)
	}
	if n := s.next(t); n.Titre != "Pendant la coupure" {
		t.Fatalf("event = %+v", n)
	}
	if _, err := e.Store.CreateNotifications(ctx, []int64{tech.ID}, domain.NewNotification{Titre: "Après la coupure", Message: "y"}); err != nil {
		t.Fatal(err)
	}
	if n := s.next(t); n.Titre != "Après la coupure" {
		t.Fatalf("event = %+v", n)
	}
}
