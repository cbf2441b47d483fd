package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mifmaroc/mif/documents"
)

// interventionReport renders the intervention's PDF report as it is now (on demand; the copy
// kept as an encrypted document is written by the workflow's activity when the intervention
// completes). A client gets only the reports of its own interventions (404 otherwise).
func (s *Server) interventionReport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, _, err := s.store.InterventionReportData(r.Context(), principalFrom(r.Context()), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data.GeneratedAt = time.Now()
	if loc, err := time.LoadLocation(s.cfg.Workflows.Timezone); err == nil { // validated at start-up
		data.Location = loc
	}
	pdf, err := documents.RenderReport(data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", documents.MimePDF)
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="rapport_intervention_%d.pdf"`, id))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(pdf)
}
