package mail

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// SetTracerProvider makes every delivery a span ("smtp.send", with the relay and the number of
// recipients, never their addresses). Call it once while wiring.
func (s *Sender) SetTracerProvider(tp trace.TracerProvider) {
	if tp != nil {
		s.tracer = tp.Tracer("github.com/mifmaroc/mif/mail")
	}
}

// Send delivers m. Errors say which step failed; SMTP errors keep their code so that callers can
// tell a permanent refusal (5xx) from a temporary one.
func (s *Sender) Send(ctx context.Context, m Message) error {
	if s.tracer == nil {
		return s.send(ctx, m)
	}
	ctx, span := s.tracer.Start(ctx, "smtp.send", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("server.address", s.cfg.Addr), attribute.Int("smtp.recipients", len(m.To))))
	defer span.End()
	err := s.send(ctx, m)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "smtp")
	}
	return err
}
