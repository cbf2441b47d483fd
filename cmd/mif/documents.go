package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/workflows"
)

// vault opens the document store. Without FERNET_KEYS, dev mode uses (and creates) a key kept
// under MIF_DATA_DIR; production refuses to start, since sensitive documents and reports must be
// encrypted.
func (a *app) vault() (*documents.Vault, error) {
	if a.docs != nil {
		return a.docs, nil
	}
	keys := a.cfg.FernetKeys
	if len(keys) == 0 {
		if a.mode != config.ModeDev {
			return nil, errors.New("FERNET_KEYS: required (comma-separated Fernet keys, the first encrypts; generate one with `mif documents generate-key`)")
		}
		var err error
		if keys, err = documents.DevKeys(a.cfg.Documents.DevKeyFile); err != nil {
			return nil, err
		}
		a.log.Info("dev Fernet key in use", zap.String("file", a.cfg.Documents.DevKeyFile))
	}
	v, err := documents.Open(a.cfg.Documents.Dir, keys)
	if err != nil {
		return nil, err
	}
	v.SetTracerProvider(a.tel.TracerProvider())
	a.docs = v
	return v, nil
}

// mailer builds the notification mailer (nil without MIF_SMTP_ADDR: notifications stay in-app).
func (a *app) mailer() (*activities.Mailer, error) {
	if a.cfg.SMTP.Addr == "" {
		a.log.Info("MIF_SMTP_ADDR empty: notifications are not e-mailed")
		return nil, nil
	}
	s, err := mail.NewSender(a.cfg.SMTP)
	if err != nil {
		return nil, err
	}
	s.SetTracerProvider(a.tel.TracerProvider())
	return activities.NewMailer(s, a.cfg.FrontendURL, a.cfg.Workflows.Timezone, a.cfg.Documents.DigestWindow)
}

// workerActivities is the activities' dependencies for this process's worker.
func (a *app) workerActivities() (*activities.Activities, error) {
	v, err := a.vault()
	if err != nil {
		return nil, err
	}
	m, err := a.mailer()
	if err != nil {
		return nil, err
	}
	return &activities.Activities{Store: a.store, Log: a.log, Config: a.cfg, Documents: v, Mail: m}, nil
}

// startDevMail starts the in-process SMTP sink of `mif dev` and points outgoing mail at it,
// unless MIF_SMTP_ADDR names a real relay. Received mail is shown at GET /dev/mail.
func (a *app) startDevMail() (func(), error) {
	if a.cfg.SMTP.Addr != "" {
		return func() {}, nil
	}
	sink, err := mail.StartSink("127.0.0.1:0", mail.SinkOptions{})
	if err != nil {
		return nil, err
	}
	a.devMail = sink
	a.cfg.SMTP.Addr = sink.Addr()
	a.cfg.SMTP.StartTLS = false // the sink is on this machine and speaks clear text
	return func() { _ = sink.Close() }, nil
}

const documentsUsage = `usage: mif documents <action>

actions:
  rotate-keys [batch]  re-encrypt every encrypted document with the first FERNET_KEYS key
                       (Temporal workflow; resumable; progress printed until done)
  generate-key         print a new Fernet key
`

func runDocuments(ctx context.Context, args []string, env config.Lookup, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(out, documentsUsage)
		return errUsage
	}
	switch args[0] {
	case "generate-key":
		k, err := documents.GenerateKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(out, k)
		return nil
	case "rotate-keys":
		batch := 0
		if len(args) > 1 {
			if _, err := fmt.Sscanf(args[1], "%d", &batch); err != nil || batch < 1 || batch > 1000 {
				return fmt.Errorf("documents rotate-keys: batch must be an integer between 1 and 1000")
			}
		}
		return rotateKeys(ctx, batch, env, out)
	}
	fmt.Fprint(out, documentsUsage)
	return errUsage
}

// rotateKeys starts (or joins) the rotation workflow and prints its progress until it ends. The
// workers do the work: run it against a platform whose workers have the new FERNET_KEYS.
func rotateKeys(ctx context.Context, batch int, env config.Lookup, out io.Writer) error {
	a, err := newApp(ctx, config.ModeProd, env)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.dialTemporal(ctx); err != nil {
		return err
	}
	run, err := a.wf.KeyRotation.Start(ctx, batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "rotation started: workflow %s, run %s\n", run.WorkflowID, run.RunID)
	res, err := a.wf.KeyRotation.Wait(ctx, run, 2*time.Second, func(p workflows.KeyRotationProgress) {
		fmt.Fprintf(out, "  %d/%d re-encrypted (%d batches)\n", p.Rotated, p.Total, p.Batches)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "done: %d/%d documents re-encrypted, %d failed %v\n", res.Rotated, res.Total, len(res.Failed), res.Failed)
	return nil
}
