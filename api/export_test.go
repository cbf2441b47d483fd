package api

import (
	"net/http/httptest"

	"github.com/mifmaroc/mif/domain"
)

// TransitionUpdateID is the ID of the Temporal Update that a lifecycle request (action) of userID
// with Idempotency-Key key is sent as, so that a test can watch the update reach the server.
func TransitionUpdateID(userID int64, action domain.LifecycleAction, key string) string {
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Idempotency-Key", key)
	id, err := idempotencyKey(r, domain.Principal{UserID: userID}, string(action))
	if err != nil {
		panic(err)
	}
	return id
}
