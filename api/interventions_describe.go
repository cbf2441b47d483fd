package api

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
)

// describeIntervention is what a manager reads of a new intervention's workflow in the Temporal
// Web UI: the summary line (n° — titre — priorité — équipement — client) and details in Temporal
// Markdown. A name that cannot be read leaves a
// shorter summary, never a refused creation.
func (s *Server) describeIntervention(ctx context.Context, numero int64, n domain.NewIntervention, eq domain.Equipement, p domain.Principal) orchestration.Description {
	client, err := s.store.ClientOfEquipement(ctx, eq.ID)
	if err != nil {
		s.log.Warn("workflow summary without the client", zap.Int64("equipement_id", eq.ID), zap.Error(err))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n\n", n.Titre)
	fmt.Fprintf(&b, "- Type : %s\n- Priorité : %s", n.TypeIntervention.Label(), n.Priorite.Label())
	if n.Urgence {
		b.WriteString(" (urgente)")
	}
	fmt.Fprintf(&b, "\n- Équipement : %s (%s, %s)\n", eq.Nom, eq.Type, eq.Localisation)
	if client != "" {
		fmt.Fprintf(&b, "- Client : %s\n", client)
	}
	if n.DateLimite != nil {
		fmt.Fprintf(&b, "- Date limite : %s\n", s.localTime(*n.DateLimite))
	}
	if u, err := s.store.GetUser(ctx, p.UserID); err == nil {
		fmt.Fprintf(&b, "- Créée par : %s %s (%s)\n", u.Prenom, u.Nom, u.Role)
	}
	return orchestration.Description{
		Summary: domain.InterventionSummary(numero, n.Titre, n.Priorite, eq.Nom, client),
		Details: b.String(),
	}
}

// localTime writes a date in the platform's time zone (MIF_PLANNING_TIMEZONE), labelled.
func (s *Server) localTime(t time.Time) string {
	loc, err := time.LoadLocation(s.cfg.Workflows.Timezone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("02/01/2006 15:04") + " (" + s.cfg.Workflows.Timezone + ")"
}
