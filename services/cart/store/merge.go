package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Merge moves every line of from's cart into to's, adding the quantities
// of a product both hold (capped at MaxQuantity), and empties from's cart,
// in one transaction. Lines that would take to's cart past MaxLines are
// dropped, and counted in dropped. Merging an empty cart changes nothing,
// so a retry is safe. It returns to's cart after the merge.
//
// Most sign-ins bring an empty guest cart: Merge reads first and, when
// from's cart has no lines, returns to's cart without taking the write
// lock (the merge then happened at that read).
func (s *Store) Merge(ctx context.Context, from, to string, now time.Time) (c Cart, dropped int, err error) {
	src, err := s.cart(ctx, s.db.Q(nil), from)
	if err != nil {
		return Cart{}, 0, fmt.Errorf("merge cart %s into %s: %w", from, to, err)
	}
	if len(src.Lines) == 0 {
		if c, err = s.cart(ctx, s.db.Q(nil), to); err != nil {
			return Cart{}, 0, fmt.Errorf("merge cart %s into %s: %w", from, to, err)
		}
		return c, 0, nil
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		dropped = 0 // InTx may run this again
		src, err := s.cart(ctx, s.db.Q(tx), from)
		if err != nil || len(src.Lines) == 0 {
			return err
		}
		for _, l := range src.Lines {
			qty, found, err := s.quantity(ctx, s.db.Q(tx), to, l.ProductID)
			if err != nil {
				return err
			}
			err = s.setLine(ctx, s.db.Q(tx), to, l.ProductID, min(qty+l.Quantity, MaxQuantity), found)
			switch {
			case errors.Is(err, ErrCartFull):
				dropped++
			case err != nil:
				return err
			}
		}
		if err := s.EmptyTx(ctx, tx, from, now); err != nil {
			return err
		}
		return s.touch(ctx, s.db.Q(tx), to, now)
	}, func(tx *sql.Tx) (err error) {
		c, err = s.cart(ctx, s.db.Q(tx), to)
		return err
	})
	if err != nil {
		return Cart{}, 0, fmt.Errorf("merge cart %s into %s: %w", from, to, err)
	}
	return c, dropped, nil
}
