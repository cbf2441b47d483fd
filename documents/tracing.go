package documents

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// SetTracerProvider makes the *Context methods record a span per operation (encryption,
// decryption and the file I/O around them), so a slow upload or report shows where its time
// went. Call it once while wiring, before the vault is shared.
func (v *Vault) SetTracerProvider(tp trace.TracerProvider) {
	if tp != nil {
		v.tracer = tp.Tracer("github.com/mifmaroc/mif/documents")
	}
}

func (v *Vault) span(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, func(error)) {
	if v.tracer == nil {
		return ctx, func(error) {}
	}
	ctx, span := v.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "documents")
		}
		span.End()
	}
}

// PutContext is Put, traced as "documents.put" (encryption included when asked).
func (v *Vault) PutContext(ctx context.Context, plain []byte, encrypt bool) (Blob, error) {
	_, end := v.span(ctx, "documents.put", attribute.Bool("documents.encrypted", encrypt), attribute.Int("documents.size", len(plain)))
	b, err := v.Put(plain, encrypt)
	end(err)
	return b, err
}

// GetContext is Get, traced as "documents.get" (decryption and checksum included).
func (v *Vault) GetContext(ctx context.Context, key string, encrypted bool, checksum string) ([]byte, error) {
	_, end := v.span(ctx, "documents.get", attribute.Bool("documents.encrypted", encrypted))
	b, err := v.Get(key, encrypted, checksum)
	end(err)
	return b, err
}

// ReencryptContext is Reencrypt, traced as "documents.reencrypt".
func (v *Vault) ReencryptContext(ctx context.Context, key, checksum string) (string, error) {
	_, end := v.span(ctx, "documents.reencrypt")
	id, err := v.Reencrypt(key, checksum)
	end(err)
	return id, err
}
