package pricing

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"sync"
	"time"

	"github.com/bazaar-shop/bazaar/platform/money"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// migrations holds the schema, applied by storage.Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// ratesMaxAge bounds how stale the currencies a store serves may be. A
// store keeps the last currencies it read in memory and reads them again
// once that read began ratesMaxAge ago or more: a rate set through another
// store on the same database (another replica) shows within ratesMaxAge,
// and a rate set through this store shows at once (setRate drops the
// cached copy).
const ratesMaxAge = time.Second

// store keeps currencies and rates in the service's own database, with an
// in-memory copy of them for the hot path (Convert).
type store struct {
	db *storage.DB
	// now is the clock the age of the cached copy is measured on.
	now func() time.Time

	mu sync.Mutex
	// cached is the last currencies read, shared and read-only; nil when
	// there is none to serve.
	cached []currency
	// readAt is when the read that returned cached began.
	readAt time.Time
	// writes counts this store's writes (setRate, seed): a read that
	// began before a write ended may hold the state before it and is not
	// cached.
	writes uint64
}

// openStore opens (creating and migrating when needed) the database at
// dsn, with opts.
func openStore(ctx context.Context, dsn string, opts ...storage.Option) (*store, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open pricing store: %w", err)
	}
	db, err := storage.Open(ctx, dsn, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("open pricing store: %w", err)
	}
	return &store{db: db, now: time.Now}, nil
}

// close closes the database.
func (s *store) close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close pricing store: %w", err)
	}
	return nil
}

// ping reports whether the database answers.
func (s *store) ping(ctx context.Context) error {
	return s.db.Ping(ctx)
}

// seed writes seeds, stamped with rateTime, when the store has no
// currencies yet, and reports whether it did. A store that has any
// currency is left as it is, so later starts keep changed rates.
func (s *store) seed(ctx context.Context, seeds []seedCurrency, base string, rateTime time.Time) (bool, error) {
	seeded := false
	defer s.dropCached()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		seeded = false // InTx may run this again
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM currencies`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, c := range seeds {
			r, err := parseRate(c.rate)
			if err != nil {
				return fmt.Errorf("%s: %w", c.code, err)
			}
			_, err = tx.ExecContext(ctx, s.db.Dialect.Rebind(`INSERT INTO currencies
				(code, name, symbol, minor_unit_digits, is_base, rate, rate_set_time)
				VALUES (?, ?, ?, ?, ?, ?, ?)`),
				c.code, c.name, c.symbol, c.minorUnitDigits, c.code == base, formatRate(r), formatTime(rateTime))
			if err != nil {
				return fmt.Errorf("insert %s: %w", c.code, err)
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed currencies: %w", err)
	}
	return seeded, nil
}

// selectCurrencies is the column list scanCurrency reads.
const selectCurrencies = `SELECT code, name, symbol, minor_unit_digits, is_base, rate, rate_set_time FROM currencies`

// currencies returns every currency, the base first, then by code, as
// read from the database less than ratesMaxAge ago. The slice and the
// rates in it are shared: callers must not modify them.
func (s *store) currencies(ctx context.Context) ([]currency, error) {
	s.mu.Lock()
	if s.cached != nil && s.now().Sub(s.readAt) < ratesMaxAge {
		cs := s.cached
		s.mu.Unlock()
		return cs, nil
	}
	writes := s.writes
	s.mu.Unlock()

	start := s.now()
	cs, err := s.readCurrencies(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Keep the read unless this store wrote meanwhile (the read may have
	// missed that write) or a read that began later is cached already.
	if s.writes == writes && (s.cached == nil || start.After(s.readAt)) {
		s.cached, s.readAt = cs, start
	}
	return cs, nil
}

// dropCached forgets the cached currencies, so the next currencies call
// reads the database; every write of the store calls it once it is over,
// committed or not.
func (s *store) dropCached() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	s.cached = nil
}

// readCurrencies reads every currency from the database, the base first,
// then by code.
func (s *store) readCurrencies(ctx context.Context) ([]currency, error) {
	rows, err := s.db.QueryContext(ctx, selectCurrencies+` ORDER BY is_base DESC, code`)
	if err != nil {
		return nil, fmt.Errorf("list currencies: %w", err)
	}
	defer rows.Close()
	var out []currency
	for rows.Next() {
		c, err := scanCurrency(rows)
		if err != nil {
			return nil, fmt.Errorf("list currencies: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list currencies: %w", err)
	}
	return out, nil
}

// setRate sets code's rate to rate at time at and returns the currency
// afterwards. Setting the rate a currency already has changes nothing,
// not even the time, so a retried call leaves the same state.
func (s *store) setRate(ctx context.Context, code string, rate *big.Rat, at time.Time) (currency, error) {
	if err := checkRate(rate); err != nil {
		return currency{}, fmt.Errorf("set rate of %s: %w", code, err)
	}
	var c currency
	defer s.dropCached()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanCurrency(tx.QueryRowContext(ctx, s.db.Dialect.Rebind(selectCurrencies+` WHERE code = ?`), code))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w %s", errUnknownCurrency, code)
		}
		if err != nil {
			return err
		}
		if c.Base {
			return fmt.Errorf("%s: %w", code, errBaseCurrency)
		}
		if c.Rate.Cmp(rate) == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.db.Dialect.Rebind(`UPDATE currencies SET rate = ?, rate_set_time = ? WHERE code = ?`),
			formatRate(rate), formatTime(at), code)
		if err != nil {
			return err
		}
		c.Rate, c.RateSetTime = new(big.Rat).Set(rate), at.UTC()
		return nil
	})
	if err != nil {
		return currency{}, fmt.Errorf("set rate of %s: %w", code, err)
	}
	return c, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanCurrency reads one row of selectCurrencies.
func scanCurrency(row scanner) (currency, error) {
	var c currency
	var rate, setTime string
	if err := row.Scan(&c.Code, &c.Name, &c.Symbol, &c.MinorUnitDigits, &c.Base, &rate, &setTime); err != nil {
		return currency{}, err
	}
	r, err := money.ParseDecimal(rate)
	if err != nil {
		return currency{}, fmt.Errorf("currency %s: stored rate: %w", c.Code, err)
	}
	if r.Sign() <= 0 {
		return currency{}, fmt.Errorf("currency %s: stored rate %s: %w", c.Code, rate, errInvalidRate)
	}
	t, err := time.Parse(time.RFC3339Nano, setTime)
	if err != nil {
		return currency{}, fmt.Errorf("currency %s: stored rate time: %w", c.Code, err)
	}
	c.Rate, c.RateSetTime = r, t.UTC()
	return c, nil
}

// formatTime writes t as stored: RFC 3339 with nanoseconds, in UTC.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
