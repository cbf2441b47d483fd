package api

import (
	"html/template"
	"net/http"
	"strings"
)

var devMailPage = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Courrier reçu (dev)</title></head>
<body style="font-family: sans-serif; max-width: 900px; margin: 2em auto;">
<h1>Courrier reçu par le serveur SMTP de développement</h1>
<p>{{len .}} message(s), le plus récent en premier. JSON : <code>Accept: application/json</code>.</p>
{{range .}}<article style="border: 1px solid #ccc; border-radius: 4px; padding: 1em; margin: 1em 0;">
<p><strong>{{.Subject}}</strong><br>De {{.From}} à {{range $i, $a := .To}}{{if $i}}, {{end}}{{$a}}{{end}} — {{.ReceivedAt.Format "02/01/2006 15:04:05"}}</p>
{{if .HTML}}<p style="font-size: 13px; color: #555;">Partie HTML, telle que la lit un client de messagerie :</p>
<iframe sandbox title="{{.Subject}}" srcdoc="{{.HTML}}" style="width: 100%; height: 480px; border: 1px solid #ddd;"></iframe>
<details><summary>Partie texte</summary><pre style="white-space: pre-wrap;">{{.Text}}</pre></details>
{{else}}<pre style="white-space: pre-wrap;">{{.Text}}</pre>{{end}}
</article>{{end}}
</body></html>`))

// devMail lists the received messages, newest first: an HTML page, or JSON when asked.
func (s *Server) devMail(w http.ResponseWriter, r *http.Request) {
	msgs := s.dl.devMail.Messages()
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, http.StatusOK, msgs)
		return
	}
	// The page is ours and has no script: a CSP that allows its inline styles and the messages'
	// HTML parts in sandboxed frames (no script, no request of theirs leaves the page: an
	// about:srcdoc frame inherits this policy).
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self' about:; img-src data:")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = devMailPage.Execute(w, msgs)
}
