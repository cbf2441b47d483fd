package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// Idempotency-Key of the requests that move stock by hand (migration 00175). The key is claimed
// by the first statement of the movement's own transaction: a concurrent request with the same
// key waits on that row until the first one commits (then replays its answer) or rolls back
// (then runs itself). So one key moves the stock once, however many copies arrive together.

// IdempotenceRetention is how long a key is remembered.
const IdempotenceRetention = 24 * time.Hour

// Idempotence is a keyed request: the caller, his key, what the request does and the SHA-256 of
// the normalised request.
type Idempotence struct {
	UserID    int64
	Cle       string
	Operation string
	Empreinte string
}

// Reponse is the answer to a keyed request: its status and JSON body, as first sent.
type Reponse struct {
	Statut int             `db:"statut"`
	Corps  json.RawMessage `db:"reponse"`
}

// Idempotent runs do once per key, in one transaction with the key's row, and returns the
// answer (statut and do's result as JSON). When the key is already held by the same request it
// returns the stored answer without running do (replayed true); the same key with another
// request is a validation error naming the header. A refused request (do's error) stores
// nothing, so it may be sent again with its key.
func (s *Store) Idempotent(ctx context.Context, k Idempotence, statut int, do func(tx *Store) (any, error)) (Reponse, bool, error) {
	var rep Reponse
	replayed := false
	err := s.InTx(ctx, func(tx *Store) error {
		var claimed []bool
		err := tx.q.SelectContext(ctx, &claimed, `INSERT INTO idempotence_requetes (user_id, cle, operation, empreinte, statut, reponse, expire_le)
			VALUES ($1, $2, $3, $4, 0, 'null', now() + make_interval(secs => $5))
			ON CONFLICT (user_id, cle) DO UPDATE SET operation = EXCLUDED.operation, empreinte = EXCLUDED.empreinte, statut = 0,
				reponse = 'null', date_creation = now(), expire_le = EXCLUDED.expire_le
			WHERE idempotence_requetes.expire_le <= now()
			RETURNING true`, k.UserID, k.Cle, k.Operation, k.Empreinte, IdempotenceRetention.Seconds())
		if err != nil {
			return wrap("claim idempotency key", err)
		}
		if len(claimed) == 0 {
			var old struct {
				Operation string `db:"operation"`
				Empreinte string `db:"empreinte"`
				Reponse
			}
			if err := tx.q.GetContext(ctx, &old, `SELECT operation, empreinte, statut, reponse FROM idempotence_requetes
				WHERE user_id = $1 AND cle = $2`, k.UserID, k.Cle); err != nil {
				return wrap("replay idempotency key", err)
			}
			if old.Operation != k.Operation || old.Empreinte != k.Empreinte {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "Idempotency-Key", Message: fmt.Sprintf(
					"clé déjà utilisée (moins de %d h) pour une autre requête: renvoyez la même requête ou choisissez une nouvelle clé",
					int(IdempotenceRetention.Hours()))}}}
			}
			rep, replayed = old.Reponse, true
			return nil
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM idempotence_requetes WHERE user_id = $1 AND cle <> $2 AND expire_le <= now()`,
			k.UserID, k.Cle); err != nil {
			return wrap("purge idempotency keys", err)
		}
		out, err := do(tx)
		if err != nil {
			return err
		}
		body, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("storage: idempotent answer: %w", err)
		}
		rep = Reponse{Statut: statut, Corps: body}
		_, err = tx.q.ExecContext(ctx, `UPDATE idempotence_requetes SET statut = $3, reponse = $4 WHERE user_id = $1 AND cle = $2`,
			k.UserID, k.Cle, statut, string(body))
		return wrap("store idempotent answer", err)
	})
	return rep, replayed, err
}
