// Command mif is the whole platform in one binary:
//
//	mif dev                   everything on one machine (Temporal dev server, API, worker, demo data)
//	mif serve                 API and worker
//	mif api                   API only
//	mif worker                Temporal worker only
//	mif migrate up|down|status|reset
//	mif seed                  load the demo data set (idempotent)
//	mif demo --volume N       a believable installation with N interventions (benchmarks, evaluation)
//	mif admin create-user     create an account from the command line
//	mif documents rotate-keys re-encrypt documents with the first FERNET_KEYS key
//	mif planning solve|convert-solomon|check   route planning on problem files
//	mif healthcheck [path]    container probe of this process's HTTP server
//	mif init-secrets DIR      create the missing secrets (JWT key, Fernet key, admin password)
//
// Configuration comes from environment variables (see the README).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: mif <command>

commands:
  dev                 run the whole platform locally (Temporal dev server, API, worker, demo data)
  serve               run the API and the worker
  api                 run the API only
  worker              run the Temporal worker only
  migrate up|down|status|reset
                      apply, roll back one, list, or roll back every migration
  seed                load the demo data set (idempotent)
  demo --volume N [--seed S] [--force] [--no-workflows]
                      the demo data set plus N interventions over two years, their equipment,
                      clients, techniciens, plannings, historique and notifications
  documents rotate-keys [batch] | generate-key
                      re-encrypt every document with the first FERNET_KEYS key (Temporal
                      workflow, progress printed), or print a new Fernet key
  planning solve|convert-solomon|check
                      plan routes from a problem file, convert a Solomon instance, check a
                      solution (mif planning help)
  healthcheck [path]  probe this process's HTTP server (default /api/v1/health/ready); for
                      container health checks (the image has no shell)
  init-secrets DIR    create in DIR the secrets that are missing: jwt.pem, fernet, admin_password
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mif:", err)
		os.Exit(exitCode(err))
	}
}

var errUsage = errors.New("unknown command (mif help lists them)")

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(out, usage)
		return errUsage
	}
	switch args[0] {
	case "dev":
		return runDev(ctx, out)
	case "serve":
		return runServe(ctx, true, true)
	case "api":
		return runServe(ctx, true, false)
	case "worker":
		return runServe(ctx, false, true)
	case "migrate":
		return runMigrate(ctx, args[1:], out)
	case "documents":
		return runDocuments(ctx, args[1:], out)
	case "seed":
		return runSeed(ctx, out)
	case "demo":
		return runDemo(ctx, args[1:], out)
	case "admin":
		return runAdmin(ctx, args[1:], os.Stdin, out)
	case "planning":
		return runPlanning(ctx, args[1:], out, os.Stderr)
	case "healthcheck": // container.go
		return runHealthcheck(ctx, args[1:], os.LookupEnv, out)
	case "init-secrets":
		return runInitSecrets(args[1:], out)
	case "help", "-h", "--help":
		fmt.Fprint(out, usage)
		return nil
	}
	fmt.Fprint(out, usage)
	return errUsage
}
