package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

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
func replica(t *testing.T, e *apitest.Env, log *zap.Logger) string {
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
	srv, err := api.New(api.Deps{Config: e.Config, Store: storage.New(db), Workflows: e.Workflows, Tokens: e.Tokens, Authz: az, Log: log})
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
	// Replica 2 logs at Info level into an observer, to check what its access log records.
	observed, logs := observer.New(zapcore.InfoLevel)
	url2 := replica(t, e, zap.New(zapcore.NewTee(observed, e.Log.Core())))
	tech, resp := e.User(apitest.Technicien), e.User(apitest.Responsable)
	notify := func(user int64, titre, key string) {
		t.Helper()
		// Through instance 1: the activity every workflow uses.
		acts := &activities.Activities{Store: e.Store, Log: e.Log}
		if _, err := acts.Notify(ctx, activities.NotifyInput{UserIDs: []int64{user}, Notification: domain.NewNotification{
			Titre: titre, Message: titre + " — détail", Type: domain.NotificationInfo, Event: "intervention.assignation",
			Metadata: map[string]any{"intervention_id": 15}, DedupKey: key,
		}}); err != nil {
			t.Fatal(err)
		}
	}

	// The technicien streams from replica 2 with ?access_token= (as EventSource must), the
	// responsable from replica 1 with the header.
	techToken := e.Token(apitest.Technicien)
	s2 := openStream(t, url2+"/api/v1/notifications/stream?access_token="+techToken, nil)
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

	// Disconnected while two notifications are created; reconnecting with Last-Event-ID, to the
	// other replica (as a load balancer may send it), replays them, in order, then goes on live.
	s2.close()
	notify(tech.ID, "Intervention démarrée", "start/1")
	notify(tech.ID, "Intervention terminée", "done/1")
	s3 := openStream(t, e.URL+"/api/v1/notifications/stream", map[string]string{
		"Authorization": "Bearer " + e.Token(apitest.Technicien), "Last-Event-ID": strconv.FormatInt(got.ID, 10)})
	if a, b := s3.next(t), s3.next(t); a.Titre != "Intervention démarrée" || b.Titre != "Intervention terminée" || a.ID >= b.ID {
		t.Fatalf("replay = %+v, %+v", a, b)
	}
	notify(tech.ID, "Rapport disponible", "report/1")
	if n := s3.next(t); n.Titre != "Rapport disponible" {
		t.Fatalf("live after replay = %+v", n)
	}

	// The token given as ?access_token= never reaches a log line of replica 2: neither the access
	// log of the stream (written when it ends), nor the refusal of a forged one.
	forged := techToken[:len(techToken)-4] + "AAAA"
	if r, err := http.Get(url2 + "/api/v1/notifications/stream?access_token=" + forged); err != nil || r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged token: %v %v", r, err)
	} else {
		_ = r.Body.Close()
	}
	deadline := time.Now().Add(20 * time.Second)
	for logs.FilterMessage("http request").FilterField(zap.Int("status", http.StatusOK)).Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the closed stream was never access-logged")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, entry := range logs.All() {
		line := entry.Message + fmt.Sprint(entry.ContextMap())
		if strings.Contains(line, techToken[len(techToken)-20:]) || strings.Contains(line, forged[len(forged)-20:]) || strings.Contains(line, "access_token") {
			t.Fatalf("a token reached the log: %s", line)
		}
	}
	if logs.FilterMessage("http request").FilterField(zap.String("path", "/api/v1/notifications/stream")).Len() < 2 {
		t.Fatalf("access log = %v", logs.All())
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
	// The answer lists every event the platform notifies, with its effective value: the start,
	// pause and resume of an intervention stay in-app by default, the rest is e-mailed.
	e.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Token: tok}).JSON(t, &p)
	if !p.Enabled || len(p.Events) != len(storage.NotificationEvents()) || !p.Events["intervention.assignation"] ||
		p.Events["intervention.demarrage"] || !p.Events["intervention.en_retard"] || !p.Events["planning.hebdomadaire"] {
		t.Fatalf("defaults = %+v", p)
	}
	for _, bad := range []any{
		map[string]any{"events": map[string]bool{"pas un événement": true}},
		// A name the platform never sends would silently change nothing: refused.
		map[string]any{"events": map[string]bool{"intervention.assigned": false}},
		map[string]any{"enabled": "oui"},
		map[string]any{"frequence": "hebdo"},
	} {
		if r := e.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Token: tok, Body: bad}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%v: %d %s", bad, r.Status, r.Body)
		} else if pb := r.Problem(t); len(pb.Errors) != 1 || pb.Errors[0].Field != "events" && pb.Errors[0].Field != "enabled" && pb.Errors[0].Field != "frequence" {
			t.Fatalf("%v: %+v", bad, pb)
		}
	}
	if r := e.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Token: tok, Body: map[string]any{"events": map[string]bool{"intervention.assigned": false}}}); !strings.Contains(fmt.Sprint(r.Problem(t).Errors), "intervention.assignation") {
		t.Fatalf("the refusal must name the possible events: %s", r.Body)
	}
	r := e.Do(t, apitest.Request{Method: http.MethodPut, Path: path, Token: tok, Body: map[string]any{
		"enabled": true, "events": map[string]bool{"intervention.assignation": false, "intervention.demarrage": true}}})
	if r.Status != http.StatusOK {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	e.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Token: tok}).JSON(t, &p)
	if !p.Enabled || p.Events["intervention.assignation"] || !p.Events["intervention.demarrage"] || !p.Events["intervention.cloture"] {
		t.Fatalf("stored = %+v", p)
	}
	// The preferences drive e-mail, on the event names the workflows really use: an assignment
	// is not queued for this user any more, a start now is.
	ctx := context.Background()
	tech, tech2 := e.User(apitest.Technicien), e.User(apitest.Technicien2)
	assigned, err := e.Store.CreateNotifications(ctx, []int64{tech.ID}, domain.NewNotification{Titre: "Assignée", Message: "x", Event: "intervention.assignation"})
	if err != nil {
		t.Fatal(err)
	}
	if users, err := e.Store.QueueNotificationEmails(ctx, []int64{assigned[0].ID}); err != nil || len(users) != 0 {
		t.Fatalf("queued for %v (%v); the user turned this event off", users, err)
	}
	started, err := e.Store.CreateNotifications(ctx, []int64{tech.ID, tech2.ID}, domain.NewNotification{Titre: "Démarrée", Message: "x", Event: "intervention.demarrage"})
	if err != nil {
		t.Fatal(err)
	}
	if users, err := e.Store.QueueNotificationEmails(ctx, []int64{started[0].ID, started[1].ID}); err != nil || len(users) != 1 || users[0] != tech.ID {
		t.Fatalf("start queued for %v (%v); want only the user who asked for it (the default keeps it in-app)", users, err)
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

// TestNotificationStreamEndsWhenItsTokenExpires: a stream does not outlive the access token that
// opened it (a deactivated account must stop receiving); it says why before it ends, and the
// client resumes with a fresh token and Last-Event-ID without losing anything.
func TestNotificationStreamEndsWhenItsTokenExpires(t *testing.T) {
	e := apitest.New(t)
	ctx := context.Background()
	// A token issued long ago that expires in 3 s (the account's password predates it).
	if _, err := e.Store.Q().ExecContext(ctx, `UPDATE users SET password_changed_at = now() - interval '1 day' WHERE email = $1`, apitest.Technicien); err != nil {
		t.Fatal(err)
	}
	tech, err := e.Store.GetUserByLogin(ctx, apitest.Technicien)
	if err != nil {
		t.Fatal(err)
	}
	ttl := e.Tokens.TTL()
	short, err := e.Tokens.WithClock(func() time.Time { return time.Now().Add(3*time.Second - ttl) }).Issue(tech)
	if err != nil {
		t.Fatal(err)
	}
	s := openStream(t, e.URL+"/api/v1/notifications/stream?access_token="+short, nil)
	if s.status != http.StatusOK {
		t.Fatalf("stream: %d", s.status)
	}
	if _, err := e.Store.CreateNotifications(ctx, []int64{tech.ID}, domain.NewNotification{Titre: "Avant l'expiration", Message: "x"}); err != nil {
		t.Fatal(err)
	}
	before := s.next(t)
	select {
	case ev, ok := <-s.events:
		if !ok || ev.Event != "expiration" || !strings.Contains(ev.Data, "jeton") {
			t.Fatalf("want an expiration event, got %+v (open: %v)", ev, ok)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stream outlived its token")
	}
	select {
	case _, ok := <-s.events:
		if ok {
			t.Fatal("the stream must end after the expiration event")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end")
	}
	if _, err := e.Store.CreateNotifications(ctx, []int64{tech.ID}, domain.NewNotification{Titre: "Pendant la reconnexion", Message: "y"}); err != nil {
		t.Fatal(err)
	}
	again := openStream(t, e.URL+"/api/v1/notifications/stream?access_token="+e.Token(apitest.Technicien)+"&last_event_id="+strconv.FormatInt(before.ID, 10), nil)
	if n := again.next(t); n.Titre != "Pendant la reconnexion" {
		t.Fatalf("resumed with %+v", n)
	}
}
