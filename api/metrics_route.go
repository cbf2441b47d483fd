package api

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/telemetry"
)

// routeLabel is the matched route's template without its patterns ({id:[0-9]+} → {id}): the
// label of HTTP metrics and the name of the request's span, whatever constraints the route
// table puts on its variables. Unmatched requests are "unknown" (never the raw path: ids would
// make the series unbounded). It also renames the server span, which started before routing.
func routeLabel(r *http.Request) string {
	route := "unknown"
	if cr := mux.CurrentRoute(r); cr != nil {
		if tpl, err := cr.GetPathTemplate(); err == nil {
			route = plainTemplate(tpl)
		}
	}
	if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
		span.SetName(r.Method + " " + route)
		span.SetAttributes(attribute.String("http.route", route))
	}
	return route
}

// plainTemplate drops the regular expression of every {name:pattern} variable, keeping braces
// balanced (a pattern may hold its own, as in {id:[0-9]{1,9}}).
func plainTemplate(tpl string) string {
	var b strings.Builder
	for i := 0; i < len(tpl); i++ {
		if tpl[i] != '{' {
			b.WriteByte(tpl[i])
			continue
		}
		depth, end := 0, -1
		for j := i; j < len(tpl); j++ {
			switch tpl[j] {
			case '{':
				depth++
			case '}':
				depth--
			}
			if depth == 0 {
				end = j
				break
			}
		}
		if end < 0 { // unbalanced: mux would have refused it; keep the rest as it is
			b.WriteString(tpl[i:])
			break
		}
		name, _, _ := strings.Cut(tpl[i+1:end], ":")
		b.WriteString("{" + name + "}")
		i = end
	}
	return b.String()
}

// traceField is the trace id for log lines (zap.Skip when the request is not traced).
func traceField(r *http.Request) zap.Field {
	if id := telemetry.TraceID(r.Context()); id != "" {
		return zap.String("trace_id", id)
	}
	return zap.Skip()
}
