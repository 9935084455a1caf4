package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
)

// state is where a reservation is in its life.
type state = inventoryv1.ReservationState

// The states a stored reservation can be in.
const (
	stateReserved  = inventoryv1.ReservationState_RESERVATION_STATE_RESERVED
	stateRejected  = inventoryv1.ReservationState_RESERVATION_STATE_REJECTED
	stateReleased  = inventoryv1.ReservationState_RESERVATION_STATE_RELEASED
	stateCommitted = inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED
)

// item is a quantity of one product.
type item struct {
	ProductID string
	Quantity  int32
}

// shortage is an item that could not be reserved.
type shortage struct {
	ProductID string
	Requested int32
	Available int64
}

// reservation is the stock held for one order.
type reservation struct {
	OrderID    string
	State      state
	Items      []item
	Shortages  []shortage
	CreateTime time.Time
	UpdateTime time.Time
}

// reservation returns an order's reservation; errNoReservation when it
// has none.
func (s *store) reservation(ctx context.Context, orderID string) (reservation, error) {
	// Items and shortages are written with the reservation and never
	// change, so reading outside a transaction is consistent.
	r, err := s.loadReservation(ctx, s.db, orderID)
	if err != nil {
		return reservation{}, fmt.Errorf("get reservation of %s: %w", orderID, err)
	}
	return r, nil
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reserve holds stock for every item of an order, all or nothing, in one
// transaction. The first call for an order decides: a later call returns
// the stored reservation unchanged whatever it names, so a Reserve after a
// Release returns the RELEASED reservation and holds nothing.
func (s *store) reserve(ctx context.Context, orderID string, items []item) (reservation, error) {
	var r reservation
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = s.loadReservation(ctx, tx, orderID)
		if !errors.Is(err, errNoReservation) {
			return err
		}
		shortages, err := s.shortages(ctx, tx, items)
		if err != nil {
			return err
		}
		at := s.now().UTC()
		r = reservation{OrderID: orderID, State: stateReserved, Items: items, Shortages: shortages, CreateTime: at, UpdateTime: at}
		if len(shortages) > 0 {
			r.State = stateRejected
			if err := s.insertReservation(ctx, tx, r); err != nil {
				return err
			}
			return s.recordRejected(ctx, tx, r)
		}
		for _, it := range items {
			if err := s.move(ctx, tx, it.ProductID, -int64(it.Quantity), int64(it.Quantity), 0, at); err != nil {
				return err
			}
		}
		if err := s.insertReservation(ctx, tx, r); err != nil {
			return err
		}
		return s.recordReserved(ctx, tx, r)
	})
	if err != nil {
		return reservation{}, fmt.Errorf("reserve stock for order %s: %w", orderID, err)
	}
	s.events.Notify()
	return r, nil
}

// shortages lists the items that cannot be held now.
func (s *store) shortages(ctx context.Context, tx *sql.Tx, items []item) ([]shortage, error) {
	var out []shortage
	for _, it := range items {
		onHand, err := s.onHandTx(ctx, tx, it.ProductID)
		if err != nil && !errors.Is(err, errUnknownProduct) {
			return nil, fmt.Errorf("stock of %s: %w", it.ProductID, err)
		}
		if onHand < int64(it.Quantity) {
			out = append(out, shortage{ProductID: it.ProductID, Requested: it.Quantity, Available: onHand})
		}
	}
	return out, nil
}

// release gives an order's held stock back. RELEASED and REJECTED
// reservations are returned unchanged; an order never reserved is
// recorded as RELEASED with no items, so a late Reserve holds nothing.
// errCommitted for a COMMITTED reservation.
func (s *store) release(ctx context.Context, orderID string) (reservation, error) {
	var r reservation
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = s.loadReservation(ctx, tx, orderID)
		at := s.now().UTC()
		switch {
		case errors.Is(err, errNoReservation):
			r = reservation{OrderID: orderID, State: stateReleased, CreateTime: at, UpdateTime: at}
			return s.insertReservation(ctx, tx, r)
		case err != nil:
			return err
		}
		switch r.State {
		case stateReleased, stateRejected:
			return nil
		case stateCommitted:
			return errCommitted
		}
		for _, it := range r.Items {
			if err := s.move(ctx, tx, it.ProductID, int64(it.Quantity), -int64(it.Quantity), 0, at); err != nil {
				return err
			}
		}
		r.State, r.UpdateTime = stateReleased, at
		return s.setState(ctx, tx, r)
	})
	if err != nil {
		return reservation{}, fmt.Errorf("release stock of order %s: %w", orderID, err)
	}
	s.events.Notify()
	return r, nil
}

// commit turns an order's held stock into sold stock. A COMMITTED
// reservation is returned unchanged; errNoReservation for an order never
// reserved, errNotReserved for a RELEASED or REJECTED one.
func (s *store) commit(ctx context.Context, orderID string) (reservation, error) {
	var r reservation
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = s.loadReservation(ctx, tx, orderID)
		if err != nil {
			return err
		}
		switch r.State {
		case stateCommitted:
			return nil
		case stateReleased, stateRejected:
			return fmt.Errorf("%w: it is %s", errNotReserved, r.State)
		}
		at := s.now().UTC()
		for _, it := range r.Items {
			if err := s.move(ctx, tx, it.ProductID, 0, -int64(it.Quantity), int64(it.Quantity), at); err != nil {
				return err
			}
		}
		r.State, r.UpdateTime = stateCommitted, at
		return s.setState(ctx, tx, r)
	})
	if err != nil {
		return reservation{}, fmt.Errorf("commit stock of order %s: %w", orderID, err)
	}
	s.events.Notify()
	return r, nil
}

// loadReservation reads an order's reservation with its items and
// shortages; errNoReservation when there is none.
func (s *store) loadReservation(ctx context.Context, tx querier, orderID string) (reservation, error) {
	r := reservation{OrderID: orderID}
	var created, updated string
	err := tx.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT state, create_time, update_time FROM reservations WHERE order_id = ?`), orderID).
		Scan(&r.State, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return reservation{}, errNoReservation
	}
	if err != nil {
		return reservation{}, err
	}
	if r.CreateTime, err = parseTime(created); err != nil {
		return reservation{}, err
	}
	if r.UpdateTime, err = parseTime(updated); err != nil {
		return reservation{}, err
	}
	if r.Items, err = s.loadItems(ctx, tx, orderID); err != nil {
		return reservation{}, err
	}
	if r.Shortages, err = s.loadShortages(ctx, tx, orderID); err != nil {
		return reservation{}, err
	}
	return r, nil
}

// loadItems reads a reservation's items in request order.
func (s *store) loadItems(ctx context.Context, tx querier, orderID string) ([]item, error) {
	rows, err := tx.QueryContext(ctx, s.db.Dialect.Rebind(`SELECT product_id, quantity FROM reservation_items WHERE order_id = ? ORDER BY position`), orderID)
	if err != nil {
		return nil, fmt.Errorf("load items: %w", err)
	}
	defer rows.Close()
	var out []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.ProductID, &it.Quantity); err != nil {
			return nil, fmt.Errorf("load items: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// loadShortages reads a reservation's shortages in request order.
func (s *store) loadShortages(ctx context.Context, tx querier, orderID string) ([]shortage, error) {
	rows, err := tx.QueryContext(ctx, s.db.Dialect.Rebind(`SELECT product_id, requested, available FROM reservation_shortages WHERE order_id = ? ORDER BY position`), orderID)
	if err != nil {
		return nil, fmt.Errorf("load shortages: %w", err)
	}
	defer rows.Close()
	var out []shortage
	for rows.Next() {
		var sh shortage
		if err := rows.Scan(&sh.ProductID, &sh.Requested, &sh.Available); err != nil {
			return nil, fmt.Errorf("load shortages: %w", err)
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// insertReservation stores a new reservation with its items and
// shortages.
func (s *store) insertReservation(ctx context.Context, tx *sql.Tx, r reservation) error {
	_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO reservations (order_id, state, create_time, update_time) VALUES (?, ?, ?, ?)`,
		r.OrderID, r.State, formatTime(r.CreateTime), formatTime(r.UpdateTime))
	if err != nil {
		return fmt.Errorf("insert reservation: %w", err)
	}
	for i, it := range r.Items {
		_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO reservation_items (order_id, position, product_id, quantity) VALUES (?, ?, ?, ?)`,
			r.OrderID, i, it.ProductID, it.Quantity)
		if err != nil {
			return fmt.Errorf("insert reservation item %s: %w", it.ProductID, err)
		}
	}
	for i, sh := range r.Shortages {
		_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO reservation_shortages (order_id, position, product_id, requested, available) VALUES (?, ?, ?, ?, ?)`,
			r.OrderID, i, sh.ProductID, sh.Requested, sh.Available)
		if err != nil {
			return fmt.Errorf("insert reservation shortage %s: %w", sh.ProductID, err)
		}
	}
	return nil
}

// setState stores a reservation's new state and update time.
func (s *store) setState(ctx context.Context, tx *sql.Tx, r reservation) error {
	_, err := s.db.Q(tx).ExecContext(ctx, `UPDATE reservations SET state = ?, update_time = ? WHERE order_id = ?`,
		r.State, formatTime(r.UpdateTime), r.OrderID)
	if err != nil {
		return fmt.Errorf("set reservation state: %w", err)
	}
	return nil
}

// recordReserved sends stock.reserved for a RESERVED reservation.
func (s *store) recordReserved(ctx context.Context, tx *sql.Tx, r reservation) error {
	ev := &eventsv1.StockReserved{OrderId: r.OrderID}
	for _, it := range r.Items {
		ev.Items = append(ev.Items, &eventsv1.EventItem{ProductId: it.ProductID, Quantity: it.Quantity})
	}
	if _, err := s.events.Add(ctx, tx, "stock.reserved", r.OrderID, ev); err != nil {
		return fmt.Errorf("record stock.reserved: %w", err)
	}
	return nil
}

// recordRejected sends stock.rejected for a REJECTED reservation.
func (s *store) recordRejected(ctx context.Context, tx *sql.Tx, r reservation) error {
	ev := &eventsv1.StockRejected{OrderId: r.OrderID}
	for _, sh := range r.Shortages {
		ev.Shortages = append(ev.Shortages, &eventsv1.StockShortage{ProductId: sh.ProductID, Requested: sh.Requested, Available: sh.Available})
	}
	if _, err := s.events.Add(ctx, tx, "stock.rejected", r.OrderID, ev); err != nil {
		return fmt.Errorf("record stock.rejected: %w", err)
	}
	return nil
}
