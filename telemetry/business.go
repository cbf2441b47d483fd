package telemetry

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// BusinessSource computes the business snapshot; *storage.Store.BusinessMetrics in production.
type BusinessSource func(ctx context.Context, now time.Time) (storage.BusinessMetrics, error)

// EscalationLevels are the rungs of the escalation ladder (responsables, then admins): each is
// published, at 0 when no intervention stands there, so alerts and graphs see a series.
var EscalationLevels = []int{1, 2}

// RegisterDatabase publishes the pool statistics of db (go_sql_* with db_name="mif") and the
// business gauges computed by src, recomputed at most once per cfg.BusinessMetricsInterval.
func (t *Telemetry) RegisterDatabase(db *sql.DB, src BusinessSource) error {
	if err := t.registry.Register(collectors.NewDBStatsCollector(db, "mif")); err != nil {
		return fmt.Errorf("telemetry: db stats: %w", err)
	}
	if err := t.registry.Register(newBusinessCollector(src, t.cfg.BusinessMetricsInterval, t.log)); err != nil {
		return fmt.Errorf("telemetry: business metrics: %w", err)
	}
	return nil
}

var (
	descInterventions = prometheus.NewDesc("mif_interventions",
		"Interventions by statut and priorite (every intervention ever created, cancelled and finished included).",
		[]string{"statut", "priorite"}, nil)
	descOverdue = prometheus.NewDesc("mif_interventions_overdue",
		"Unfinished interventions marked late by their SLA clock.", nil, nil)
	descBreaches = prometheus.NewDesc("mif_sla_breaches_total",
		"Interventions that ever missed their SLA deadline (read from the database, so every replica reports the same value).", nil, nil)
	descEscalated = prometheus.NewDesc("mif_interventions_escalated",
		"Unfinished interventions by the highest escalation level they reached (1 responsables, 2 administrators).",
		[]string{"niveau"}, nil)
	descPreventiveDue = prometheus.NewDesc("mif_preventive_due",
		"Preventive interventions (not cancelled) whose deadline fell in the last 30 days.", nil, nil)
	descPreventiveOnTime = prometheus.NewDesc("mif_preventive_on_time",
		"Of mif_preventive_due, those finished by their deadline.", nil, nil)
	descPreventiveRatio = prometheus.NewDesc("mif_preventive_compliance_ratio",
		"mif_preventive_on_time / mif_preventive_due (absent while nothing was due).", nil, nil)
	descEmails = prometheus.NewDesc("mif_emails_waiting",
		"Notifications whose e-mail waits for the next digest.", nil, nil)
	descOutbox = prometheus.NewDesc("mif_intervention_outbox_pending",
		"Interventions created while Temporal was unreachable whose workflow the outbox relay has not started yet.", nil, nil)
	descRefreshed = prometheus.NewDesc("mif_business_metrics_refreshed_timestamp_seconds",
		"When the business gauges were last computed (Unix time).", nil, nil)
	descErrors = prometheus.NewDesc("mif_business_metrics_errors_total",
		"Failed computations of the business gauges (the previous values are served meanwhile).", nil, nil)
)

// businessCollector serves a cached snapshot and recomputes it on a scrape that finds it older
// than the interval: the database sees one aggregate per interval at most, however many
// Prometheus servers scrape, and none at all while nobody does.
type businessCollector struct {
	src      BusinessSource
	interval time.Duration
	log      *zap.Logger

	mu       sync.Mutex
	snap     *storage.BusinessMetrics
	computed time.Time
	errors   float64
}

func newBusinessCollector(src BusinessSource, interval time.Duration, log *zap.Logger) *businessCollector {
	return &businessCollector{src: src, interval: interval, log: log}
}

func (c *businessCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descInterventions, descOverdue, descBreaches, descEscalated, descPreventiveDue,
		descPreventiveOnTime, descPreventiveRatio, descEmails, descOutbox, descRefreshed, descErrors} {
		ch <- d
	}
}

// snapshot returns the cached figures, recomputed first when stale.
func (c *businessCollector) snapshot() (*storage.BusinessMetrics, time.Time, float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.snap == nil || now.Sub(c.computed) >= c.interval {
		// Bounded: a scrape must not hang on a stuck database (the previous values are served).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		m, err := c.src(ctx, now)
		cancel()
		if err != nil {
			c.errors++
			c.log.Warn("business metrics not refreshed", zap.Error(err))
		} else {
			c.snap, c.computed = &m, now
		}
	}
	return c.snap, c.computed, c.errors
}

func (c *businessCollector) Collect(ch chan<- prometheus.Metric) {
	snap, computed, errs := c.snapshot()
	ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, errs)
	if snap == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descRefreshed, prometheus.GaugeValue, float64(computed.UnixNano())/1e9)
	// Every statut × priorité cell, at 0 when empty, so a cell that empties drops to 0 instead of
	// vanishing from graphs.
	cells := map[[2]string]int64{}
	for _, s := range domain.StatutsIntervention {
		for _, p := range domain.Priorites {
			cells[[2]string{string(s), string(p)}] = 0
		}
	}
	for _, ic := range snap.Interventions {
		cells[[2]string{ic.Statut, ic.Priorite}] += ic.N
	}
	for k, n := range cells {
		ch <- prometheus.MustNewConstMetric(descInterventions, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
	ch <- prometheus.MustNewConstMetric(descOverdue, prometheus.GaugeValue, float64(snap.Overdue))
	ch <- prometheus.MustNewConstMetric(descBreaches, prometheus.CounterValue, float64(snap.SLABreaches))
	levels := map[int]int64{}
	for _, l := range EscalationLevels {
		levels[l] = 0
	}
	for l, n := range snap.Escalated {
		levels[l] = n
	}
	for l, n := range levels {
		ch <- prometheus.MustNewConstMetric(descEscalated, prometheus.GaugeValue, float64(n), strconv.Itoa(l))
	}
	ch <- prometheus.MustNewConstMetric(descPreventiveDue, prometheus.GaugeValue, float64(snap.PreventiveDue))
	ch <- prometheus.MustNewConstMetric(descPreventiveOnTime, prometheus.GaugeValue, float64(snap.PreventiveOnTime))
	if snap.PreventiveDue > 0 {
		ch <- prometheus.MustNewConstMetric(descPreventiveRatio, prometheus.GaugeValue,
			float64(snap.PreventiveOnTime)/float64(snap.PreventiveDue))
	}
	ch <- prometheus.MustNewConstMetric(descEmails, prometheus.GaugeValue, float64(snap.EmailsWaiting))
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(snap.OutboxPending))
}
