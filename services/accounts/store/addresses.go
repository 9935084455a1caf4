package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Address is a postal address.
type Address struct {
	Name        string
	Street      string
	City        string
	PostalCode  string
	CountryCode string
}

// SavedAddress is one entry of a user's address book.
type SavedAddress struct {
	ID      string
	UserID  string
	Address Address
	Created time.Time
}

// NewAddress is an address book entry to store.
type NewAddress struct {
	UserID  string
	Address Address
	// IdempotencyKey makes the addition safe to retry; keys are per user.
	IdempotencyKey string
	// Created is when the entry is added.
	Created time.Time
}

// addressColumns are the addresses columns scanAddress reads, in order.
const addressColumns = `id, user_id, name, street, city, postal_code, country_code, created_at`

// AddAddress appends na to the user's address book. A retry with the same
// user, key and address returns the entry the first call added; the key
// used with another address is ErrKeyReused. An unknown user is
// ErrNotFound; a full address book ErrAddressBookFull.
func (s *Store) AddAddress(ctx context.Context, na NewAddress) (SavedAddress, error) {
	var saved SavedAddress
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := userExists(ctx, tx, s.db.Dialect.Rebind, na.UserID); err != nil {
			return err
		}
		prev, err := scanAddress(tx.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT `+addressColumns+`
			FROM addresses WHERE user_id = ? AND idempotency_key = ?`), na.UserID, na.IdempotencyKey))
		switch {
		case err == nil && prev.Address == na.Address:
			saved = prev
			return nil
		case err == nil:
			return ErrKeyReused
		case !errors.Is(err, ErrNotFound):
			return err
		}
		var count, last int
		err = tx.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT COUNT(*), COALESCE(MAX(position), 0) FROM addresses WHERE user_id = ?`),
			na.UserID).Scan(&count, &last)
		if err != nil {
			return err
		}
		if count >= MaxAddresses {
			return ErrAddressBookFull
		}
		id, err := uuid.NewRandom()
		if err != nil {
			return err
		}
		saved = SavedAddress{ID: id.String(), UserID: na.UserID, Address: na.Address, Created: na.Created.UTC()}
		a := na.Address
		_, err = tx.ExecContext(ctx, s.db.Dialect.Rebind(`INSERT INTO addresses
			(id, user_id, position, idempotency_key, name, street, city, postal_code, country_code, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			saved.ID, na.UserID, last+1, na.IdempotencyKey, a.Name, a.Street, a.City, a.PostalCode, a.CountryCode, formatTime(saved.Created))
		return err
	})
	if err != nil {
		return SavedAddress{}, fmt.Errorf("add address for user %s: %w", na.UserID, err)
	}
	return saved, nil
}

// ListAddresses returns the user's address book, oldest first. An unknown
// user is ErrNotFound.
func (s *Store) ListAddresses(ctx context.Context, userID string) ([]SavedAddress, error) {
	if err := userExists(ctx, s.db, s.db.Dialect.Rebind, userID); err != nil {
		return nil, fmt.Errorf("list addresses of user %s: %w", userID, err)
	}
	out, err := s.queryAddresses(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list addresses of user %s: %w", userID, err)
	}
	return out, nil
}

// queryAddresses reads the user's address book, oldest first.
func (s *Store) queryAddresses(ctx context.Context, userID string) ([]SavedAddress, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Dialect.Rebind(`SELECT `+addressColumns+`
		FROM addresses WHERE user_id = ? ORDER BY position LIMIT ?`), userID, MaxAddresses)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SavedAddress
	for rows.Next() {
		a, err := scanAddress(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// userExists returns ErrNotFound unless the user exists.
func userExists(ctx context.Context, q querier, rebind func(string) string, userID string) error {
	var one int
	if err := q.QueryRowContext(ctx, rebind(`SELECT 1 FROM users WHERE id = ?`), userID).Scan(&one); err != nil {
		return noRows(err)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanAddress reads one row of addressColumns; no row is ErrNotFound.
func scanAddress(row scanner) (SavedAddress, error) {
	var sa SavedAddress
	var created string
	a := &sa.Address
	if err := row.Scan(&sa.ID, &sa.UserID, &a.Name, &a.Street, &a.City, &a.PostalCode, &a.CountryCode, &created); err != nil {
		return SavedAddress{}, noRows(err)
	}
	t, err := parseTime(created)
	if err != nil {
		return SavedAddress{}, err
	}
	sa.Created = t
	return sa, nil
}
