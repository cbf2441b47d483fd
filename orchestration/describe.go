package orchestration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// DescribeIntervention is what a manager reads of an intervention's workflow in the Temporal Web
// UI: the summary line (n° — titre — priorité — équipement — client) and details in Temporal
// Markdown, with the deadline in the planning's time zone (loc, MIF_PLANNING_TIMEZONE),
// labelled. eq is the equipment when the caller has read it already (nil: read here). A name
// that cannot be read leaves a shorter description and is returned as err with it: never a
// refused start. The API describes a creation with it, the outbox relay a start it makes later.
func DescribeIntervention(ctx context.Context, st *storage.Store, loc *time.Location, numero int64, n domain.NewIntervention, eq *domain.Equipement) (Description, error) {
	var errs []error
	if eq == nil {
		e, err := st.GetEquipement(ctx, n.EquipementID)
		if err != nil {
			errs = append(errs, fmt.Errorf("equipment %d: %w", n.EquipementID, err))
		}
		e.ID = n.EquipementID
		eq = &e
	}
	client, err := st.ClientOfEquipement(ctx, eq.ID)
	if err != nil {
		errs = append(errs, fmt.Errorf("client of equipment %d: %w", eq.ID, err))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n\n", n.Titre)
	fmt.Fprintf(&b, "- Type : %s\n- Priorité : %s", n.TypeIntervention.Label(), n.Priorite.Label())
	if n.Urgence {
		b.WriteString(" (urgente)")
	}
	if eq.Nom != "" {
		fmt.Fprintf(&b, "\n- Équipement : %s (%s, %s)\n", eq.Nom, eq.Type, eq.Localisation)
	} else {
		fmt.Fprintf(&b, "\n- Équipement : n°%d\n", eq.ID)
	}
	if client != "" {
		fmt.Fprintf(&b, "- Client : %s\n", client)
	}
	if n.DateLimite != nil {
		fmt.Fprintf(&b, "- Date limite : %s\n", domain.LocalTime(*n.DateLimite, loc))
	}
	if n.CreateurID != nil {
		if u, err := st.GetUser(ctx, *n.CreateurID); err == nil {
			fmt.Fprintf(&b, "- Créée par : %s %s (%s)\n", u.Prenom, u.Nom, u.Role)
		} else {
			errs = append(errs, fmt.Errorf("creator %d: %w", *n.CreateurID, err))
		}
	}
	return Description{
		Summary: domain.InterventionSummary(numero, n.Titre, n.Priorite, eq.Nom, client),
		Details: b.String(),
	}, errors.Join(errs...)
}
