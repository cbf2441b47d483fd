package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"time"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/devenv"
	"github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/workflows"
)

// runDev brings the whole platform up on one machine: database (created if missing), migrations,
// demo data, a supervised Temporal dev server (unless TEMPORAL_ADDRESS is set), the API and a
// worker. Ctrl-C stops everything, the child process included.
func runDev(ctx context.Context, out io.Writer) error {
	a, err := newApp(ctx, config.ModeDev)
	if err != nil {
		return err
	}
	defer a.close()
	if err := demo.Seed(ctx, a.store); err != nil {
		return err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	uiURL := ""
	if a.cfg.Temporal.Address == "" {
		srv, stop, err := a.startDevTemporal(ctx)
		if err != nil {
			return err
		}
		defer stop()
		// Supervision: if the dev server dies, the platform stops rather than limping on.
		go func() {
			select {
			case <-srv.Done():
				cancel(fmt.Errorf("temporal dev server stopped: %w", srv.Err()))
			case <-ctx.Done():
			}
		}()
		uiURL = srv.UIURL()
	}
	if err := a.dialTemporal(ctx); err != nil {
		return err
	}
	stopMail, err := a.startDevMail()
	if err != nil {
		return err
	}
	defer stopMail()
	printBanner(out, a.cfg, uiURL, a.devMail)
	err = a.runComponents(ctx, true, true)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// startDevTemporal starts the Temporal dev server of `mif dev` (SQLite file under MIF_DATA_DIR,
// our search attributes registered) and points the configuration at it; stop ends it.
func (a *app) startDevTemporal(ctx context.Context) (*devenv.TemporalServer, func(), error) {
	srv, err := devenv.StartTemporal(ctx, devenv.TemporalOptions{
		BinPath:          a.cfg.Temporal.CLIPath,
		DBFile:           filepath.Join(a.cfg.DataDir, "temporal.db"),
		Port:             a.cfg.Temporal.Port,
		UIPort:           a.cfg.Temporal.UIPort,
		Namespace:        a.cfg.Temporal.Namespace,
		SearchAttributes: workflows.SearchAttributeTypes(),
		LogFile:          filepath.Join(a.cfg.DataDir, "temporal.log"),
		Logger:           a.log.Named("temporal-dev"),
	})
	if err != nil {
		return nil, nil, err
	}
	a.cfg.Temporal.Address = srv.Address()
	return srv, func() {
		stopCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = srv.Stop(stopCtx)
	}, nil
}

func printBanner(out io.Writer, cfg *config.Config, uiURL string, devMail *mail.Sink) {
	host, port, _ := net.SplitHostPort(cfg.HTTPAddr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	base := "http://" + net.JoinHostPort(host, port)
	fmt.Fprintf(out, "\nMIF Maintenance Platform is up\n")
	fmt.Fprintf(out, "  API            %s/api/v1\n", base)
	fmt.Fprintf(out, "  OpenAPI docs   %s/docs  (document: %s/openapi.json)\n", base, base)
	if uiURL != "" {
		fmt.Fprintf(out, "  Temporal UI    %s\n", uiURL)
	} else {
		fmt.Fprintf(out, "  Temporal       %s (namespace %s)\n", cfg.Temporal.Address, cfg.Temporal.Namespace)
	}
	if devMail != nil {
		fmt.Fprintf(out, "  Mail (dev)     %s/dev/mail  (SMTP sink on %s)\n", base, devMail.Addr())
	}
	fmt.Fprintln(out)
	printAccounts(out)
	fmt.Fprintln(out, "\nCtrl-C stops everything.")
}

// printAccounts lists the demo logins.
func printAccounts(out io.Writer) {
	fmt.Fprintf(out, "Demo accounts (password %s):\n", demo.Password)
	for _, acc := range demo.Accounts() {
		fmt.Fprintf(out, "  %-28s %s\n", acc.Email, acc.Role)
	}
}
