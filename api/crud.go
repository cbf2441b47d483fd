package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// createFrom serves a POST collection route: decode the whole body, create the row as the caller,
// answer 201 with it and its Location (itemPath followed by the id idOf reads).
func createFrom[In, Out any](s *Server, decode func(*http.Request, bool) (In, error),
	create func(ctx context.Context, in In, acteur int64) (Out, error), itemPath string, idOf func(Out) int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, err := decode(r, true)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := create(r.Context(), in, principalFrom(r.Context()).UserID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Location", itemPath+strconv.FormatInt(idOf(out), 10))
		writeJSON(w, http.StatusCreated, out)
	}
}

// updateByID serves a PUT /{id} route: decode the body (create=false: a partial update), apply it
// as the caller, answer the stored row.
func updateByID[In, Out any](s *Server, decode func(*http.Request, bool) (In, error),
	update func(ctx context.Context, id int64, in In, acteur int64) (Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode(r, false)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := update(r.Context(), id, in, principalFrom(r.Context()).UserID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// deleteByID serves a DELETE /{id} route: 204 once del has removed the row as the caller.
func deleteByID(s *Server, del func(ctx context.Context, id, acteur int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := del(r.Context(), id, principalFrom(r.Context()).UserID); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// getByID serves a GET /{id} route: the row as the caller may see it (404 otherwise).
func getByID[Out any](s *Server, get func(ctx context.Context, p domain.Principal, id int64) (Out, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := get(r.Context(), principalFrom(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// subListByID serves a paged GET /{id}/... route listing what belongs to one row.
func subListByID[T any](s *Server, list func(ctx context.Context, p domain.Principal, id int64, page storage.Page) ([]T, int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := newQuery(r)
		page := q.page()
		if err := q.err(); err != nil {
			s.fail(w, r, err)
			return
		}
		items, total, err := list(r.Context(), principalFrom(r.Context()), id, page)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeList(w, items, total)
	}
}

// servePage answers a paged list: the filter f was read from q (whose refusals are answered 422
// with the page's), list reads one page of it.
func servePage[F, T any](s *Server, w http.ResponseWriter, r *http.Request, q *query, f F,
	list func(ctx context.Context, f F, page storage.Page) ([]T, int, error)) {
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := list(r.Context(), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

// decodeValid decodes a request body that checks itself; a bad one is answered (ok false).
func decodeValid[In any, P interface {
	*In
	Validate() error
}](s *Server, w http.ResponseWriter, r *http.Request) (in In, ok bool) {
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return in, false
	}
	if err := P(&in).Validate(); err != nil {
		s.fail(w, r, err)
		return in, false
	}
	return in, true
}

// applyBody decodes and validates a request body that checks itself, applies it in the caller's
// name and answers the result with status.
func applyBody[In any, P interface {
	*In
	Validate() error
}, Out any](s *Server, w http.ResponseWriter, r *http.Request, status int, apply func(ctx context.Context, in In, acteur int64) (Out, error)) {
	in, ok := decodeValid[In, P](s, w, r)
	if !ok {
		return
	}
	out, err := apply(r.Context(), in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, out)
}
