package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Get returns the shopper's cart; a shopper without one gets an empty
// cart with a zero Updated.
func (s *Store) Get(ctx context.Context, shopperID string) (Cart, error) {
	c, err := s.cart(ctx, s.db.Q(nil), shopperID)
	if err != nil {
		return Cart{}, fmt.Errorf("get cart %s: %w", shopperID, err)
	}
	return c, nil
}

// Addition is a request to add units of a product to a cart.
type Addition struct {
	ShopperID string
	ProductID string
	// Quantity is how many units to add, 1 to MaxQuantity.
	Quantity int32
	// Key is the caller's idempotency key, unique per addition.
	Key string
	// Now is when the addition happens.
	Now time.Time
}

// KeyApplied reports whether an addition with key was already applied to
// the shopper's cart.
func (s *Store) KeyApplied(ctx context.Context, shopperID, key string) (bool, error) {
	ok, err := s.keyApplied(ctx, s.db.Q(nil), shopperID, key)
	if err != nil {
		return false, fmt.Errorf("look up key for cart %s: %w", shopperID, err)
	}
	return ok, nil
}

// Add adds a.Quantity units of a.ProductID to the cart, creating the line
// when there is none, and records a.Key, all in one transaction. When a.Key
// was applied before it changes nothing and reports applied false. A line
// past MaxQuantity is ErrLineFull, a new line past MaxLines ErrCartFull.
// It returns the cart after the change.
func (s *Store) Add(ctx context.Context, a Addition) (c Cart, applied bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		applied = false // InTx may run this again
		done, err := s.keyApplied(ctx, s.db.Q(tx), a.ShopperID, a.Key)
		if err != nil || done {
			return err
		}
		qty, found, err := s.quantity(ctx, s.db.Q(tx), a.ShopperID, a.ProductID)
		if err != nil {
			return err
		}
		if found && qty+a.Quantity > MaxQuantity {
			return ErrLineFull
		}
		if err := s.setLine(ctx, s.db.Q(tx), a.ShopperID, a.ProductID, qty+a.Quantity, found); err != nil {
			return err
		}
		_, err = s.db.Q(tx).ExecContext(ctx, `INSERT INTO applied_keys (shopper_id, idempotency_key, applied_at) VALUES (?, ?, ?)`,
			a.ShopperID, a.Key, formatTime(a.Now))
		if err != nil {
			return err
		}
		applied = true
		return s.touch(ctx, s.db.Q(tx), a.ShopperID, a.Now)
	}, func(tx *sql.Tx) (err error) {
		c, err = s.cart(ctx, s.db.Q(tx), a.ShopperID)
		return err
	})
	if err != nil {
		return Cart{}, false, fmt.Errorf("add %d of %s to cart %s: %w", a.Quantity, a.ProductID, a.ShopperID, err)
	}
	return c, applied, nil
}

// SetQuantity sets the product's line to exactly qty, creating it when
// there is none; 0 removes the line. A new line past MaxLines is
// ErrCartFull. It returns the cart after the change.
func (s *Store) SetQuantity(ctx context.Context, shopperID, productID string, qty int32, now time.Time) (Cart, error) {
	if qty == 0 {
		return s.Remove(ctx, shopperID, productID, now)
	}
	var c Cart
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, found, err := s.quantity(ctx, s.db.Q(tx), shopperID, productID)
		if err != nil {
			return err
		}
		if err := s.setLine(ctx, s.db.Q(tx), shopperID, productID, qty, found); err != nil {
			return err
		}
		return s.touch(ctx, s.db.Q(tx), shopperID, now)
	}, func(tx *sql.Tx) (err error) {
		c, err = s.cart(ctx, s.db.Q(tx), shopperID)
		return err
	})
	if err != nil {
		return Cart{}, fmt.Errorf("set %s to %d in cart %s: %w", productID, qty, shopperID, err)
	}
	return c, nil
}

// Remove removes the product's line, if there is one. It returns the cart
// after the change.
func (s *Store) Remove(ctx context.Context, shopperID, productID string, now time.Time) (Cart, error) {
	var c Cart
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.db.Q(tx).ExecContext(ctx, `DELETE FROM cart_lines WHERE shopper_id = ? AND product_id = ?`, shopperID, productID)
		if err != nil {
			return err
		}
		return s.touchIfChanged(ctx, s.db.Q(tx), res, shopperID, now)
	}, func(tx *sql.Tx) (err error) {
		c, err = s.cart(ctx, s.db.Q(tx), shopperID)
		return err
	})
	if err != nil {
		return Cart{}, fmt.Errorf("remove %s from cart %s: %w", productID, shopperID, err)
	}
	return c, nil
}

// Empty removes every line of the shopper's cart.
func (s *Store) Empty(ctx context.Context, shopperID string, now time.Time) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error { return s.EmptyTx(ctx, tx, shopperID, now) })
	if err != nil {
		return fmt.Errorf("empty cart %s: %w", shopperID, err)
	}
	return nil
}

// EmptyTx removes every line of the shopper's cart inside tx, for a
// caller with more to do in the same transaction (a merge).
func (s *Store) EmptyTx(ctx context.Context, tx *sql.Tx, shopperID string, now time.Time) error {
	res, err := s.db.Q(tx).ExecContext(ctx, `DELETE FROM cart_lines WHERE shopper_id = ?`, shopperID)
	if err != nil {
		return fmt.Errorf("empty cart %s: %w", shopperID, err)
	}
	if err := s.touchIfChanged(ctx, s.db.Q(tx), res, shopperID, now); err != nil {
		return fmt.Errorf("empty cart %s: %w", shopperID, err)
	}
	return nil
}

// Ordered is a product and quantity an order took from a cart.
type Ordered struct {
	ProductID string
	Quantity  int32
}

// RemoveOrdered takes what order orderID bought out of the shopper's
// cart, once per order (see RemoveOrderedTx), and returns the cart.
func (s *Store) RemoveOrdered(ctx context.Context, shopperID, orderID string, items []Ordered, now time.Time) (Cart, error) {
	var c Cart
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return s.RemoveOrderedTx(ctx, tx, shopperID, orderID, items, now)
	}, func(tx *sql.Tx) error {
		var err error
		c, err = s.cart(ctx, s.db.Q(tx), shopperID)
		return err
	})
	if err != nil {
		return Cart{}, fmt.Errorf("remove order %s from cart %s: %w", orderID, shopperID, err)
	}
	return c, nil
}

// RemoveOrderedTx takes the ordered quantities out of the shopper's cart
// inside tx, once per order: a second call for orderID changes nothing. A
// line goes when the order took all of it; lines added after the order
// was placed stay.
func (s *Store) RemoveOrderedTx(ctx context.Context, tx *sql.Tx, shopperID, orderID string, items []Ordered, now time.Time) error {
	res, err := s.db.Q(tx).ExecContext(ctx,
		`INSERT INTO removed_orders (order_id, shopper_id, removed_at) VALUES (?, ?, ?) ON CONFLICT (order_id) DO NOTHING`,
		orderID, shopperID, formatTime(now))
	if err != nil {
		return fmt.Errorf("record order %s: %w", orderID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("record order %s: %w", orderID, err)
	} else if n == 0 {
		return nil // already removed
	}
	var changed int64
	for _, it := range items {
		res, err := s.db.Q(tx).ExecContext(ctx,
			`UPDATE cart_lines SET quantity = quantity - ? WHERE shopper_id = ? AND product_id = ? AND quantity > ?`,
			it.Quantity, shopperID, it.ProductID, it.Quantity)
		if err != nil {
			return fmt.Errorf("remove ordered %s from cart %s: %w", it.ProductID, shopperID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("remove ordered %s from cart %s: %w", it.ProductID, shopperID, err)
		}
		if n == 0 {
			if res, err = s.db.Q(tx).ExecContext(ctx,
				`DELETE FROM cart_lines WHERE shopper_id = ? AND product_id = ?`, shopperID, it.ProductID); err != nil {
				return fmt.Errorf("remove ordered %s from cart %s: %w", it.ProductID, shopperID, err)
			}
			if n, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("remove ordered %s from cart %s: %w", it.ProductID, shopperID, err)
			}
		}
		changed += n
	}
	if changed > 0 {
		if _, err := s.db.Q(tx).ExecContext(ctx, `UPDATE carts SET updated_at = ? WHERE shopper_id = ?`,
			formatTime(now), shopperID); err != nil {
			return fmt.Errorf("remove ordered items from cart %s: %w", shopperID, err)
		}
	}
	return nil
}

// PruneKeys forgets the idempotency keys applied before cutoff and returns
// how many it forgot.
func (s *Store) PruneKeys(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Dialect.Rebind(`DELETE FROM applied_keys WHERE applied_at < ?`), formatTime(cutoff))
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	return n, nil
}

// inTx runs change and then read in one transaction.
func (s *Store) inTx(ctx context.Context, change, read func(*sql.Tx) error) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		return read(tx)
	})
}

// cart reads the shopper's cart, in one statement: the cart's time and
// its lines, in the order they were added.
func (s *Store) cart(ctx context.Context, q querier, shopperID string) (Cart, error) {
	rows, err := q.QueryContext(ctx, s.db.Dialect.Rebind(`SELECT c.updated_at, l.product_id, l.quantity
		FROM carts c LEFT JOIN cart_lines l ON l.shopper_id = c.shopper_id
		WHERE c.shopper_id = ? ORDER BY l.position`), shopperID)
	if err != nil {
		return Cart{}, err
	}
	defer rows.Close()
	c := Cart{ShopperID: shopperID}
	for rows.Next() {
		var updated string
		var product sql.NullString
		var qty sql.NullInt32
		if err := rows.Scan(&updated, &product, &qty); err != nil {
			return Cart{}, err
		}
		if c.Updated.IsZero() {
			if c.Updated, err = time.Parse(timeFormat, updated); err != nil {
				return Cart{}, fmt.Errorf("parse stored time %q: %w", updated, err)
			}
		}
		if product.Valid {
			c.Lines = append(c.Lines, Line{ProductID: product.String, Quantity: qty.Int32})
		}
	}
	return c, rows.Err()
}

// keyApplied reports whether key is recorded for the shopper.
func (s *Store) keyApplied(ctx context.Context, q querier, shopperID, key string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT 1 FROM applied_keys WHERE shopper_id = ? AND idempotency_key = ?`),
		shopperID, key).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// quantity returns the product's quantity in the cart and whether it has
// a line.
func (s *Store) quantity(ctx context.Context, q querier, shopperID, productID string) (int32, bool, error) {
	var qty int32
	err := q.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT quantity FROM cart_lines WHERE shopper_id = ? AND product_id = ?`),
		shopperID, productID).Scan(&qty)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	return qty, true, nil
}

// setLine writes the product's line: an update when exists, else a new
// line at the end (ErrCartFull when the cart has MaxLines lines).
func (s *Store) setLine(ctx context.Context, q querier, shopperID, productID string, qty int32, exists bool) error {
	if exists {
		_, err := q.ExecContext(ctx, s.db.Dialect.Rebind(`UPDATE cart_lines SET quantity = ? WHERE shopper_id = ? AND product_id = ?`),
			qty, shopperID, productID)
		return err
	}
	var lines, last int
	err := q.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT COUNT(*), COALESCE(MAX(position), 0) FROM cart_lines WHERE shopper_id = ?`),
		shopperID).Scan(&lines, &last)
	if err != nil {
		return err
	}
	if lines >= MaxLines {
		return ErrCartFull
	}
	_, err = q.ExecContext(ctx, s.db.Dialect.Rebind(`INSERT INTO cart_lines (shopper_id, product_id, quantity, position) VALUES (?, ?, ?, ?)`),
		shopperID, productID, qty, last+1)
	return err
}

// touch records that the shopper's cart changed at now.
func (s *Store) touch(ctx context.Context, q querier, shopperID string, now time.Time) error {
	_, err := q.ExecContext(ctx, s.db.Dialect.Rebind(`INSERT INTO carts (shopper_id, updated_at) VALUES (?, ?)
		ON CONFLICT (shopper_id) DO UPDATE SET updated_at = excluded.updated_at`), shopperID, formatTime(now))
	return err
}

// touchIfChanged touches the cart when res affected a row.
func (s *Store) touchIfChanged(ctx context.Context, q querier, res sql.Result, shopperID string, now time.Time) error {
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return err
	}
	return s.touch(ctx, q, shopperID, now)
}
