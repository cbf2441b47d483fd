// Package orchestration wires the platform to Temporal: the client, the worker and what it
// registers. It is the only place that knows every workflow and activity, and the only one that
// talks to workflows: the API and the CLI hold a Client, with one type per workflow.
package orchestration

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/logging"
	"github.com/mifmaroc/mif/workflows"
)

// Dial connects to the Temporal frontend and checks that it answers. configure adjusts the
// options first (telemetry: metrics handler, tracing interceptor).
func Dial(ctx context.Context, cfg config.Temporal, log *zap.Logger, configure ...func(*client.Options) error) (client.Client, error) {
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	opts := client.Options{
		HostPort:  cfg.Address,
		Namespace: cfg.Namespace,
		Logger:    logging.NewTemporal(log.Named("temporal")),
	}
	for _, f := range configure {
		if err := f(&opts); err != nil {
			return nil, err
		}
	}
	c, err := client.DialContext(dialCtx, opts)
	if err != nil {
		return nil, fmt.Errorf("orchestration: connect to Temporal at %s: %w", cfg.Address, err)
	}
	return c, nil
}

// Client is how the API and the CLI talk to the workflows: one type per workflow (its creation,
// updates, queries and signals) and the Schedules.
type Client struct {
	Interventions *Interventions
	Preventive    *PreventiveCycles
	Planning      *Planning
	KeyRotation   *KeyRotation
	Schedules     *Schedules
	Demandes      *Demandes
	Webhooks      *Webhooks

	temporal  client.Client
	taskQueue string
	sizing    config.Worker
}

// NewClient builds the Client over a connected Temporal client, for the task queue of cfg.
func NewClient(c client.Client, cfg *config.Config, log *zap.Logger) *Client {
	tq := cfg.Temporal.TaskQueue
	loc, err := time.LoadLocation(cfg.Workflows.Timezone)
	if err != nil { // validated at start-up
		loc = time.UTC
	}
	return &Client{
		Interventions: &Interventions{c: c, taskQueue: tq, wait: cfg.Temporal.WorkflowWait, location: loc},
		Preventive:    &PreventiveCycles{c: c, taskQueue: tq},
		Planning:      &Planning{c: c, taskQueue: tq},
		KeyRotation:   &KeyRotation{c: c, taskQueue: tq},
		Demandes:      &Demandes{c: c, taskQueue: tq, triageDelay: cfg.Workflows.DemandeTriageDelay},
		Webhooks:      &Webhooks{c: c, taskQueue: tq, cfg: cfg.Webhooks},
		Schedules:     &Schedules{c: c, taskQueue: tq, cfg: cfg.Workflows, digestWindow: cfg.Documents.DigestWindow, log: log},
		temporal:      c,
		taskQueue:     tq,
		sizing:        cfg.Temporal.Worker,
	}
}

// NewWorker builds the worker of the Client's task queue with every workflow and activity, sized
// by the configuration (MIF_WORKER_*). The sticky cache's size is the process's: it takes effect
// for the first worker the process starts.
func (c *Client) NewWorker(acts *activities.Activities) worker.Worker {
	worker.SetStickyWorkflowCacheSize(c.sizing.CacheSize)
	workflows.SetTimerZone(c.Interventions.location)
	return newWorker(c.temporal, c.taskQueue, acts, worker.Options{
		MaxConcurrentWorkflowTaskExecutionSize:  c.sizing.WorkflowTasks,
		MaxConcurrentActivityExecutionSize:      c.sizing.Activities,
		MaxConcurrentLocalActivityExecutionSize: c.sizing.Activities,
	})
}

// CheckHealth reports whether the Temporal frontend answers (readiness).
func (c *Client) CheckHealth(ctx context.Context) error {
	_, err := c.temporal.CheckHealth(ctx, nil)
	return err
}

// Close closes the connection.
func (c *Client) Close() { c.temporal.Close() }

// NewWorker builds the worker of our task queue with every workflow and activity registered.
func NewWorker(c client.Client, taskQueue string, acts *activities.Activities) worker.Worker {
	return newWorker(c, taskQueue, acts, worker.Options{})
}

func newWorker(c client.Client, taskQueue string, acts *activities.Activities, o worker.Options) worker.Worker {
	w := worker.New(c, taskQueue, o)
	Register(w, acts)
	return w
}

// WorkflowRegistry is what workers, the SDK test environment and history replayers offer.
type WorkflowRegistry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Registry also takes activities (workers and the test environment).
type Registry interface {
	WorkflowRegistry
	RegisterActivity(a any)
}

// RegisterWorkflows registers every workflow under its stable name; replay tests use it too, so
// the set they check is the set the worker runs.
func RegisterWorkflows(r WorkflowRegistry) {
	for name, wf := range map[string]any{
		workflows.InterventionWorkflowName:          workflows.InterventionWorkflow,
		workflows.EscalationWorkflowName:            workflows.EscalationWorkflow,
		workflows.PreventiveMaintenanceWorkflowName: workflows.PreventiveMaintenanceWorkflow,
		workflows.WeeklyPlanningWorkflowName:        workflows.WeeklyPlanningWorkflow,
		workflows.RoutePlanningWorkflowName:         workflows.RoutePlanningWorkflow,
		workflows.HousekeepingWorkflowName:          workflows.HousekeepingWorkflow,
		workflows.KeyRotationWorkflowName:           workflows.KeyRotationWorkflow,
		workflows.NotificationDigestWorkflowName:    workflows.NotificationDigestWorkflow,
		workflows.DemandeWorkflowName:               workflows.DemandeWorkflow,
		workflows.WebhookWorkflowName:               workflows.WebhookWorkflow,
	} {
		r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: name})
	}
}

// Register registers every workflow and activity on r.
func Register(r Registry, acts *activities.Activities) {
	RegisterWorkflows(r)
	r.RegisterActivity(acts)
}

// RunWorker runs w until ctx is cancelled.
func RunWorker(ctx context.Context, w worker.Worker) error {
	if err := w.Start(); err != nil {
		return fmt.Errorf("orchestration: start worker: %w", err)
	}
	<-ctx.Done()
	w.Stop()
	return nil
}
