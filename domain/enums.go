package domain

import "slices"

// Role is what a user account may do; the permission matrix lives in casbin/policy.csv.
type Role string

const (
	RoleAdmin       Role = "admin"
	RoleResponsable Role = "responsable"
	RoleTechnicien  Role = "technicien"
	RoleClient      Role = "client"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleResponsable, RoleTechnicien, RoleClient}

func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// StatutIntervention is the lifecycle status of an intervention.
type StatutIntervention string

const (
	StatutOuverte   StatutIntervention = "ouverte"
	StatutPlanifiee StatutIntervention = "planifiee"
	StatutEnCours   StatutIntervention = "en_cours"
	StatutEnAttente StatutIntervention = "en_attente"
	StatutTerminee  StatutIntervention = "terminee"
	StatutAnnulee   StatutIntervention = "annulee"
)

var StatutsIntervention = []StatutIntervention{
	StatutOuverte, StatutPlanifiee, StatutEnCours, StatutEnAttente, StatutTerminee, StatutAnnulee,
}

func (s StatutIntervention) Valid() bool { return slices.Contains(StatutsIntervention, s) }

// Final reports whether no transition leaves s.
func (s StatutIntervention) Final() bool { return s == StatutTerminee || s == StatutAnnulee }

// Priorite orders interventions; it also picks the default SLA.
type Priorite string

const (
	PrioriteBasse    Priorite = "basse"
	PrioriteNormale  Priorite = "normale"
	PrioriteHaute    Priorite = "haute"
	PrioriteCritique Priorite = "critique"
)

var Priorites = []Priorite{PrioriteBasse, PrioriteNormale, PrioriteHaute, PrioriteCritique}

func (p Priorite) Valid() bool { return slices.Contains(Priorites, p) }

// Rank is higher for more urgent priorities.
func (p Priorite) Rank() int { return slices.Index(Priorites, p) }

// TypeIntervention is the kind of work.
type TypeIntervention string

const (
	TypeCorrective TypeIntervention = "corrective"
	TypePreventive TypeIntervention = "preventive"
	TypePredictive TypeIntervention = "predictive"
)

var TypesIntervention = []TypeIntervention{TypeCorrective, TypePreventive, TypePredictive}

func (t TypeIntervention) Valid() bool { return slices.Contains(TypesIntervention, t) }

// StatutEquipement is the state of a machine.
type StatutEquipement string

const (
	EquipementOperationnel  StatutEquipement = "operationnel"
	EquipementEnMaintenance StatutEquipement = "en_maintenance"
	EquipementEnPanne       StatutEquipement = "en_panne"
	EquipementHorsService   StatutEquipement = "hors_service"
	EquipementRetire        StatutEquipement = "retire"
)

var StatutsEquipement = []StatutEquipement{
	EquipementOperationnel, EquipementEnMaintenance, EquipementEnPanne, EquipementHorsService, EquipementRetire,
}

func (s StatutEquipement) Valid() bool { return slices.Contains(StatutsEquipement, s) }

// StatutPlanning is the state of a planned slot.
type StatutPlanning string

const (
	PlanningPlanifiee StatutPlanning = "planifiee"
	PlanningEnCours   StatutPlanning = "en_cours"
	PlanningTerminee  StatutPlanning = "terminee"
	PlanningAnnulee   StatutPlanning = "annulee"
	PlanningReportee  StatutPlanning = "reportee"
)

var StatutsPlanning = []StatutPlanning{PlanningPlanifiee, PlanningEnCours, PlanningTerminee, PlanningAnnulee, PlanningReportee}

func (s StatutPlanning) Valid() bool { return slices.Contains(StatutsPlanning, s) }

// TypeNotification is the seed's notification severity.
type TypeNotification string

const (
	NotificationInfo    TypeNotification = "info"
	NotificationWarning TypeNotification = "warning"
	NotificationError   TypeNotification = "error"
	NotificationSuccess TypeNotification = "success"
)

var TypesNotification = []TypeNotification{NotificationInfo, NotificationWarning, NotificationError, NotificationSuccess}

func (t TypeNotification) Valid() bool { return slices.Contains(TypesNotification, t) }

// NiveauExperience of a technicien.
type NiveauExperience string

var NiveauxExperience = []NiveauExperience{"junior", "confirme", "senior", "expert"}

func (n NiveauExperience) Valid() bool { return slices.Contains(NiveauxExperience, n) }
