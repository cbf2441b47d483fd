package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/mifmaroc/mif/domain"
)

// decodeJSON reads a JSON body into dst: unknown fields, trailing data, wrong types and oversized
// bodies are refused with a *domain.ValidationError that names the field.
func decodeJSON(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "body", Message: "Content-Type application/json attendu"}}}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return bodyError(err)
	}
	if dec.More() {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "body", Message: "un seul objet JSON attendu"}}}
	}
	return nil
}

func bodyError(err error) error {
	field, msg := "body", "JSON invalide"
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tim *time.ParseError
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		msg = "corps de requête vide"
	case errors.As(err, &syn):
		msg = fmt.Sprintf("JSON invalide à l'octet %d", syn.Offset)
	case errors.As(err, &typ):
		field = typ.Field
		if field == "" {
			field = "body"
		}
		msg = "type attendu: " + jsonType(typ.Type.Kind().String())
	case errors.As(err, &tim):
		msg = "date invalide (format RFC 3339 attendu, ex. 2024-12-20T16:00:00Z)"
	case errors.As(err, &maxErr):
		msg = fmt.Sprintf("corps de requête trop volumineux (max %d octets)", maxErr.Limit)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		msg = "champ inconnu"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "JSON incomplet"
	}
	return &domain.ValidationError{Fields: []domain.FieldError{{Field: field, Message: msg}}}
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "entier"
	case "float32", "float64":
		return "nombre"
	case "bool":
		return "booléen"
	case "string":
		return "chaîne"
	case "slice", "array":
		return "liste"
	}
	return "objet"
}

// pathID reads a positive integer path variable; anything else is a resource that cannot exist.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(mux.Vars(r)[name], 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.ErrNotFound
	}
	return id, nil
}
