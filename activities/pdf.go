package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/temporalerr"
)

// ReportDocumentType is the type_document of generated intervention reports (the seed's value).
const ReportDocumentType = "rapport_intervention"

// systemPrincipal reads without ownership limits (activities act for the platform).
func systemPrincipal() domain.Principal { return domain.Principal{Role: domain.RoleAdmin} }

// GenerateInterventionReportInput asks for the PDF report of one intervention.
type GenerateInterventionReportInput struct {
	InterventionID int64
	// Key identifies this report: the same key never produces two documents, however often the
	// activity is retried. Workflows pass a value derived from their own state (e.g.
	// "<workflowID>/rapport/<completion number>"); empty means "the intervention as it is now"
	// (derived from its updated_at), so an unchanged intervention is not reported twice.
	Key string
	// ActeurID is recorded as the uploader (nil: the platform).
	ActeurID *int64
}

// GenerateInterventionReportResult is the stored report.
type GenerateInterventionReportResult struct {
	DocumentID int64
	Version    int
	Created    bool
}

// GenerateInterventionReport renders the intervention's PDF report and stores it encrypted as a
// document (type rapport_intervention, a new version each time the intervention is reported).
func (a *Activities) GenerateInterventionReport(ctx context.Context, in GenerateInterventionReportInput) (GenerateInterventionReportResult, error) {
	if a.Documents == nil {
		return GenerateInterventionReportResult{}, errNoVault()
	}
	data, iv, err := a.Store.InterventionReportData(ctx, systemPrincipal(), in.InterventionID)
	if err != nil {
		return GenerateInterventionReportResult{}, temporalerr.Wrap(err)
	}
	key := in.Key
	if key == "" {
		key = fmt.Sprintf("intervention/%d/rapport/%s", iv.ID, iv.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	if d, err := a.Store.GetDocumentByGenerationKey(ctx, key); err == nil {
		return GenerateInterventionReportResult{DocumentID: d.ID, Version: d.Version}, nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return GenerateInterventionReportResult{}, temporalerr.Wrap(err)
	}
	data.GeneratedAt = time.Now()
	_, wf := a.workflowsConfig()
	if loc, err := time.LoadLocation(wf.Timezone); err == nil { // validated at start-up
		data.Location = loc
	}
	pdf, err := documents.RenderReport(data)
	if err != nil {
		return GenerateInterventionReportResult{}, err
	}
	// Every report is encrypted: it names the client, the site and what was found there.
	blob, err := a.Documents.PutContext(ctx, pdf, true)
	if err != nil {
		return GenerateInterventionReportResult{}, err
	}
	id := iv.ID
	doc, created, err := a.Store.InsertDocument(ctx, storage.NewDocument{
		Nom: fmt.Sprintf("rapport_intervention_%d.pdf", id), TypeDocument: ReportDocumentType, Blob: blob,
		MimeType: documents.MimePDF, IsSensitive: true, InterventionID: &id, UploadeurID: in.ActeurID, GenerationKey: key,
	})
	if err != nil || !created {
		_ = a.Documents.Delete(blob.Key) // not recorded (error, or a concurrent attempt won): no orphan file
	}
	if err != nil {
		return GenerateInterventionReportResult{}, temporalerr.Wrap(err)
	}
	return GenerateInterventionReportResult{DocumentID: doc.ID, Version: doc.Version, Created: created}, nil
}
