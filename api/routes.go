package api

import (
	"net/http"

	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/domain"
)

// Route is one registered endpoint and the permission it demands. Public routes need no token.
type Route struct {
	Method string
	Path   string // as registered, below the router root (e.g. /api/v1/interventions/{id:[0-9]+})
	Perm   authz.Permission
	Public bool
}

// endpoint is one line of the route table.
type endpoint struct {
	Route
	h    http.HandlerFunc
	opts []routeOption
}

// public is a route that answers without a token (health, docs, login, JWKS).
func public(method, path string, h http.HandlerFunc, opts ...routeOption) endpoint {
	return endpoint{Route: Route{Method: method, Path: path, Public: true}, h: h, opts: opts}
}

// guarded is a route behind authentication and the permission perm.
func guarded(method, path string, perm authz.Permission, h http.HandlerFunc, opts ...routeOption) endpoint {
	if perm == "" {
		panic("api: route " + method + " " + path + " declares no permission")
	}
	return endpoint{Route: Route{Method: method, Path: path, Perm: perm}, h: h, opts: opts}
}

// routeOption adjusts one route's registration.
type routeOption func(*routeConfig)

type routeConfig struct {
	maxBody      int64
	tokenInQuery bool
	readCache    bool
}

// withMaxBody raises (or lowers) the request body limit of one route, e.g. uploads.
func withMaxBody(n int64) routeOption { return func(c *routeConfig) { c.maxBody = n } }

// withTokenInQuery lets the route authenticate with ?access_token= (EventSource cannot send
// headers; see tokenFromQuery).
func withTokenInQuery() routeOption { return func(c *routeConfig) { c.tokenInQuery = true } }

// routeTable is every endpoint of the API: method, path, who may call it (public, or the
// permission demanded after authentication) and handler. Every path variable is constrained
// (ids are digits), so that no two lines match the same request and their order never matters:
// /users/me is not /users/{id}. The order below is only the order GET /auth/permissions lists.
// Mounted outside the table (mount): the documentation assets under /docs/ and, in dev
// mode, the mail inbox /dev/mail.
func (s *Server) routeTable(docs docHandlers) []endpoint {
	const (
		get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete

		v1 = "/api/v1"
		id = "{id:[0-9]+}"
	)
	// The body limit of uploads is the file limit plus room for the multipart envelope and the
	// form fields; the file itself is checked exactly (413) while it is read.
	uploadLimit := withMaxBody(s.cfg.Documents.MaxBytes + 64<<10)
	return []endpoint{
		// Health, metrics (counts and timings per route, nothing about users or data: public like
		// the other health endpoints; put the path behind the load balancer's own rules if it must
		// stay internal) and our public keys.
		public(get, v1+"/health", s.health),
		public(get, v1+"/health/db", s.healthDB),
		public(get, v1+"/health/ready", s.healthReady),
		public(get, v1+"/health/metrics", s.metrics.handler().ServeHTTP),
		public(get, "/.well-known/jwks.json", s.jwks),
		// Authentication (auth.go). Login, refresh, logout and OIDC must work without an access
		// token; the rest needs the "profile" permission every role has.
		public(post, v1+"/auth/login", s.login),
		public(post, v1+"/auth/token", s.login),
		public(post, v1+"/auth/refresh", s.refresh),
		public(post, v1+"/auth/logout", s.logout),
		public(get, v1+"/auth/oidc/login", s.oidcLogin),
		public(get, v1+"/auth/oidc/callback", s.oidcCallback),
		guarded(get, v1+"/auth/me", "profile:read", s.me),
		guarded(post, v1+"/auth/change-password", "profile:update", s.changePassword),
		guarded(get, v1+"/auth/permissions", "profile:read", s.permissions),

		// Documents (documents.go), the intervention report (rapport.go), key rotation
		// (admin_documents.go; "admin:*" is held by the admin role only).
		guarded(post, v1+"/documents/upload", "documents:upload", s.uploadDocument, uploadLimit),
		guarded(post, v1+"/documents", "documents:upload", s.uploadDocument, uploadLimit),
		guarded(get, v1+"/documents", "documents:read", s.listDocuments),
		guarded(get, v1+"/documents/"+id, "documents:read", s.getDocument),
		guarded(get, v1+"/documents/"+id+"/download", "documents:read", s.downloadDocument),
		guarded(get, v1+"/documents/"+id+"/verify", "documents:read", s.verifyDocument),
		guarded(get, v1+"/documents/"+id+"/versions", "documents:read", s.documentVersions),
		guarded(del, v1+"/documents/"+id, "documents:delete", s.deleteDocument),
		guarded(get, v1+"/interventions/"+id+"/rapport.pdf", "interventions:read", s.interventionReport),
		guarded(post, v1+"/admin/documents/rotate-keys", "admin:rotate_keys", s.startKeyRotation),
		guarded(get, v1+"/admin/documents/rotate-keys", "admin:rotate_keys", s.keyRotationProgress),

		// Notifications in real time (notifications_stream.go: EventSource cannot send headers, so
		// the token may come in the query) and their e-mail preferences (notification_prefs.go).
		guarded(get, v1+"/notifications/stream", "notifications:read", s.notificationStream, withTokenInQuery()),
		guarded(get, v1+"/notifications/preferences", "notifications:read", s.getEmailPreferences),
		guarded(put, v1+"/notifications/preferences", "notifications:update", s.putEmailPreferences),

		// Users (users.go).
		guarded(get, v1+"/users", "users:read", s.listUsers),
		guarded(post, v1+"/users", "users:create", s.createUser),
		guarded(get, v1+"/users/me", "profile:read", s.me),
		guarded(put, v1+"/users/update", "profile:update", s.updateOwnProfile),
		guarded(get, v1+"/users/"+id, "users:read", s.getUser),
		guarded(put, v1+"/users/"+id, "users:update", s.updateUser),
		guarded(del, v1+"/users/"+id, "users:delete", s.deactivateUser),
		guarded(patch, v1+"/users/"+id+"/activate", "users:update", s.activateUser),

		// The intervention lifecycle (interventions_lifecycle.go): every transition is an update
		// of the intervention's workflow, which validates it (409 before anything is written).
		guarded(put, v1+"/interventions/"+id+"/assign", "interventions:assign", s.assignIntervention),
		guarded(post, v1+"/interventions/"+id+"/start", "interventions:update_status", s.transitionHandler(domain.ActionStart)),
		guarded(post, v1+"/interventions/"+id+"/pause", "interventions:update_status", s.transitionHandler(domain.ActionPause)),
		guarded(post, v1+"/interventions/"+id+"/resume", "interventions:update_status", s.transitionHandler(domain.ActionResume)),
		guarded(post, v1+"/interventions/"+id+"/complete", "interventions:update_status", s.completeIntervention),
		guarded(post, v1+"/interventions/"+id+"/cancel", "interventions:cancel", s.cancelIntervention),
		guarded(patch, v1+"/interventions/"+id+"/statut", "interventions:update_status", s.patchInterventionStatut),
		// interventions:rate (clients); the handler keeps rating to clients (their own) and admins.
		guarded(post, v1+"/interventions/"+id+"/evaluation", "interventions:rate", s.evaluateIntervention),
		guarded(get, v1+"/interventions/"+id+"/workflow", "interventions:read", s.interventionWorkflow),

		// Planning through its workflow (planning_workflows.go): generation, conflicts, rescheduling.
		guarded(post, v1+"/planning/generate", "planning:create", s.generatePlanning),
		guarded(post, v1+"/planning/optimize", "planning:create", s.optimizePlanning),
		guarded(get, v1+"/planning/optimize/{key:[0-9a-f-]+}", "planning:read", s.optimizeStatus),
		guarded(get, v1+"/planning/conflicts", "planning:read", s.planningConflicts),
		guarded(put, v1+"/planning/"+id+"/reschedule", "planning:update", s.reschedulePlanning),

		// Interventions: lists (interventions_list.go), creation and detail (interventions.go).
		guarded(get, v1+"/interventions", "interventions:read", s.listInterventions, withReadCache()),
		guarded(get, v1+"/interventions/overdue", "interventions:read", s.overdueInterventions),
		guarded(get, v1+"/interventions/mine", "interventions:read", s.myInterventions),
		guarded(get, v1+"/interventions/"+id+"/historique", "interventions:read", subListByID(s, s.store.InterventionHistorique)),

		// Equipment (equipements.go).
		guarded(get, v1+"/equipements", "equipements:read", s.listEquipements, withReadCache()),
		guarded(post, v1+"/equipements", "equipements:create", s.createEquipement),
		guarded(get, v1+"/equipements/"+id, "equipements:read", getByID(s, s.store.GetEquipementVue)),
		guarded(put, v1+"/equipements/"+id, "equipements:update", s.updateEquipement),
		guarded(del, v1+"/equipements/"+id, "equipements:delete", s.deleteEquipement),
		guarded(patch, v1+"/equipements/"+id+"/statut", "equipements:update", s.setEquipementStatut),
		guarded(post, v1+"/equipements/"+id+"/retirer", "equipements:update", s.retireActif),
		guarded(get, v1+"/equipements/"+id+"/historique-maintenance", "equipements:read", s.equipementMaintenanceHistory),
		guarded(get, v1+"/equipements/"+id+"/plan-preventif", "equipements:read", getByID(s, s.store.GetPlanPreventif)),
		guarded(put, v1+"/equipements/"+id+"/plan-preventif", "equipements:update", s.putPlanPreventif),

		// Techniciens and the competence catalogue (techniciens.go).
		guarded(get, v1+"/techniciens/competences", "techniciens:read", s.listCompetences),
		guarded(post, v1+"/techniciens/competences", "techniciens:create", s.createCompetence),
		guarded(get, v1+"/techniciens", "techniciens:read", s.listTechniciens),
		guarded(post, v1+"/techniciens", "techniciens:create", s.createTechnicien),
		guarded(get, v1+"/techniciens/"+id, "techniciens:read", getByID(s, s.store.GetTechnicienFor)),
		guarded(put, v1+"/techniciens/"+id, "techniciens:update", updateByID(s, s.decodeTechnicien, s.store.UpdateTechnicien)),
		guarded(del, v1+"/techniciens/"+id, "techniciens:delete", deleteByID(s, s.store.DeleteTechnicien)),
		guarded(get, v1+"/techniciens/"+id+"/competences", "techniciens:read", s.technicienCompetences),
		guarded(post, v1+"/techniciens/"+id+"/competences", "techniciens:update", s.setTechnicienCompetence),
		guarded(del, v1+"/techniciens/"+id+"/competences/{competence_id:[0-9]+}", "techniciens:update", s.removeTechnicienCompetence),

		// Client sites, with coordinates and opening hours (sites.go).
		guarded(get, v1+"/sites", "sites:read", s.listSites),
		guarded(post, v1+"/sites", "sites:create", createFrom(s, decodeInput[domain.SiteInput], s.store.CreateSite, v1+"/sites/", func(x domain.Site) int64 { return x.ID })),
		guarded(get, v1+"/sites/"+id, "sites:read", getByID(s, s.store.GetSite)),
		guarded(put, v1+"/sites/"+id, "sites:update", updateByID(s, decodeInput[domain.SiteInput], s.store.UpdateSite)),
		guarded(del, v1+"/sites/"+id, "sites:delete", deleteByID(s, s.store.DeleteSite)),

		// Spare parts inventory (pieces.go): catalogue, places, stock, ledger, transfers,
		// thresholds; reservations and consumption of an intervention.
		guarded(get, v1+"/pieces", "pieces:read", s.listPieces),
		guarded(post, v1+"/pieces", "pieces:create", createFrom(s, decodeInput[domain.PieceInput], s.store.CreatePiece, v1+"/pieces/", func(x domain.Piece) int64 { return x.ID })),
		guarded(get, v1+"/pieces/"+id, "pieces:read", getByID(s, s.store.GetPiece)),
		guarded(put, v1+"/pieces/"+id, "pieces:update", updateByID(s, decodeInput[domain.PieceInput], s.store.UpdatePiece)),
		guarded(del, v1+"/pieces/"+id, "pieces:delete", deleteByID(s, s.store.DeletePiece)),
		guarded(get, v1+"/emplacements", "pieces:read", s.listEmplacements),
		guarded(post, v1+"/emplacements", "pieces:create", createFrom(s, decodeInput[domain.EmplacementInput], s.store.CreateEmplacement, v1+"/emplacements/", func(x domain.Emplacement) int64 { return x.ID })),
		guarded(get, v1+"/emplacements/"+id, "pieces:read", getByID(s, s.store.GetEmplacement)),
		guarded(put, v1+"/emplacements/"+id, "pieces:update", updateByID(s, decodeInput[domain.EmplacementInput], s.store.UpdateEmplacement)),
		guarded(del, v1+"/emplacements/"+id, "pieces:delete", deleteByID(s, s.store.DeleteEmplacement)),
		guarded(get, v1+"/stocks", "stocks:read", s.listStocks),
		guarded(put, v1+"/stocks/seuil", "stocks:update", s.setSeuil),
		guarded(get, v1+"/stocks/mouvements", "stocks:read", s.listMouvements),
		guarded(post, v1+"/stocks/mouvements", "stocks:update", s.postMouvement),
		guarded(post, v1+"/stocks/transferts", "stocks:transfer", s.postTransfert),
		guarded(get, v1+"/interventions/"+id+"/reservations", "stocks:read", subListByID(s, s.store.ListReservations)),
		guarded(post, v1+"/interventions/"+id+"/reservations", "stocks:reserve", s.createReservation),
		guarded(del, v1+"/interventions/"+id+"/reservations/{reservation_id:[0-9]+}", "stocks:reserve", s.cancelReservation),
		guarded(get, v1+"/interventions/"+id+"/pieces", "interventions:read", subListByID(s, s.store.InterventionConsommations)),

		// Asset hierarchy (actifs.go): zones and lines of a site, equipment under each other,
		// criticality, moves and retirement (also POST /equipements/{id}/retirer above).
		guarded(get, v1+"/zones", "zones:read", s.listZones),
		guarded(post, v1+"/zones", "zones:create", createFrom(s, decodeInput[domain.ZoneInput], s.store.CreateZone, v1+"/zones/", func(x domain.Zone) int64 { return x.ID })),
		guarded(get, v1+"/zones/"+id, "zones:read", getByID(s, s.store.GetZone)),
		guarded(put, v1+"/zones/"+id, "zones:update", updateByID(s, decodeInput[domain.ZoneInput], s.store.UpdateZone)),
		guarded(del, v1+"/zones/"+id, "zones:delete", deleteByID(s, s.store.DeleteZone)),
		guarded(get, v1+"/actifs", "equipements:read", s.listActifs),
		guarded(get, v1+"/actifs/arbre", "equipements:read", s.arbreActifs),
		guarded(get, v1+"/actifs/"+id, "equipements:read", getByID(s, s.store.GetActif)),
		guarded(put, v1+"/actifs/"+id+"/deplacement", "equipements:update", s.moveActif),
		guarded(put, v1+"/actifs/"+id+"/criticite", "equipements:update", s.setCriticite),
		guarded(post, v1+"/actifs/"+id+"/retirer", "equipements:update", s.retireActif),

		// Usage meters and their readings (compteurs.go).
		guarded(get, v1+"/compteurs", "compteurs:read", s.listCompteurs),
		guarded(post, v1+"/compteurs", "compteurs:create", createFrom(s, decodeInput[domain.CompteurInput], s.store.CreateCompteur, v1+"/compteurs/", func(x domain.Compteur) int64 { return x.ID })),
		guarded(get, v1+"/compteurs/"+id, "compteurs:read", getByID(s, s.store.GetCompteur)),
		guarded(put, v1+"/compteurs/"+id, "compteurs:update", updateByID(s, decodeInput[domain.CompteurInput], s.store.UpdateCompteur)),
		guarded(del, v1+"/compteurs/"+id, "compteurs:delete", deleteByID(s, s.store.DeleteCompteur)),
		guarded(get, v1+"/compteurs/"+id+"/releves", "compteurs:read", subListByID(s, s.store.ListReleves)),
		guarded(post, v1+"/compteurs/"+id+"/releves", "compteurs:record", s.postReleve),
		guarded(post, v1+"/compteurs/"+id+"/releves/lot", "compteurs:record", s.postRelevesLot),

		// Clients and their contracts (clients.go).
		guarded(get, v1+"/clients", "clients:read", s.listClients),
		guarded(post, v1+"/clients", "clients:create", createFrom(s, decodeInput[domain.ClientInput], s.store.CreateClient, v1+"/clients/", func(x domain.Client) int64 { return x.ID })),
		guarded(get, v1+"/clients/"+id, "clients:read", getByID(s, s.store.GetClient)),
		guarded(put, v1+"/clients/"+id, "clients:update", updateByID(s, decodeInput[domain.ClientInput], s.store.UpdateClient)),
		guarded(del, v1+"/clients/"+id, "clients:delete", deleteByID(s, s.store.DeleteClient)),
		guarded(get, v1+"/contrats", "contrats:read", s.listContrats),
		guarded(post, v1+"/contrats", "contrats:create", s.createContrat),
		guarded(get, v1+"/contrats/"+id, "contrats:read", getByID(s, s.store.GetContrat)),
		guarded(put, v1+"/contrats/"+id, "contrats:update", updateByID(s, decodeContrat, s.store.UpdateContrat)),
		guarded(del, v1+"/contrats/"+id, "contrats:delete", deleteByID(s, s.store.DeleteContrat)),
		guarded(get, v1+"/contrats/"+id+"/equipements", "contrats:read", subListByID(s, s.store.ListContratEquipements)),
		guarded(post, v1+"/contrats/"+id+"/equipements", "contrats:update", s.addContratEquipement),
		guarded(del, v1+"/contrats/"+id+"/equipements/{equipement_id:[0-9]+}", "contrats:update", s.removeContratEquipement),

		// Planning reads (planning.go).
		guarded(get, v1+"/planning", "planning:read", s.listPlannings),
		guarded(get, v1+"/planning/technicien/"+id, "planning:read", s.technicienPlanning),
		guarded(get, v1+"/planning/technicien/"+id+"/tournee", "planning:read", s.technicienTournee),
		guarded(get, v1+"/planning/"+id, "planning:read", getByID(s, s.store.GetPlanning)),

		// The caller's inbox (notifications.go): another user's notification is not found.
		guarded(get, v1+"/notifications", "notifications:read", s.listNotifications),
		guarded(get, v1+"/notifications/unread-count", "notifications:read", s.unreadNotifications),
		guarded(get, v1+"/notifications/groupes", "notifications:read", s.listNotificationGroups),
		guarded(put, v1+"/notifications/read-all", "notifications:update", s.markAllNotificationsRead),
		guarded(put, v1+"/notifications/"+id+"/read", "notifications:update", s.markNotificationRead),
		guarded(del, v1+"/notifications/"+id, "notifications:delete", s.deleteNotification),

		// Dashboard (dashboard.go) and the audit trail (historique.go).
		guarded(get, v1+"/dashboard/stats", "reports:read", s.dashboardStats, withReadCache()),
		guarded(get, v1+"/dashboard/kpi", "reports:read", s.dashboardKPI),
		guarded(get, v1+"/historique", "historique:read", s.searchHistorique),
		// KPIs of the inventory and the asset hierarchy (kpis.go).
		guarded(get, v1+"/kpis/couts-pieces", "reports:read", s.kpiCoutPieces),
		guarded(get, v1+"/kpis/fiabilite", "reports:read", s.kpiFiabilite),
		guarded(get, v1+"/kpis/conformite-preventive", "reports:read", s.kpiConformitePreventive),

		// Creation and detail of an intervention (interventions.go).
		guarded(post, v1+"/interventions", "interventions:create", s.createIntervention),
		guarded(get, v1+"/interventions/"+id, "interventions:read", s.getIntervention), // with its effective deadline (interventions_deadline.go)

		// The earlier system's operations, kept for its clients (issue 12): planning slots by hand
		// through the intervention's workflow (planning_compat.go), notifications sent by a manager
		// and another user's inbox (notifications_send.go), filter menus (filters.go), every
		// dependency's health (health_detailed.go) and the metrics at their earlier path.
		guarded(post, v1+"/planning", "planning:create", s.createPlanning),
		guarded(put, v1+"/planning/"+id, "planning:update", s.updatePlanning),
		guarded(del, v1+"/planning/"+id, "planning:delete", s.deletePlanning),
		guarded(patch, v1+"/planning/"+id+"/dates", "planning:update", s.movePlanningDates),
		guarded(post, v1+"/notifications", "notifications:send", s.sendNotification),
		guarded(get, v1+"/notifications/user/me", "notifications:read", s.listNotifications),
		guarded(get, v1+"/notifications/user/{user_id:[0-9]+}", "notifications:read_all", s.userNotifications),
		guarded(get, v1+"/filters/interventions", "interventions:read", s.interventionFilters),
		guarded(get, v1+"/health/detailed", "admin:health", s.healthDetailed),
		public(get, v1+"/metrics", s.metrics.handler().ServeHTTP),

		// Client requests (demandes.go): submitted by clients on their equipment, triaged by
		// responsables ("demandes:triage").
		guarded(get, v1+"/demandes", "demandes:read", s.listDemandes),
		guarded(post, v1+"/demandes", "demandes:create", s.createDemande),
		guarded(get, v1+"/demandes/"+id, "demandes:read", getByID(s, s.store.GetDemande)),
		guarded(post, v1+"/demandes/"+id+"/photos", "demandes:create", s.addDemandePhoto, uploadLimit),
		guarded(post, v1+"/demandes/"+id+"/accepter", "demandes:triage", s.acceptDemande),
		guarded(post, v1+"/demandes/"+id+"/fusionner", "demandes:triage", s.mergeDemande),
		guarded(post, v1+"/demandes/"+id+"/rejeter", "demandes:triage", s.rejectDemande),

		// Webhooks (webhooks.go): administrators only ("webhooks:*" is granted to no other role).
		guarded(get, v1+"/webhooks", "webhooks:read", s.listWebhooks),
		guarded(post, v1+"/webhooks", "webhooks:create", s.createWebhook),
		guarded(get, v1+"/webhooks/"+id, "webhooks:read", getByID(s, s.store.GetWebhookFor)),
		guarded(put, v1+"/webhooks/"+id, "webhooks:update", s.updateWebhook),
		guarded(del, v1+"/webhooks/"+id, "webhooks:delete", deleteByID(s, s.store.DeleteWebhook)),
		guarded(get, v1+"/webhooks/"+id+"/livraisons", "webhooks:read", subListByID(s, s.store.ListWebhookLivraisons)),
		guarded(post, v1+"/webhooks/"+id+"/evenements/{evenement_id:[0-9]+}/rejouer", "webhooks:update", s.replayWebhook),

		// CSV export (the list's scoping and filters) and import (csv.go).
		guarded(get, v1+"/equipements/export", "equipements:read", csvExport(s.exportEquipements)),
		guarded(post, v1+"/equipements/import", "equipements:create", s.importCSV(s.equipementImporter()), uploadLimit),
		guarded(get, v1+"/clients/export", "clients:read", csvExport(s.exportClients)),
		guarded(post, v1+"/clients/import", "clients:create", s.importCSV(s.clientImporter()), uploadLimit),
		guarded(get, v1+"/sites/export", "sites:read", csvExport(s.exportSites)),
		guarded(post, v1+"/sites/import", "sites:create", s.importCSV(s.siteImporter()), uploadLimit),
		guarded(get, v1+"/techniciens/export", "techniciens:read", csvExport(s.exportTechniciens)),
		guarded(post, v1+"/techniciens/import", "techniciens:create", s.importCSV(s.technicienImporter()), uploadLimit),
		guarded(get, v1+"/interventions/export", "interventions:read", csvExport(s.exportInterventions)),

		// Checklists (checklists.go): templates, and an intervention's copy filled while en_cours.
		guarded(get, v1+"/checklists", "checklists:read", s.listChecklistModeles),
		guarded(post, v1+"/checklists", "checklists:create", s.saveChecklistModele(true)),
		guarded(get, v1+"/checklists/"+id, "checklists:read", getByID(s, s.store.GetChecklistModele)),
		guarded(put, v1+"/checklists/"+id, "checklists:update", s.saveChecklistModele(false)),
		guarded(del, v1+"/checklists/"+id, "checklists:delete", deleteByID(s, s.store.DeleteChecklistModele)),
		guarded(get, v1+"/interventions/"+id+"/checklist", "interventions:read", s.interventionChecklist),
		guarded(put, v1+"/interventions/"+id+"/checklist/{item_id:[0-9]+}", "interventions:update_status", s.fillChecklistItem),

		// The contract and its documentation (openapi.go), from assets embedded in the binary.
		public(get, "/openapi.json", docs.spec),
		public(get, "/docs", docs.ui),
		public(get, "/redoc", docs.redoc),
	}
}

// mount registers the table, then what is mounted outside it: the documentation assets (a path
// prefix) and, in dev mode, the mail inbox — a developer tool, not part of the API, registered on
// the router directly, outside the route list and the OpenAPI contract, and never in production.
func (s *Server) mount(docs docHandlers) {
	for _, e := range s.routeTable(docs) {
		s.register(e)
	}
	s.router.PathPrefix("/docs/").Methods(http.MethodGet).Handler(docs.assets)
	if s.dl.devMail != nil {
		s.router.HandleFunc("/dev/mail", s.devMail).Methods(http.MethodGet)
	}
}

// register mounts one endpoint: a guarded one behind authentication and its permission check,
// every one behind its body limit.
func (s *Server) register(e endpoint) {
	c := routeConfig{maxBody: s.cfg.MaxBodyBytes}
	for _, o := range e.opts {
		o(&c)
	}
	var h http.Handler = e.h
	switch {
	case c.readCache:
		h = s.cachedRead(h)
	case e.Method != http.MethodGet && !e.Public:
		h = s.recordWrites(h) // readcache.go: the cached reads learn of the write before its answer leaves
	}
	if !e.Public {
		h = noStore(s.authenticate(s.authorize(e.Perm, h)))
	}
	if c.tokenInQuery {
		h = tokenFromQuery(h)
	}
	s.routes = append(s.routes, e.Route)
	s.router.Handle(e.Path, limitBody(c.maxBody, rejectInvalidForm(h))).Methods(e.Method)
}

// noStore marks every answer of an authenticated route (its 401 and 403 included) as not to be
// kept by browsers or proxies: it is one user's data.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
