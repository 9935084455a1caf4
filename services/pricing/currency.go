package pricing

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/bazaar-shop/bazaar/platform/money"
)

// Errors the store and the rate rules wrap; the gRPC handlers map them to
// status codes.
var (
	// errUnknownCurrency marks a currency code the shop does not sell in.
	errUnknownCurrency = errors.New("unknown currency")
	// errBaseCurrency marks an attempt to set the base currency's rate,
	// which is 1 by definition.
	errBaseCurrency = errors.New("the base currency's rate is always 1")
	// errInvalidRate marks a rate that is malformed, not positive, or too
	// large or too precise to store.
	errInvalidRate = errors.New("invalid rate")
)

const (
	// maxRateFractionDigits is the most decimals a stored rate may have.
	maxRateFractionDigits = 12
	// maxRateIntegerDigits bounds a rate below 10^9.
	maxRateIntegerDigits = 9
	// crossRateDigits is how many decimals a reported cross rate
	// (rate_to / rate_from) is rounded to when it does not terminate; the
	// conversion itself uses the exact ratio.
	crossRateDigits = 12
)

// currency is one currency the shop sells in and its rate.
type currency struct {
	Code            string
	Name            string
	Symbol          string
	MinorUnitDigits int
	// Base is true for the currency catalog prices are kept in.
	Base bool
	// Rate is how many of this currency one unit of the base buys; > 0.
	Rate        *big.Rat
	RateSetTime time.Time
}

// parseRate reads a rate written as a plain decimal and checks it can be
// stored exactly: > 0, at most maxRateIntegerDigits digits before the
// point and maxRateFractionDigits after it.
func parseRate(s string) (*big.Rat, error) {
	r, err := money.ParseDecimal(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errInvalidRate, err)
	}
	if err := checkRate(r); err != nil {
		return nil, err
	}
	return r, nil
}

// checkRate reports whether r can be a stored rate.
func checkRate(r *big.Rat) error {
	if r.Sign() <= 0 {
		return fmt.Errorf("%w %s: must be greater than zero", errInvalidRate, r.FloatString(maxRateFractionDigits))
	}
	limit := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(maxRateIntegerDigits), nil))
	if r.Cmp(limit) >= 0 {
		return fmt.Errorf("%w: must be below %s", errInvalidRate, limit.RatString())
	}
	if money.RoundHalfEven(r, maxRateFractionDigits).Cmp(r) != 0 {
		return fmt.Errorf("%w: at most %d digits after the point", errInvalidRate, maxRateFractionDigits)
	}
	return nil
}

// formatRate writes a stored rate in canonical form ("0.9215").
func formatRate(r *big.Rat) string {
	return money.FormatDecimal(r, maxRateFractionDigits)
}

// crossRate returns how many units of to one unit of from buys: both
// rates are against the base currency, so it is to.Rate / from.Rate.
func crossRate(from, to currency) *big.Rat {
	return new(big.Rat).Quo(to.Rate, from.Rate)
}

// olderRateTime returns the earlier of the two currencies' rate times.
func olderRateTime(a, b currency) time.Time {
	if b.RateSetTime.Before(a.RateSetTime) {
		return b.RateSetTime
	}
	return a.RateSetTime
}
