package domain

import "time"

// Sources of an intervention's SLA deadline, in order of precedence.
const (
	DeadlineSourceDateLimite = "date_limite" // the deadline given on the intervention
	DeadlineSourceContrat    = "contrat"     // the tightest resolution delay of the contracts covering the equipment
	DeadlineSourcePriorite   = "priorite"    // the configured default of the priority (MIF_SLA_*)
	DeadlineSourceCriticite  = "criticite"   // equipment of criticality A: MIF_SLA_CRITICITE_A when tighter
)

// Deadline is when an intervention created at creation must be resolved: its date_limite, else
// creation plus the contract's resolution delay (contractHours, nil without a contract), else
// creation plus the priority's default delay, capped by criticiteCap when that is tighter
// (criticiteCap is MIF_SLA_CRITICITE_A for equipment of criticality A, 0 otherwise). The
// workflow's SLA clock starts from it (and stops while the work waits).
func Deadline(dateLimite *time.Time, creation time.Time, contractHours *int, prio Priorite, defaults map[Priorite]time.Duration, criticiteCap time.Duration) (time.Time, string) {
	switch {
	case dateLimite != nil:
		return *dateLimite, DeadlineSourceDateLimite
	case contractHours != nil:
		return creation.Add(time.Duration(*contractHours) * time.Hour), DeadlineSourceContrat
	case criticiteCap > 0 && criticiteCap < defaults[prio]:
		return creation.Add(criticiteCap), DeadlineSourceCriticite
	}
	return creation.Add(defaults[prio]), DeadlineSourcePriorite
}
