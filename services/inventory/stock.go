package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
)

// stock is one product's stock: OnHand + Reserved + Sold = Loaded.
type stock struct {
	ProductID                      string
	OnHand, Reserved, Sold, Loaded int64
	UpdateTime                     time.Time
}

// selectStock is the column list scanStock reads.
const selectStock = `SELECT product_id, on_hand, reserved, sold, loaded, update_time FROM stock`

// scanStock reads one row of selectStock.
func scanStock(row scanner) (stock, error) {
	var st stock
	var updated string
	if err := row.Scan(&st.ProductID, &st.OnHand, &st.Reserved, &st.Sold, &st.Loaded, &updated); err != nil {
		return stock{}, err
	}
	t, err := parseTime(updated)
	if err != nil {
		return stock{}, fmt.Errorf("stock of %s: %w", st.ProductID, err)
	}
	st.UpdateTime = t
	return st, nil
}

// getStock returns one product's stock; errUnknownProduct when there is
// none.
func (s *store) getStock(ctx context.Context, productID string) (stock, error) {
	st, err := scanStock(s.db.QueryRowContext(ctx, s.db.Dialect.Rebind(selectStock+` WHERE product_id = ?`), productID))
	if errors.Is(err, sql.ErrNoRows) {
		return stock{}, fmt.Errorf("get stock of %s: %w", productID, errUnknownProduct)
	}
	if err != nil {
		return stock{}, fmt.Errorf("get stock of %s: %w", productID, err)
	}
	return st, nil
}

// availability returns the units on hand of each known product among ids.
func (s *store) availability(ctx context.Context, ids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	// Prepared once per number of ids (a product page asks for one).
	q := `SELECT product_id, on_hand FROM stock WHERE product_id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	rows, err := s.db.Q(nil).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("get availability: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var onHand int64
		if err := rows.Scan(&id, &onHand); err != nil {
			return nil, fmt.Errorf("get availability: %w", err)
		}
		out[id] = onHand
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get availability: %w", err)
	}
	return out, nil
}

// listStock returns up to limit products' stock with ids after `after`,
// by product id, and whether more follow.
func (s *store) listStock(ctx context.Context, after string, limit int) ([]stock, bool, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Dialect.Rebind(selectStock+` WHERE product_id > ? ORDER BY product_id LIMIT ?`), after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list stock: %w", err)
	}
	defer rows.Close()
	var out []stock
	for rows.Next() {
		st, err := scanStock(rows)
		if err != nil {
			return nil, false, fmt.Errorf("list stock: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list stock: %w", err)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// onHandTx returns a product's units on hand inside tx; errUnknownProduct
// when inventory has no stock of it.
func (s *store) onHandTx(ctx context.Context, tx *sql.Tx, productID string) (int64, error) {
	var n int64
	err := s.db.Q(tx).QueryRowContext(ctx, `SELECT on_hand FROM stock WHERE product_id = ?`, productID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errUnknownProduct
	}
	return n, err
}

// move shifts units of a product between on_hand, reserved and sold
// (the three deltas sum to zero, so loaded is unchanged), then sends
// stock.low if on_hand just dropped below the threshold. The table's
// CHECK constraints refuse any change that would make a count negative.
func (s *store) move(ctx context.Context, tx *sql.Tx, productID string, onHand, reserved, sold int64, at time.Time) error {
	if onHand+reserved+sold != 0 {
		return fmt.Errorf("move stock of %s: deltas %d/%d/%d change the loaded units", productID, onHand, reserved, sold)
	}
	res, err := s.db.Q(tx).ExecContext(ctx, `UPDATE stock
		SET on_hand = on_hand + ?, reserved = reserved + ?, sold = sold + ?, update_time = ?
		WHERE product_id = ?`, onHand, reserved, sold, formatTime(at), productID)
	if err != nil {
		return fmt.Errorf("move stock of %s: %w", productID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("move stock of %s: %w", productID, errors.Join(errUnknownProduct, err))
	}
	return s.checkLow(ctx, tx, productID)
}

// checkLow keeps a product's low mark in step with its on_hand: crossing
// below the threshold marks it and sends stock.low, once; rising back to
// the threshold or above clears the mark, so the next crossing sends
// again.
func (s *store) checkLow(ctx context.Context, tx *sql.Tx, productID string) error {
	var onHand int64
	var low bool
	err := s.db.Q(tx).QueryRowContext(ctx, `SELECT on_hand, low FROM stock WHERE product_id = ?`, productID).Scan(&onHand, &low)
	if err != nil {
		return fmt.Errorf("check low stock of %s: %w", productID, err)
	}
	isLow := onHand < s.lowThreshold
	if isLow == low {
		return nil
	}
	if _, err := s.db.Q(tx).ExecContext(ctx, `UPDATE stock SET low = ? WHERE product_id = ?`, isLow, productID); err != nil {
		return fmt.Errorf("mark low stock of %s: %w", productID, err)
	}
	if !isLow {
		return nil
	}
	ev := &eventsv1.StockLow{ProductId: productID, Available: onHand, Threshold: s.lowThreshold}
	if _, err := s.events.Add(ctx, tx, "stock.low", productID, ev); err != nil {
		return fmt.Errorf("record stock.low of %s: %w", productID, err)
	}
	return nil
}
