package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// User is a registered shopper.
type User struct {
	ID    string
	Email string
	Name  string
	// PasswordHash is the PHC string of the password's hash.
	PasswordHash string
	Created      time.Time
}

// NewUser is a registration to store.
type NewUser struct {
	// Email is the address, already lower-cased.
	Email string
	Name  string
	// PasswordHash is the PHC string of the password's hash.
	PasswordHash string
	// IdempotencyKey makes the registration safe to retry.
	IdempotencyKey string
	// Created is the registration time.
	Created time.Time
}

// userColumns are the users columns scanUser reads, in order.
const userColumns = `id, email, name, password_hash, created_at`

// CreateUser stores nu and, in the same transaction, runs onCreate with
// the new user (to add its user.registered event to the outbox); an error
// from onCreate undoes the registration.
//
// A retry with nu's idempotency key and e-mail address returns the user
// the first call created, with created false, and does not run onCreate.
// The key used with another address is ErrKeyReused; an address another
// key registered is ErrEmailTaken.
func (s *Store) CreateUser(ctx context.Context, nu NewUser, onCreate func(tx *sql.Tx, u User) error) (u User, created bool, err error) {
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		created = false // InTx may run this again
		prev, err := scanUser(tx.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT `+userColumns+` FROM users WHERE create_key = ?`), nu.IdempotencyKey))
		switch {
		case err == nil && prev.Email == nu.Email:
			u = prev
			return nil
		case err == nil:
			return ErrKeyReused
		case !errors.Is(err, ErrNotFound):
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT 1 FROM users WHERE email = ?`), nu.Email).Scan(&one)
		switch {
		case err == nil:
			return ErrEmailTaken
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		id, err := uuid.NewRandom()
		if err != nil {
			return err
		}
		u = User{ID: id.String(), Email: nu.Email, Name: nu.Name, PasswordHash: nu.PasswordHash, Created: nu.Created.UTC()}
		_, err = tx.ExecContext(ctx, s.db.Dialect.Rebind(`INSERT INTO users
			(id, email, name, password_hash, create_key, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			u.ID, u.Email, u.Name, u.PasswordHash, nu.IdempotencyKey, formatTime(u.Created))
		if err != nil {
			return err
		}
		created = true
		return onCreate(tx, u)
	})
	if err != nil {
		return User{}, false, fmt.Errorf("create user: %w", err)
	}
	return u, created, nil
}

// UserByID returns the user with the given id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT `+userColumns+` FROM users WHERE id = ?`), id))
	if err != nil {
		return User{}, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user registered with the (lower-cased) e-mail
// address, or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.db.Dialect.Rebind(`SELECT `+userColumns+` FROM users WHERE email = ?`), email))
	if err != nil {
		// The address is personal data: keep it out of the error.
		return User{}, fmt.Errorf("get user by e-mail: %w", err)
	}
	return u, nil
}

// scanUser reads one row of userColumns; no row is ErrNotFound.
func scanUser(row scanner) (User, error) {
	var u User
	var created string
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &created); err != nil {
		return User{}, noRows(err)
	}
	t, err := parseTime(created)
	if err != nil {
		return User{}, err
	}
	u.Created = t
	return u, nil
}
