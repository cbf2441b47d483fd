package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/internal/apitest"
)

// A documented request example is one a developer sends from Swagger's "Try it out" against the
// demo data set: every request body carries one, and TestOpenAPIRequestExamplesAccepted sends each
// of them to a running platform seeded with that data set.
//
// Dates: an example never holds a date that expires. A deadline (`date_limite`) or a planned slot
// is either left out (the API then computes it: the SLA's deadline, the next free slot) or set
// far ahead (2030), so that the example stays valid for years; dates of things that happened
// (a meter reading) are in the past. The test sends the examples as written, never with dates
// it fills in itself, so an example that goes stale fails here first.

// requestExample is one example of one media type of one operation's request body.
type requestExample struct {
	opID, method, path, mediaType, name string
	value                               any
	schema                              *openapi3.Schema
}

func (e requestExample) String() string {
	s := e.opID + " (" + e.method + " " + e.path + ") " + e.mediaType
	if e.name != "" {
		s += " example " + e.name
	}
	return s
}

// requestExamples lists every request-body example of the document, sorted; missing lists the
// operations and media types that have none.
func requestExamples(doc *openapi3.T) (examples []requestExample, missing []string) {
	for _, p := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(p).Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			for mt, m := range op.RequestBody.Value.Content {
				base := requestExample{opID: op.OperationID, method: method, path: p, mediaType: mt}
				if m.Schema != nil {
					base.schema = m.Schema.Value
				}
				switch {
				case m.Example != nil:
					base.value = m.Example
					examples = append(examples, base)
				case len(m.Examples) > 0:
					for name, ex := range m.Examples {
						if ex.Value == nil || ex.Value.Value == nil {
							missing = append(missing, fmt.Sprintf("%s example %s has no value", base, name))
							continue
						}
						e := base
						e.name, e.value = name, ex.Value.Value
						examples = append(examples, e)
					}
				default:
					missing = append(missing, base.String())
				}
			}
		}
	}
	sort.Slice(examples, func(i, j int) bool { return examples[i].String() < examples[j].String() })
	sort.Strings(missing)
	return examples, missing
}

// TestOpenAPIRequestBodiesHaveExamples: every media type of every request body has an example (or
// named examples), so Swagger's "Try it out" starts from a request that works.
func TestOpenAPIRequestBodiesHaveExamples(t *testing.T) {
	t.Parallel()
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	examples, missing := requestExamples(doc)
	if len(missing) > 0 {
		t.Errorf("%d request bodies have no example (add `example` or `examples` beside the schema):\n  %s",
			len(missing), strings.Join(missing, "\n  "))
	}
	if len(examples) < 60 {
		t.Fatalf("only %d request examples found", len(examples))
	}
}

// examplesNotSent are the operations ("operationId") or single named examples ("operationId/name")
// whose documented example the test does not send, and why. Keep it short: an operation that can
// be sent belongs in exampleCases instead.
var examplesNotSent = map[string]string{
	"refreshToken":             "its example is a placeholder: a refresh token exists only after a login, and each is single-use",
	"logout":                   "same placeholder refresh token as refreshToken (logout with a real one is in auth_test.go)",
	"optimizePlanning/urgence": "inserts an urgent intervention into today's routes: whether there is room depends on the hour and the day the test runs (evening, weekend); activities/routes_test.go and planner/weekly cover it at a fixed clock",
}

// exampleCase says how to send an operation's example: who sends it, and the path parameters,
// found or created by prepare (the example's own body is sent as written).
type exampleCase struct {
	who     string
	prepare func(t *testing.T, x *exampleEnv) map[string]string
	// before runs just before the example is sent (e.g. to take a singleton's lock); after
	// checks or waits on what the accepted example started.
	before func(t *testing.T, x *exampleEnv)
	after  func(t *testing.T, x *exampleEnv, res *apitest.Response)
	// ids replaces identifiers in the body, field → example's value → real object, for objects
	// that `mif seed`'s demo data set does not hold (pièces, emplacements, zones, an open
	// intervention of a given equipment, an account without a technicien profile): the example
	// shows the shape, the test names objects it created. Every other value is sent as written.
	ids func(t *testing.T, x *exampleEnv) map[string]map[int64]int64
}

// exampleEnv is a platform with the demo data set, plus the document's examples for building
// the objects that path parameters name.
type exampleEnv struct {
	*fixtures
	byOp  map[string]requestExample
	seq   int
	slots int                        // planned slots taken (interventionAt)
	stock map[string]map[int64]int64 // stockIDs, once made
}

// exampleCases: operations with path parameters, or whose example needs another caller than the
// administrator. Any other operation is sent as the administrator with no preparation.
var exampleCases = map[string]exampleCase{
	// The rotation is a singleton workflow of the namespace the test binary shares: the subtest
	// holds its name until the run is over.
	"startKeyRotation": {
		before: func(t *testing.T, x *exampleEnv) { apitest.Exclusive(t, apitest.KeyRotation) },
		after: func(t *testing.T, x *exampleEnv, res *apitest.Response) {
			var run struct {
				WorkflowID string `json:"workflow_id"`
				RunID      string `json:"run_id"`
			}
			res.JSON(t, &run)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := x.env.Temporal.GetWorkflow(ctx, run.WorkflowID, run.RunID).Get(ctx, nil); err != nil {
				t.Fatalf("the rotation started by the example failed: %v", err)
			}
		},
	},
	"changePassword":   {who: apitest.Technicien2}, // changes that account's password: nobody else here uses it
	"updateMyProfile":  {who: apitest.Responsable},
	"updateUser":       {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.userID(apitest.Technicien2)) }},
	"updateEquipement": {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.equipement(presse)) }},
	"setEquipementStatut": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.equipement(broyeur))
	}},
	"retireEquipement": {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.newEquipement(t)) }},
	"createTechnicien": {ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 {
		return map[string]map[int64]int64{"user_id": {12: x.technicienAccount(t)}}
	}},
	"completeIntervention": {
		// the example's first pièce has no emplacement: it comes from the van of the technicien
		// assigned, whom stockIDs gave one
		prepare: func(t *testing.T, x *exampleEnv) map[string]string {
			x.stockIDs(t)
			return idParam(x.interventionAt(t, "en_cours", assignTo(x.technicien("technicien3@mif.ma"))))
		},
		ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 { return x.stockIDs(t) },
	},
	"setSeuilStock":        {ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 { return x.stockIDs(t) }},
	"createMouvementStock": {ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 { return x.stockIDs(t) }},
	"createTransfertStock": {ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 { return x.stockIDs(t) }},
	"createPlanning": {ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 {
		return map[string]map[int64]int64{"intervention_id": {1: x.interventionAt(t, "ouverte")}}
	}},
	"updateTechnicien": {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.technicien(apitest.Technicien2)) }},
	"setTechnicienCompetence": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.technicien(apitest.Technicien2))
	}},
	"updateClient": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.id(`SELECT min(id) FROM clients`))
	}},
	"updateContrat": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.id(`SELECT min(id) FROM contrats`))
	}},
	"addContratEquipement": {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.create(t, "createContrat")) }},
	"updateSite":           {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.id(`SELECT min(id) FROM sites`)) }},
	"assignIntervention":   {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.interventionAt(t, "ouverte")) }},
	"startIntervention":    {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.interventionAt(t, "planifiee")) }},
	"pauseIntervention":    {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.interventionAt(t, "en_cours")) }},
	"resumeIntervention":   {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.interventionAt(t, "en_attente")) }},
	"cancelIntervention":   {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.interventionAt(t, "ouverte")) }},
	"setInterventionStatut": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.interventionAt(t, "en_cours"))
	}},
	"rateIntervention": {who: apitest.Client, prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.interventionAt(t, "terminee"))
	}},
	"reschedulePlanning": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.planningOf(t, x.interventionAt(t, "planifiee")))
	}},
	"updatePlanning": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.planningOf(t, x.interventionAt(t, "planifiee")))
	}},
	"movePlanningDates": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.planningOf(t, x.interventionAt(t, "planifiee")))
	}},
	"createDemande":      {who: apitest.Client},
	"uploadDemandePhoto": {who: apitest.Client, prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.demande(t)) }},
	"accepterDemande":    {who: apitest.Responsable, prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.demande(t)) }},
	"fusionnerDemande": {who: apitest.Responsable,
		prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.demande(t)) },
		ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 {
			// an open intervention on the demande's equipment (the example's demande is about the compressor)
			d := createOpen(t, x.env, fmt.Sprintf("Exemple %d", x.next()), x.equipement("CA3-2021-553"), noDeadline)
			return map[string]map[int64]int64{"intervention_id": {42: d.ID}}
		}},
	"rejeterDemande": {who: apitest.Responsable, prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.demande(t)) }},
	"updateWebhook":  {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.create(t, "createWebhook")) }},
	"updateChecklistModele": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return idParam(x.create(t, "createChecklistModele"))
	}},
	"fillInterventionChecklistItem": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		return x.checklistItem(t)
	}},
	"updatePiece": {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.create(t, "createPiece")) }},
	"updateEmplacement": {prepare: func(t *testing.T, x *exampleEnv) map[string]string {
		// a store: the example's van belongs to a technicien, who has one van at most
		return idParam(x.createWith(t, "createEmplacement", map[string]any{"type": "entrepot", "technicien_id": nil}))
	}},
	"optimizePlanning": {ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 {
		return map[string]map[int64]int64{"intervention_id": {42: x.interventionAt(t, "ouverte", func(b map[string]any) { b["urgence"] = true })}}
	}},
	"createInterventionReservation": {
		prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.interventionAt(t, "planifiee")) },
		ids:     func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 { return x.stockIDs(t) },
	},
	"updateZone": {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.create(t, "createZone")) }},
	"deplacerActif": {
		prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.equipement(presse)) },
		ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 {
			site := x.id(`SELECT site_id FROM equipements WHERE numero_serie = $1`, presse)
			return map[string]map[int64]int64{"zone_id": {3: x.createWith(t, "createZone", map[string]any{"site_id": site})}}
		},
	},
	"setCriticiteActif": {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.equipement(presse)) }},
	"retirerActif":      {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.newEquipement(t)) }},
	"updateCompteur":    {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.create(t, "createCompteur")) }},
	"createReleve":      {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.create(t, "createCompteur")) }},
	"createRelevesLot":  {prepare: func(t *testing.T, x *exampleEnv) map[string]string { return idParam(x.create(t, "createCompteur")) }},
	// A plan on the equipment of a meter made for it (the usage examples name meter 7): prepare
	// makes the meter, ids (which runs after it) puts it in the body.
	"setPlanPreventif": {
		prepare: func(t *testing.T, x *exampleEnv) map[string]string {
			return idParam(x.id(`SELECT equipement_id FROM compteurs WHERE id = $1`, x.create(t, "createCompteur")))
		},
		ids: func(t *testing.T, x *exampleEnv) map[string]map[int64]int64 {
			return map[string]map[int64]int64{"compteur_id": {7: x.id(`SELECT max(id) FROM compteurs`)}}
		},
	},
}

func idParam(id int64) map[string]string { return map[string]string{"id": apitest.ID(id)} }

// TestOpenAPIRequestExamplesAccepted sends every documented request-body example to its operation
// on a running platform (PostgreSQL with the demo data set, Temporal, worker) and expects a 2xx;
// apitest checks each answer against the document. Path parameters name objects found in the
// demo data or created for the operation (exampleCases); each example is sent once, as written
// but for the ids an exampleCases entry swaps. The examples go one after the other, sorted by
// operationId, on one platform: a creation's example must not collide with the objects that
// earlier cases created (they add a suffix to unique names; see create).
func TestOpenAPIRequestExamplesAccepted(t *testing.T) {
	t.Parallel()
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := requestExamples(doc) // a missing example is TestOpenAPIRequestBodiesHaveExamples's to report
	// The webhook example's host is a placeholder (.example is reserved, RFC 2606, and resolves
	// nowhere): the platform is told to trust it, as a site trusts its own ERP's host. Nothing is
	// delivered: deliveries fail and are retried in the background, unread by the test.
	x := &exampleEnv{fixtures: newFixtures(t, apitest.WithEnv("MIF_WEBHOOK_ALLOW_HOSTS", "erp.client.example")), byOp: map[string]requestExample{}}
	ops := map[string]bool{}
	for _, e := range examples {
		ops[e.opID] = true
		if _, ok := x.byOp[e.opID]; !ok {
			x.byOp[e.opID] = e
		}
	}
	for op := range examplesNotSent {
		if op, _, _ := strings.Cut(op, "/"); !ops[op] {
			t.Errorf("examplesNotSent names %s, which has no request example any more", op)
		}
	}
	for op := range exampleCases {
		if !ops[op] {
			t.Errorf("exampleCases names %s, which has no request example any more", op)
		}
	}
	var failed []string
	sent := 0
	for _, e := range examples {
		if _, skip := examplesNotSent[e.opID]; skip {
			continue
		}
		if _, skip := examplesNotSent[e.opID+"/"+e.name]; skip && e.name != "" {
			continue
		}
		c := exampleCases[e.opID]
		if c.prepare == nil && strings.Contains(e.path, "{") {
			failed = append(failed, fmt.Sprintf("%s: has path parameters; add an exampleCases entry that finds or creates them", e))
			continue
		}
		ok := t.Run(e.opID+"/"+strings.ReplaceAll(e.mediaType, "/", "_")+"/"+e.name, func(st *testing.T) {
			// the fixtures' helpers fail the test they are given: this subtest, while it runs
			x.fixtures.t = st
			defer func() { x.fixtures.t = t }()
			t := st
			params := map[string]string{}
			if c.prepare != nil {
				params = c.prepare(t, x)
			}
			who := c.who
			if who == "" {
				who = apitest.Admin
			}
			if c.before != nil {
				c.before(t, x)
			}
			if c.ids != nil {
				e.value = remapIDs(t, e.value, c.ids(t, x))
			}
			res := x.send(t, e, params, who)
			if res.Status < 200 || res.Status > 299 {
				t.Fatalf("%s as %s → %d: %s", e, who, res.Status, res.Body)
			}
			if c.after != nil {
				c.after(t, x, res)
			}
		})
		sent++
		if !ok {
			failed = append(failed, e.String()+": refused (see the subtest)")
		}
	}
	if len(failed) > 0 {
		t.Errorf("%d documented request examples were not accepted:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	if sent < 50 {
		t.Fatalf("only %d examples sent", sent)
	}
}

// send sends example e to its operation, the path's parameters taken from params.
func (x *exampleEnv) send(t *testing.T, e requestExample, params map[string]string, who string) *apitest.Response {
	t.Helper()
	p := e.path
	for k, v := range params {
		p = strings.ReplaceAll(p, "{"+k+"}", url.PathEscape(v))
	}
	if strings.Contains(p, "{") {
		t.Fatalf("%s: path parameters left in %s", e, p)
	}
	body, ct := encodeExample(t, e)
	return x.env.Do(t, apitest.Request{Method: strings.ToUpper(e.method), Path: p, Token: x.tok[who], Body: body,
		Header: map[string]string{"Content-Type": ct, "Idempotency-Key": fmt.Sprintf("example-%s-%d", e.opID, x.next())}})
}

func (x *exampleEnv) next() int { x.seq++; return x.seq }

// encodeExample encodes an example in its media type. In multipart/form-data, a binary field's
// example is the name of the file sent; its content is a small PDF, or a PNG image when the name
// ends in .png or .jpg.
func encodeExample(t *testing.T, e requestExample) ([]byte, string) {
	t.Helper()
	switch {
	case e.mediaType == "application/json":
		b, err := json.Marshal(e.value)
		if err != nil {
			t.Fatal(err)
		}
		return b, e.mediaType
	case e.mediaType == "application/x-www-form-urlencoded":
		m, _ := e.value.(map[string]any)
		vals := url.Values{}
		for k, v := range m {
			vals.Set(k, fmt.Sprint(v))
		}
		return []byte(vals.Encode()), e.mediaType
	case e.mediaType == "multipart/form-data":
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		m, _ := e.value.(map[string]any)
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v := fmt.Sprint(m[k])
			if s := e.schema; s != nil && s.Properties[k] != nil && s.Properties[k].Value != nil && s.Properties[k].Value.Format == "binary" {
				fw, err := mw.CreateFormFile(k, v)
				if err != nil {
					t.Fatal(err)
				}
				switch strings.ToLower(path.Ext(v)) {
				case ".png", ".jpg", ".jpeg":
					_, _ = fw.Write(pngBytes(t))
				default:
					_, _ = fw.Write(pdfBytes("Exemple de document MIF"))
				}
				continue
			}
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
		_ = mw.Close()
		return buf.Bytes(), mw.FormDataContentType()
	case strings.HasPrefix(e.mediaType, "text/"):
		s, ok := e.value.(string)
		if !ok {
			t.Fatalf("%s: a text example is a string, got %T", e, e.value)
		}
		return []byte(s), e.mediaType
	}
	t.Fatalf("%s: no encoding for this media type in the test", e)
	return nil, ""
}

// create sends operation op's documented example (a creation) and returns the new object's id.
// A creation's example may be sent several times: string fields that a unique constraint may
// cover get a suffix.
func (x *exampleEnv) create(t *testing.T, op string) int64 { return x.createWith(t, op, nil) }

// createWith is create with some fields of the example replaced (nil removes a field).
func (x *exampleEnv) createWith(t *testing.T, op string, set map[string]any) int64 {
	t.Helper()
	e, ok := x.byOp[op]
	if !ok {
		t.Fatalf("no request example for %s", op)
	}
	n := x.next()
	if m, ok := e.value.(map[string]any); ok {
		c := make(map[string]any, len(m))
		for k, v := range m {
			c[k] = v
		}
		for k, v := range set {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		for _, k := range []string{"nom", "numero", "reference", "numero_serie", "url"} {
			if s, ok := c[k].(string); ok {
				if k == "url" {
					c[k] = s + fmt.Sprintf("?n=%d", n)
				} else {
					c[k] = fmt.Sprintf("%s %d", s, n)
				}
			}
		}
		e.value = c
	}
	res := x.send(t, e, nil, apitest.Admin)
	if res.Status != http.StatusCreated && res.Status != http.StatusOK {
		t.Fatalf("creating for the example: %s → %d: %s", e, res.Status, res.Body)
	}
	var out struct {
		ID int64 `json:"id"`
	}
	res.JSON(t, &out)
	if out.ID == 0 {
		t.Fatalf("%s: no id in %s", e, res.Body)
	}
	return out.ID
}

func (x *exampleEnv) userID(email string) int64 {
	return x.id(`SELECT id FROM users WHERE email = $1`, email)
}

func (x *exampleEnv) newEquipement(t *testing.T) int64 { return x.create(t, "createEquipement") }

// interventionAt opens an intervention on the demo press (client Cimenterie Atlas) through the
// API and takes it through its workflow to statut.
func (x *exampleEnv) interventionAt(t *testing.T, statut string, opts ...func(map[string]any)) int64 {
	t.Helper()
	created := map[string]any{}
	for _, o := range opts {
		o(created)
	}
	d := createOpen(t, x.env, fmt.Sprintf("Exemple %d", x.next()), x.equipement(presse), func(b map[string]any) {
		for k, v := range created {
			if !strings.HasPrefix(k, "_") {
				b[k] = v
			}
		}
	}, noDeadline)
	path := "/api/v1/interventions/" + apitest.ID(d.ID)
	steps := map[string][]string{
		"ouverte":    nil,
		"planifiee":  {"PUT assign"},
		"en_cours":   {"PUT assign", "POST start"},
		"en_attente": {"PUT assign", "POST start", "POST pause"},
		"terminee":   {"PUT assign", "POST start", "POST complete"},
	}[statut]
	for _, s := range steps {
		method, action, _ := strings.Cut(s, " ")
		var body any
		if action == "complete" {
			body = map[string]any{"rapport": "Travaux terminés, essais conformes.", "temps_passe": 30}
		}
		if action == "assign" {
			// a Tuesday 10:00 of its own, weeks ahead: the workflow picks a technicien free then
			x.slots++
			body = map[string]any{"date_planifiee": workdaySlot(t, 2+x.slots)}
			if tech, ok := created["_technicien"]; ok {
				body = map[string]any{"technicien_id": tech, "date_planifiee": workdaySlot(t, 2+x.slots)}
			}
		}
		step(t, x.env, apitest.Admin, method, path+"/"+action, body, http.StatusOK)
	}
	return d.ID
}

// assignTo is an interventionAt option: assign to this technicien rather than the workflow's choice.
func assignTo(technicienID int64) func(map[string]any) {
	return func(b map[string]any) { b["_technicien"] = technicienID }
}

func (x *exampleEnv) planningOf(t *testing.T, interventionID int64) int64 {
	return x.id(`SELECT id FROM plannings WHERE intervention_id = $1 ORDER BY id DESC LIMIT 1`, interventionID)
}

// demande files the documented createDemande example as the client.
func (x *exampleEnv) demande(t *testing.T) int64 {
	t.Helper()
	e := x.byOp["createDemande"]
	res := x.send(t, e, nil, apitest.Client)
	if res.Status != http.StatusCreated {
		t.Fatalf("demande: %d %s", res.Status, res.Body)
	}
	var out struct {
		ID int64 `json:"id"`
	}
	res.JSON(t, &out)
	return out.ID
}

// checklistItem plans a preventive intervention on the demo press, whose copy of the documented
// checklist template gives the item to fill.
func (x *exampleEnv) checklistItem(t *testing.T) map[string]string {
	t.Helper()
	x.create(t, "createChecklistModele")
	id := x.interventionAt(t, "en_cours", func(b map[string]any) { b["type_intervention"] = "preventive" })
	// the example fills a measurement (236.5, out of the template's bounds, with a corrective)
	item := x.id(`SELECT id FROM intervention_checklist_items WHERE intervention_id = $1 AND type = 'mesure' ORDER BY ordre LIMIT 1`, id)
	return map[string]string{"id": apitest.ID(id), "item_id": apitest.ID(item)}
}

// remapIDs returns a copy of v in which the number of each field named in ids is replaced as
// ids says, at any depth (the pieces of a completion are in an array).
func remapIDs(t *testing.T, v any, ids map[string]map[int64]int64) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if m, ok := ids[k]; ok {
				if n, ok := exampleInt(val); ok {
					if real, ok := m[n]; ok {
						out[k] = real
						continue
					}
				}
			}
			out[k] = remapIDs(t, val, ids)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = remapIDs(t, val, ids)
		}
		return out
	}
	return v
}

// exampleInt reads a whole number of a decoded example, whatever type the decoder chose.
func exampleInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), float64(int64(n)) == n
	case int:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// stockIDs creates, once, what the pièces examples name: two pièces of the catalogue (the
// examples' 4 and 7), a store (1) and a technicien's van (2), each holding 100 of each pièce.
func (x *exampleEnv) stockIDs(t *testing.T) map[string]map[int64]int64 {
	t.Helper()
	if x.stock != nil {
		return x.stock
	}
	p4, p7 := x.create(t, "createPiece"), x.create(t, "createPiece")
	magasin := x.createWith(t, "createEmplacement", map[string]any{"type": "entrepot", "technicien_id": nil})
	vehicule := x.createWith(t, "createEmplacement", map[string]any{"technicien_id": x.technicien("technicien3@mif.ma")})
	for _, p := range []int64{p4, p7} {
		for _, e := range []int64{magasin, vehicule} {
			x.want(t, http.StatusCreated, apitest.Admin, http.MethodPost, "/api/v1/stocks/mouvements",
				map[string]any{"piece_id": p, "emplacement_id": e, "type": "entree", "quantite": 100})
		}
	}
	emplacements := map[int64]int64{1: magasin, 2: vehicule}
	x.stock = map[string]map[int64]int64{
		"piece_id":            {4: p4, 7: p7},
		"emplacement_id":      emplacements,
		"de_emplacement_id":   emplacements,
		"vers_emplacement_id": emplacements,
	}
	return x.stock
}

// technicienAccount is an account of role technicien without a technicien profile: the API
// creates the profile with the account, so the test removes it (as for an account imported before
// profiles existed).
func (x *exampleEnv) technicienAccount(t *testing.T) int64 {
	t.Helper()
	n := x.next()
	res := x.want(t, http.StatusCreated, apitest.Admin, http.MethodPost, "/api/v1/users", map[string]any{
		"email": fmt.Sprintf("nouveau.technicien%d@mif.ma", n), "password": "Gmao#Atelier2026",
		"nom": "Chraibi", "prenom": "Hamza", "role": "technicien",
	})
	var u struct {
		ID int64 `json:"id"`
	}
	res.JSON(t, &u)
	x.exec(`DELETE FROM techniciens WHERE user_id = $1`, u.ID)
	return u.ID
}
