package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// TestUnavailableTellsOutagesFromFaults classifies what lib/pq really returns when nothing
// listens, and the server's refusals, against errors that are the request's or the code's.
func TestUnavailableTellsOutagesFromFaults(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	db, err := sql.Open("postgres", "postgres://postgres@"+addr+"/mif?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	refused := db.PingContext(ctx)
	if refused == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{refused, true},
		{fmt.Errorf("storage: get user: %w", refused), true},
		{&pq.Error{Code: "57P03", Message: "the database system is starting up"}, true},
		{&pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pq.Error{Code: "08006"}, true},
		{&pq.Error{Code: "53300"}, true},
		{&pq.Error{Code: "23505"}, false},
		{&pq.Error{Code: "42P01"}, false},
		{domain.ErrNotFound, false},
		{context.Canceled, false},
		{nil, false},
	} {
		if got := storage.Unavailable(c.err); got != c.want {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
