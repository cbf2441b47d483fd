package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/logging"
	"github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/migrations"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/telemetry"
)

// app holds the dependencies built once at start-up and passed down.
type app struct {
	mode    config.Mode
	cfg     *config.Config
	log     *zap.Logger
	store   *storage.Store
	wf      *orchestration.Client // nil until dialTemporal
	docs    *documents.Vault      // documents.go
	devMail *mail.Sink            // dev mode's SMTP sink (documents.go)
	tel     *telemetry.Telemetry
}

// newApp loads the configuration, opens the database, migrates it (under goose's lock, so that
// replicas starting together are safe) and creates the bootstrap administrator when asked.
func newApp(ctx context.Context, mode config.Mode, env config.Lookup) (*app, error) {
	cfg, err := config.Load(mode, env)
	if err != nil {
		return nil, err
	}
	log, err := logging.New(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return nil, err
	}
	if mode == config.ModeDev {
		created, err := storage.EnsureDatabase(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		if created {
			log.Info("database created")
		}
	}
	tel, db, err := openObserved(ctx, cfg, log) // observability.go
	if err != nil {
		return nil, err
	}
	a := &app{mode: mode, cfg: cfg, log: log, store: storage.New(db), tel: tel}
	if err := tel.RegisterDatabase(db.DB, a.store.BusinessMetrics); err != nil {
		a.close()
		return nil, err
	}
	if err := migrations.Up(ctx, db.DB); err != nil {
		a.close()
		return nil, err
	}
	if err := a.bootstrapAdmin(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) close() {
	if a.wf != nil {
		a.wf.Close()
	}
	_ = a.store.DB().Close()
	a.shutdownTelemetry() // observability.go
	_ = a.log.Sync()
}

// bootstrapAdmin creates the first administrator of a fresh installation from
// MIF_BOOTSTRAP_ADMIN_EMAIL / MIF_BOOTSTRAP_ADMIN_PASSWORD; an existing account is left as it is.
func (a *app) bootstrapAdmin(ctx context.Context) error {
	email := a.cfg.BootstrapAdminEmail
	if email == "" {
		return nil
	}
	if _, err := a.store.GetUserByLogin(ctx, email); err == nil {
		return nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	if err := authn.ValidatePassword(a.cfg.BootstrapAdminPassword, email); err != nil {
		return fmt.Errorf("MIF_BOOTSTRAP_ADMIN_PASSWORD: %w", err)
	}
	hash, err := authn.HashPassword(a.cfg.BootstrapAdminPassword)
	if err != nil {
		return err
	}
	_, err = a.store.CreateUser(ctx, storage.NewUser{Email: email, PasswordHash: &hash, Nom: "Administrateur", Role: domain.RoleAdmin}, nil)
	if err != nil && !errors.Is(err, domain.ErrConflict) { // another replica created it meanwhile
		return err
	}
	a.log.Info("bootstrap administrator created", zap.String("email", email))
	return nil
}

func (a *app) dialTemporal(ctx context.Context) error {
	c, err := dialTemporalWithRetry(ctx, a.cfg, a.log, a.tel) // observability.go
	if err != nil {
		return err
	}
	a.wf = orchestration.NewClient(c, a.cfg, a.log)
	return nil
}

// apiServer builds the HTTP server with bounded timeouts. The Casbin policy is watched for changes
// until ctx ends.
func (a *app) apiServer(ctx context.Context) (*http.Server, error) {
	keyPath := ""
	if a.mode == config.ModeDev {
		keyPath = filepath.Join(a.cfg.DataDir, "jwt-private.pem")
	}
	tokens, err := authn.NewTokens(a.cfg.JWT, keyPath)
	if err != nil {
		return nil, err
	}
	files := authz.ResolveFiles(a.cfg.Identity.Casbin)
	az, err := authz.Load(files)
	if err != nil {
		return nil, err
	}
	go az.Watch(ctx, files, a.cfg.Identity.Casbin.ReloadInterval, a.log.Named("authz"))
	vault, err := a.vault()
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Deps{Config: a.cfg, Store: a.store, Workflows: a.wf, Tokens: tokens, Authz: az, Log: a.log,
		Documents: vault, DevMail: a.devMail, Telemetry: a.tel})
	if err != nil {
		return nil, err
	}
	hs := &http.Server{
		Addr:              a.cfg.HTTPAddr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      config.HTTPWriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(a.log.Named("http")),
	}
	hs.RegisterOnShutdown(srv.Close) // the principal cache's LISTEN connection
	return hs, nil
}

// debugServer serves net/http/pprof on its own listener (MIF_DEBUG_ADDR, loopback only), never
// on the API's: profiles are for the operator on the machine, and the API's timeouts and
// middleware would cut a 30-second CPU profile short.
func debugServer(addr string) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}

// serveHTTP runs srv until ctx is cancelled, then shuts it down within the configured deadline.
func (a *app) serveHTTP(ctx context.Context, srv *http.Server) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server on %s: %w", srv.Addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// runComponents runs the API and/or the worker until ctx is cancelled or one of them fails.
func (a *app) runComponents(ctx context.Context, withAPI, withWorker bool) error {
	g, ctx := errgroup.WithContext(ctx)
	if a.cfg.DebugAddr != "" {
		srv := debugServer(a.cfg.DebugAddr)
		g.Go(func() error { return a.serveHTTP(ctx, srv) })
		a.log.Info("pprof debug listener", zap.String("addr", a.cfg.DebugAddr))
	}
	if withAPI {
		srv, err := a.apiServer(ctx)
		if err != nil {
			return err
		}
		g.Go(func() error { return a.serveHTTP(ctx, srv) })
		a.log.Info("API listening", zap.String("addr", a.cfg.HTTPAddr))
	}
	if withWorker {
		acts, err := a.workerActivities()
		if err != nil {
			return err
		}
		w := a.wf.NewWorker(acts)
		g.Go(func() error { return orchestration.RunWorker(ctx, w) })
		g.Go(func() error {
			orchestration.RunOutboxRelay(ctx, a.store, a.wf.Interventions, a.cfg.Temporal.OutboxInterval, a.log.Named("outbox"))
			return nil
		})
		// Schedules (the notification digest's included) and preventive cycles are put in place
		// while the worker already runs; a stop during that set-up is a stop, not a failure.
		g.Go(func() error {
			err := a.wf.Schedules.Ensure(ctx)
			if err == nil {
				err = a.ensurePreventiveCycles(ctx)
			}
			if err != nil && ctx.Err() != nil {
				return nil
			}
			return err
		})
		a.log.Info("worker started", zap.String("task_queue", a.cfg.Temporal.TaskQueue))
		if !withAPI { // health and metrics of a worker-only process (observability.go)
			srv := a.workerHTTPServer()
			g.Go(func() error { return a.serveHTTP(ctx, srv) })
		}
	}
	return g.Wait()
}

func runServe(ctx context.Context, env config.Lookup, withAPI, withWorker bool) error {
	a, err := newApp(ctx, config.ModeProd, env)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.dialTemporal(ctx); err != nil {
		return err
	}
	return a.runComponents(ctx, withAPI, withWorker)
}

func runMigrate(ctx context.Context, args []string, env config.Lookup, out io.Writer) error {
	// Migrating needs only the database: the dev rules keep it from demanding a JWT key.
	cfg, err := config.Load(config.ModeDev, env)
	if err != nil {
		return err
	}
	db, err := openForMigrations(ctx, cfg) // observability.go: waits for PostgreSQL (a Job may start first)
	if err != nil {
		return err
	}
	defer db.Close()
	cmd := "up"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "up":
		err = migrations.Up(ctx, db.DB)
	case "down":
		err = migrations.Down(ctx, db.DB)
	case "reset":
		err = migrations.Reset(ctx, db.DB)
	case "status":
		return migrations.Status(ctx, db.DB, out)
	default:
		return fmt.Errorf("migrate: unknown action %q (up, down, status, reset)", cmd)
	}
	if err != nil {
		return err
	}
	return migrations.Status(ctx, db.DB, out)
}

func runSeed(ctx context.Context, env config.Lookup, out io.Writer) error {
	a, err := newApp(ctx, config.ModeDev, env)
	if err != nil {
		return err
	}
	defer a.close()
	if err := demo.Seed(ctx, a.store); err != nil {
		return err
	}
	fmt.Fprintln(out, "demo data loaded")
	printAccounts(out)
	return nil
}

// ensurePreventiveCycles starts the preventive workflows of equipment that has none yet.
func (a *app) ensurePreventiveCycles(ctx context.Context) error {
	ids, err := a.store.PreventiveEquipementIDs(ctx)
	if err != nil {
		return err
	}
	n, err := a.wf.Preventive.Ensure(ctx, ids)
	if err != nil {
		return err
	}
	a.log.Info("preventive cycles in place", zap.Int("equipements", n))
	return nil
}
