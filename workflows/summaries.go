package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// What a manager reads of each workflow in the Temporal Web UI (the SDK's user metadata: a
// one-line summary and Markdown details, fixed at the start). The starters (orchestration, the
// Schedules, the parent workflows for their children) take them from here, so that one workflow
// kind always reads the same way. Pure functions: workflow code calls them too (fmt.Sprintf only there: workflowcheck takes
// fmt.Fprintf for output).
//
// User metadata is not part of what the SDK compares on replay (a child's start is matched on its
// workflow type, a timer on its ID), so adding it to commands needs no workflow.GetVersion: the
// histories in testdata, recorded without it, still replay (TestReplayCheckedInHistories).

// Description is a workflow's user metadata.
type Description struct {
	Summary string
	Details string
}

// dayOf writes a date as people read it (its own zone: the starters hand local dates).
func dayOf(t time.Time) string { return t.Format("02/01/2006") }

// DescribePreventiveCycle is the preventive cycle of one equipment (nom may be empty when only
// its id is known).
func DescribePreventiveCycle(equipementID int64, nom string, frequence int) Description {
	who := fmt.Sprintf("équipement %d", equipementID)
	if strings.TrimSpace(nom) != "" {
		who = strings.TrimSpace(nom)
	}
	d := Description{Summary: "Cycle préventif — " + who}
	d.Details = fmt.Sprintf("**Maintenance préventive de %s** (équipement %d)\n\n", who, equipementID)
	if frequence > 0 {
		d.Summary += fmt.Sprintf(" — tous les %d jours", frequence)
		d.Details += fmt.Sprintf("- Fréquence : tous les %d jours\n", frequence)
	}
	d.Details += "- Ouvre l'intervention de chaque échéance, attend qu'elle se termine, puis recommence pour la suivante.\n" +
		"- Le minuteur « Échéance préventive … » est l'attente de la prochaine ouverture.\n"
	return d
}

// PreventiveCurrentDetails is what a cycle shows while it waits (its current details: a run
// continued as new has no user metadata of its own, so every run says it again).
func PreventiveCurrentDetails(equipementID int64, nom string, frequence int, due, open time.Time) string {
	return DescribePreventiveCycle(equipementID, nom, frequence).Summary +
		fmt.Sprintf(" — prochaine échéance %s (ouverture de l'intervention %s UTC)", dayOf(due), open.UTC().Format("02/01/2006 15:04"))
}

// DescribePreventiveOccurrence is the intervention a preventive cycle opens for one due date (its
// number is not known yet: the workflow shows it as its current details once the row exists).
func DescribePreventiveOccurrence(equipement string, frequence int, due, limite time.Time) Description {
	titre := "Maintenance préventive"
	return Description{
		Summary: domain.InterventionSummary(0, titre, domain.PrioriteNormale, equipement, "") + " — échéance " + dayOf(due),
		Details: fmt.Sprintf("**%s — %s**\n\n- Type : %s\n- Priorité : %s\n- Équipement : %s\n- Fréquence : tous les %d jours\n- Échéance : %s\n- Date limite : %s (UTC)\n- Ouverte par le cycle préventif de l'équipement\n",
			titre, equipement, domain.TypePreventive.Label(), domain.PrioriteNormale.Label(), equipement, frequence, dayOf(due),
			limite.UTC().Format("02/01/2006 15:04")),
	}
}

// DescribeEscalation is the escalation ladder of one intervention; resume is the intervention's
// own summary when known (n° — titre — priorité — équipement — client).
func DescribeEscalation(interventionID int64, titre string, p domain.Priorite, resume string, assignAfter, startAfter time.Duration) Description {
	line := resume
	if line == "" {
		line = domain.InterventionSummary(interventionID, titre, p, "", "")
	} else if !strings.HasPrefix(line, "n°") && interventionID > 0 {
		line = fmt.Sprintf("n°%d — %s", interventionID, line)
	}
	return Description{
		Summary: "Escalade — " + line,
		Details: fmt.Sprintf("**Escalade de l'intervention n°%d** (%s)\n\n- Niveau 1 : non affectée %s après sa création → responsables\n- Niveau 2 : non démarrée %s après sa création → administrateurs\n- S'arrête dès que l'intervention est démarrée ou terminée.\n",
			interventionID, titre, duree(assignAfter), duree(startAfter)),
	}
}

// duree writes a delay as people read it ("2 h", "45 min", "1 h 30").
func duree(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %02d", h, m)
}

// DescribeWeeklyPlanning is one run of the weekly planning (week nil: the week of the run).
func DescribeWeeklyPlanning(week *time.Time, scheduled bool) Description {
	d := Description{Summary: "Planning hebdomadaire — semaine en cours"}
	if week != nil {
		d.Summary = "Planning hebdomadaire — semaine du " + dayOf(*week)
	}
	how := "lancé à la demande d'un responsable"
	if scheduled {
		how = "lancé chaque semaine par le Schedule " + ScheduleWeeklyPlanning
	}
	d.Details = "**Planning hebdomadaire** (" + how + ")\n\n- Affecte les interventions ouvertes de la semaine aux techniciens disponibles et compétents.\n- Prévient chaque technicien de son planning et les responsables de ce qui reste non affecté.\n"
	return d
}

// DescribeRoutePlanning is one route optimisation.
func DescribeRoutePlanning(in RoutePlanningInput) Description {
	var what []string
	switch {
	case in.UrgentID != nil:
		what = append(what, fmt.Sprintf("insertion de l'urgence n°%d", *in.UrgentID))
	case in.Semaine:
		what = append(what, "semaine")
	default:
		what = append(what, fmt.Sprintf("%d jour(s)", max(in.Jours, 1)))
	}
	if in.Debut != nil && in.UrgentID == nil {
		what = append(what, "à partir du "+dayOf(*in.Debut))
	}
	if in.TechnicienID != nil {
		what = append(what, fmt.Sprintf("technicien %d", *in.TechnicienID))
	} else {
		what = append(what, "tous les techniciens")
	}
	return Description{
		Summary: "Optimisation des tournées — " + strings.Join(what, " — "),
		Details: "**Optimisation des tournées** (" + strings.Join(what, ", ") + ")\n\n- Calcule les tournées des techniciens (trajets, créneaux, échéances) puis déplace les plannings concernés, chacun par le workflow de son intervention.\n- Prévient chaque technicien dont la tournée a changé.\n",
	}
}

// DescribeDemande is the follow-up of one client request.
func DescribeDemande(d domain.Demande) Description {
	parts := []string{fmt.Sprintf("Demande client n°%d", d.ID)}
	for _, s := range []string{d.ClientNom, d.EquipementNom, strings.ToLower(d.Urgence.Label())} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**Demande client n°%d**\n\n", d.ID)
	if d.ClientNom != "" {
		fmt.Fprintf(&b, "- Client : %s\n", d.ClientNom)
	}
	if d.EquipementNom != "" {
		fmt.Fprintf(&b, "- Équipement : %s\n", d.EquipementNom)
	}
	fmt.Fprintf(&b, "- Urgence : %s\n- Description : %s\n", d.Urgence.Label(), excerpt(d.Description))
	b.WriteString("- Attend le tri d'un responsable ; escaladée si personne ne l'a triée dans le délai.\n")
	return Description{Summary: strings.Join(parts, " — "), Details: b.String()}
}

// DescribeWebhook is the deliveries of one webhook subscription (the URL without its query,
// which may carry a token).
func DescribeWebhook(a domain.WebhookAbonnement) Description {
	url := a.URL
	if i := strings.IndexAny(url, "?#"); i >= 0 {
		url = url[:i]
	}
	d := Description{Summary: fmt.Sprintf("Webhook n°%d — %s", a.ID, url)}
	if s := strings.TrimSpace(a.Description); s != "" {
		d.Summary += " — " + s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**Livraison des événements du webhook n°%d**\n\n- Destination : %s\n", a.ID, url)
	if len(a.Evenements) > 0 {
		fmt.Fprintf(&b, "- Événements : %s\n", strings.Join(a.Evenements, ", "))
	}
	b.WriteString("- Envoie chaque événement dans l'ordre, signé ; réessaie avec un délai croissant ; suspend l'abonnement après trop d'échecs.\n")
	d.Details = b.String()
	return d
}

// DescribeKeyRotation is the re-encryption of the stored documents under the current key.
func DescribeKeyRotation(batch int) Description {
	d := Description{Summary: "Rotation des clés de chiffrement des documents",
		Details: "**Rotation des clés des documents**\n\n- Rechiffre chaque document avec la clé courante, par lots.\n- La progression est dans les détails courants et la requête « progress ».\n"}
	if batch > 0 {
		d.Details += fmt.Sprintf("- Taille des lots : %d\n", batch)
	}
	return d
}

// housekeepingTasks names the daily tasks.
var housekeepingTasks = map[string]string{
	TaskMaintenanceDue: "Avis de maintenance préventive à venir",
	TaskOverdueScan:    "Contrôle des interventions en retard",
	TaskPurgeTokens:    "Purge des jetons de rafraîchissement expirés",
}

// DescribeHousekeeping is one run of a daily task.
func DescribeHousekeeping(task string) Description {
	name, ok := housekeepingTasks[task]
	if !ok {
		name = "Tâche d'entretien " + task
	}
	return Description{Summary: "Entretien quotidien — " + name,
		Details: "**" + name + "**\n\n- Tâche quotidienne de la plateforme, lancée par son Schedule.\n"}
}

// DescribeNotificationDigest is one run of the e-mail digest.
func DescribeNotificationDigest(every time.Duration) Description {
	return Description{Summary: "Envoi groupé des e-mails de notification",
		Details: fmt.Sprintf("**Envoi groupé des e-mails**\n\n- Toutes les %s : chaque utilisateur reçoit en un seul e-mail les notifications qui attendaient la fin de sa période de calme.\n", duree(every))}
}
