package orders

import (
	"errors"
	"fmt"
	"time"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// Defaults of the Config fields left zero.
const (
	// DefaultBaseCurrency is the currency catalog prices are in.
	DefaultBaseCurrency = "USD"
	// DefaultFlatShipping is the flat shipping rate, in the base currency.
	DefaultFlatShipping = "4.99"
	// DefaultCallTimeout is the deadline of a call to another service.
	DefaultCallTimeout = 2 * time.Second
	// DefaultQuoteTimeout is the deadline of the shipping quote.
	DefaultQuoteTimeout = time.Second
	// DefaultPollInterval is how often the saga runner looks for work.
	DefaultPollInterval = 250 * time.Millisecond
	// DefaultLease is how long a runner holds a claimed order.
	DefaultLease = 10 * time.Second
	// DefaultMinBackoff is the first retry delay of a failed step.
	DefaultMinBackoff = 100 * time.Millisecond
	// DefaultMaxBackoff caps the retry delay, so an order completes within
	// seconds of its dependency's return.
	DefaultMaxBackoff = 5 * time.Second
	// DefaultWorkers is how many orders a runner advances at once.
	DefaultWorkers = 8
)

// Config configures the orders service. Zero fields take the defaults
// above.
type Config struct {
	// DSN names the database: "sqlite:/path/orders.db" or a plain path.
	DSN string
	// Storage are extra options for opening the database (tracing).
	Storage []storage.Option
	// BaseCurrency is the currency catalog prices are kept in ("USD").
	BaseCurrency string
	// FlatShipping is the shipping cost, in the base currency, charged
	// when shipping cannot quote at checkout (down or slower than
	// QuoteTimeout): a plain decimal ("4.99").
	FlatShipping string
	// CallTimeout is the deadline of each call to another service.
	CallTimeout time.Duration
	// QuoteTimeout is the deadline of the shipping quote at checkout,
	// after which the flat rate is used.
	QuoteTimeout time.Duration
	// PollInterval is how often the saga runner looks for due orders when
	// nothing wakes it.
	PollInterval time.Duration
	// Lease is how long a runner holds an order it claimed; another
	// replica (or the next start after a crash) takes the order once the
	// lease ran out. It must be longer than a step takes (two calls).
	Lease time.Duration
	// MinBackoff and MaxBackoff bound the wait before an order's failed
	// step is retried: MinBackoff doubled per failure, capped at
	// MaxBackoff, with jitter. The saga never gives up.
	MinBackoff, MaxBackoff time.Duration
	// Workers is the most orders one runner advances at once.
	Workers int
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// flatRate is FlatShipping parsed.
	flatRate *typesv1.Money
}

// withDefaults returns c with zero fields defaulted, or an error naming
// the first invalid one.
func (c Config) withDefaults() (Config, error) {
	if c.DSN == "" {
		return c, errors.New("config: DSN is required")
	}
	if c.BaseCurrency == "" {
		c.BaseCurrency = DefaultBaseCurrency
	}
	if err := money.ValidateCode(c.BaseCurrency); err != nil {
		return c, fmt.Errorf("config: base currency: %w", err)
	}
	if c.FlatShipping == "" {
		c.FlatShipping = DefaultFlatShipping
	}
	r, err := money.ParseDecimal(c.FlatShipping)
	if err == nil && r.Sign() < 0 {
		err = errors.New("must not be negative")
	}
	if err == nil {
		c.flatRate, err = money.FromRat(c.BaseCurrency, r)
	}
	if err != nil {
		return c, fmt.Errorf("config: flat shipping rate %q: %w", c.FlatShipping, err)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"call timeout", &c.CallTimeout, DefaultCallTimeout},
		{"quote timeout", &c.QuoteTimeout, DefaultQuoteTimeout},
		{"poll interval", &c.PollInterval, DefaultPollInterval},
		{"lease", &c.Lease, max(DefaultLease, 3*c.CallTimeout)},
		{"min backoff", &c.MinBackoff, DefaultMinBackoff},
		{"max backoff", &c.MaxBackoff, DefaultMaxBackoff},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < 0 {
			return c, fmt.Errorf("config: %s %v is negative", d.name, *d.v)
		}
	}
	if c.Lease <= 2*c.CallTimeout {
		return c, fmt.Errorf("config: lease %v must be longer than two call timeouts (%v)", c.Lease, 2*c.CallTimeout)
	}
	if c.MaxBackoff < c.MinBackoff {
		return c, fmt.Errorf("config: max backoff %v is below min backoff %v", c.MaxBackoff, c.MinBackoff)
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Workers < 0 {
		return c, fmt.Errorf("config: workers %d is negative", c.Workers)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
