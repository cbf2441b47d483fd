package storage

import (
	"context"
	"time"
)

// BusinessMetrics is a snapshot of the figures operations watch on the metrics endpoint. Each
// comes from an aggregate that an index serves (statut/priorité, the partial indexes on late,
// unfinished and e-mail-pending rows), so computing it stays cheap on a large table; the
// telemetry package still caches it between scrapes.
type BusinessMetrics struct {
	// Interventions counts every intervention by statut and priorité.
	Interventions []InterventionCount
	// Overdue counts unfinished interventions the SLA clock marked late.
	Overdue int64
	// SLABreaches counts interventions ever marked late (finished or not): it only grows, so a
	// rate over it is the breach rate.
	SLABreaches int64
	// Escalated counts unfinished interventions by the highest escalation level they reached.
	Escalated map[int]int64
	// PreventiveDue and PreventiveOnTime are the preventive interventions (not cancelled) due in
	// the PreventiveWindow before now, and those among them finished by their deadline.
	PreventiveDue    int64
	PreventiveOnTime int64
	// EmailsWaiting counts notifications whose e-mail waits for the next digest.
	EmailsWaiting int64
	// OutboxPending counts interventions whose workflow is not started yet (created while
	// Temporal was unreachable; the relay starts them).
	OutboxPending int64
}

// InterventionCount is one statut × priorité cell.
type InterventionCount struct {
	Statut   string `db:"statut"`
	Priorite string `db:"priorite"`
	N        int64  `db:"n"`
}

// PreventiveWindow is the period over which preventive compliance is measured.
const PreventiveWindow = 30 * 24 * time.Hour

// BusinessMetrics computes the snapshot in six small queries.
func (s *Store) BusinessMetrics(ctx context.Context, now time.Time) (BusinessMetrics, error) {
	m := BusinessMetrics{Escalated: map[int]int64{}}
	if err := s.q.SelectContext(ctx, &m.Interventions, `SELECT statut, priorite, count(*) AS n
		FROM interventions GROUP BY statut, priorite ORDER BY statut, priorite`); err != nil {
		return m, wrap("business metrics interventions", err)
	}
	var late struct {
		Breaches int64 `db:"breaches"`
		Overdue  int64 `db:"overdue"`
	}
	if err := s.q.GetContext(ctx, &late, `SELECT count(*) AS breaches,
			count(*) FILTER (WHERE statut NOT IN ('terminee', 'annulee')) AS overdue
		FROM interventions WHERE en_retard`); err != nil {
		return m, wrap("business metrics late", err)
	}
	m.SLABreaches, m.Overdue = late.Breaches, late.Overdue
	var levels []struct {
		Niveau int   `db:"niveau"`
		N      int64 `db:"n"`
	}
	// Unfinished interventions first (a partial index), then their escalation entries.
	if err := s.q.SelectContext(ctx, &levels, `SELECT niveau, count(*) AS n FROM (
			SELECT max((h.changements->>'niveau')::int) AS niveau
			FROM interventions i
			JOIN historique h ON h.entite = 'intervention' AND h.entite_id = i.id AND h.action = 'escalade'
			WHERE i.statut NOT IN ('terminee', 'annulee')
			GROUP BY i.id) x
		GROUP BY niveau ORDER BY niveau`); err != nil {
		return m, wrap("business metrics escalations", err)
	}
	for _, l := range levels {
		m.Escalated[l.Niveau] = l.N
	}
	var prev struct {
		Due    int64 `db:"due"`
		OnTime int64 `db:"on_time"`
	}
	if err := s.q.GetContext(ctx, &prev, `SELECT count(*) AS due,
			count(*) FILTER (WHERE statut = 'terminee' AND date_fin <= date_limite) AS on_time
		FROM interventions
		WHERE type_intervention = 'preventive' AND statut <> 'annulee' AND date_limite >= $1 AND date_limite < $2`,
		now.Add(-PreventiveWindow), now); err != nil {
		return m, wrap("business metrics preventive", err)
	}
	m.PreventiveDue, m.PreventiveOnTime = prev.Due, prev.OnTime
	if err := s.q.GetContext(ctx, &m.EmailsWaiting,
		`SELECT count(*) FROM notifications WHERE email_statut = 'en_attente'`); err != nil {
		return m, wrap("business metrics e-mails", err)
	}
	if err := s.q.GetContext(ctx, &m.OutboxPending, `SELECT count(*) FROM intervention_outbox`); err != nil {
		return m, wrap("business metrics outbox", err)
	}
	return m, nil
}
