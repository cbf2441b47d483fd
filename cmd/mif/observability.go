package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/logging"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/telemetry"
)

// openObserved builds the process's telemetry, then opens PostgreSQL with SQL spans, retrying
// while the server is not up yet (within MIF_STARTUP_TIMEOUT).
func openObserved(ctx context.Context, cfg *config.Config, log *zap.Logger) (*telemetry.Telemetry, *sqlx.DB, error) {
	tel, err := telemetry.New(ctx, cfg.Telemetry, log)
	if err != nil {
		return nil, nil, err
	}
	var db *sqlx.DB
	err = retry(ctx, cfg.Telemetry.StartupTimeout, log, "PostgreSQL", func(ctx context.Context) error {
		var err error
		db, err = storage.Open(ctx, cfg.DatabaseURL, cfg.DBMaxOpenConns, storage.WithTracing(tel.TracerProvider()))
		return err
	})
	if err != nil {
		_ = tel.Shutdown(context.Background())
		return nil, nil, err
	}
	return tel, db, nil
}

// dialTemporalWithRetry connects to Temporal with the telemetry's metrics handler and tracing
// interceptor, and waits (within MIF_STARTUP_TIMEOUT) until the frontend answers and the
// namespace exists: in docker compose the namespace and our search attributes are created by a
// one-shot admin-tools container that may still be running.
func dialTemporalWithRetry(ctx context.Context, cfg *config.Config, log *zap.Logger, tel *telemetry.Telemetry) (client.Client, error) {
	var c client.Client
	err := retry(ctx, cfg.Telemetry.StartupTimeout, log, "Temporal", func(ctx context.Context) error {
		var configure []func(*client.Options) error
		if tel != nil {
			configure = append(configure, tel.TemporalClientOptions)
		}
		cl, err := orchestration.Dial(ctx, cfg.Temporal, log, configure...)
		if err != nil {
			return err
		}
		nsCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := cl.WorkflowService().DescribeNamespace(nsCtx, &workflowservice.DescribeNamespaceRequest{Namespace: cfg.Temporal.Namespace}); err != nil {
			cl.Close()
			return fmt.Errorf("orchestration: namespace %q on %s: %w", cfg.Temporal.Namespace, cfg.Temporal.Address, err)
		}
		c = cl
		return nil
	})
	return c, err
}

// shutdownTelemetry flushes the spans still buffered before the process ends.
func (a *app) shutdownTelemetry() {
	if a.tel == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), telemetry.ShutdownTimeout)
	defer cancel()
	if err := a.tel.Shutdown(ctx); err != nil {
		a.log.Warn("telemetry shutdown", zap.Error(err))
	}
}

// workerHTTPServer serves what a worker-only process (`mif worker`) shows operators, on
// MIF_HTTP_ADDR and at the API's paths so that probes and scrape configurations are the same for
// both: liveness, readiness (PostgreSQL and Temporal answer) and the Prometheus metrics (Temporal
// SDK worker metrics, business gauges, pool, runtime).
func (a *app) workerHTTPServer() *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/health", func(w http.ResponseWriter, r *http.Request) {
		writeHealth(w, http.StatusOK, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /api/v1/health/ready", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		db, tmp := "ok", "ok"
		if err := a.store.Ping(ctx); err != nil {
			db = "indisponible"
		}
		if err := a.wf.CheckHealth(ctx); err != nil {
			tmp = "indisponible"
		}
		status, code := "ok", http.StatusOK
		if db != "ok" || tmp != "ok" {
			status, code = "degraded", http.StatusServiceUnavailable
		}
		writeHealth(w, code, fmt.Sprintf(`{"status":%q,"checks":{"database":%q,"temporal":%q}}`, status, db, tmp))
	})
	mux.Handle("GET /api/v1/health/metrics", promhttp.HandlerFor(a.tel.Registry(), promhttp.HandlerOpts{}))
	return &http.Server{
		Addr:              a.cfg.HTTPAddr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          zap.NewStdLog(a.log.Named("http")),
	}
}

func writeHealth(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, body)
}

// openForMigrations opens a small pool for `mif migrate`, waiting for PostgreSQL like the
// servers do.
func openForMigrations(ctx context.Context, cfg *config.Config) (*sqlx.DB, error) {
	log, err := logging.New(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return nil, err
	}
	var db *sqlx.DB
	err = retry(ctx, cfg.Telemetry.StartupTimeout, log, "PostgreSQL", func(ctx context.Context) error {
		db, err = storage.Open(ctx, cfg.DatabaseURL, 2)
		return err
	})
	return db, err
}
