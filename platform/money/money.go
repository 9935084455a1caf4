// Package money does exact arithmetic on bazaar.types.v1.Money amounts and
// on exact decimal ratios (currency rates), and formats amounts for people.
//
// No floating point is used anywhere: an amount is units + nanos/1e9 and
// every computation goes through math/big rationals, so results are exact
// until a function rounds on purpose (half-to-even, "banker's rounding").
package money

import (
	"errors"
	"fmt"
	"math/big"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// Errors wrapped by this package's functions; test for them with errors.Is.
var (
	// ErrInvalidMoney marks a malformed Money: nil, a bad currency code,
	// nanos out of range, or units and nanos of different signs.
	ErrInvalidMoney = errors.New("invalid money")
	// ErrInvalidCurrencyCode marks a currency code that is not three
	// upper-case ASCII letters.
	ErrInvalidCurrencyCode = errors.New("invalid currency code")
	// ErrCurrencyMismatch marks an operation on amounts in different
	// currencies.
	ErrCurrencyMismatch = errors.New("currency mismatch")
	// ErrOverflow marks a result whose units do not fit in an int64.
	ErrOverflow = errors.New("amount out of range")
	// ErrInexact marks a value that is not a whole number of nanos.
	ErrInexact = errors.New("amount not exact to the nano")
	// ErrInvalidDecimal marks a string that is not a plain decimal number.
	ErrInvalidDecimal = errors.New("invalid decimal")
	// ErrInvalidRate marks a conversion rate that is nil, zero or negative.
	ErrInvalidRate = errors.New("invalid rate")
	// ErrInvalidDigits marks a minor-unit digit count outside [0, 9].
	ErrInvalidDigits = errors.New("invalid minor unit digits")
)

// NanosPerUnit is the number of nanos in one unit.
const NanosPerUnit = 1_000_000_000

// MaxDigits is the finest minor unit a Money can hold: nanos, 10^-9.
const MaxDigits = 9

// ValidateCode reports whether code is an ISO 4217-shaped currency code:
// exactly three upper-case ASCII letters. It does not check that the
// currency exists.
func ValidateCode(code string) error {
	if len(code) != 3 {
		return fmt.Errorf("%w %q: want three upper-case letters", ErrInvalidCurrencyCode, code)
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; c < 'A' || c > 'Z' {
			return fmt.Errorf("%w %q: want three upper-case letters", ErrInvalidCurrencyCode, code)
		}
	}
	return nil
}

// Validate reports whether m is a well-formed amount: not nil, a valid
// currency code, nanos in [-999999999, 999999999], and units and nanos
// not of opposite signs.
func Validate(m *typesv1.Money) error {
	if m == nil {
		return fmt.Errorf("%w: missing", ErrInvalidMoney)
	}
	if err := ValidateCode(m.GetCurrencyCode()); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMoney, err)
	}
	units, nanos := m.GetUnits(), m.GetNanos()
	if nanos <= -NanosPerUnit || nanos >= NanosPerUnit {
		return fmt.Errorf("%w: nanos %d out of range [-999999999, 999999999]", ErrInvalidMoney, nanos)
	}
	if (units > 0 && nanos < 0) || (units < 0 && nanos > 0) {
		return fmt.Errorf("%w: units %d and nanos %d have different signs", ErrInvalidMoney, units, nanos)
	}
	return nil
}

// ToRat returns m's exact value, units + nanos/1e9, after validating m.
func ToRat(m *typesv1.Money) (*big.Rat, error) {
	if err := Validate(m); err != nil {
		return nil, err
	}
	return rawRat(m), nil
}

// rawRat is m's value without validation.
func rawRat(m *typesv1.Money) *big.Rat {
	n := new(big.Int).Mul(big.NewInt(m.GetUnits()), big.NewInt(NanosPerUnit))
	n.Add(n, big.NewInt(int64(m.GetNanos())))
	return new(big.Rat).SetFrac(n, big.NewInt(NanosPerUnit))
}

// FromRat returns r as a Money in currency code. r must be a whole
// number of nanos (ErrInexact otherwise; round it first) and its units
// must fit in an int64 (ErrOverflow otherwise).
func FromRat(code string, r *big.Rat) (*typesv1.Money, error) {
	if err := ValidateCode(code); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("%w: missing value", ErrInexact)
	}
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt64(NanosPerUnit))
	if !scaled.IsInt() {
		return nil, fmt.Errorf("%s %s: %w", code, r.RatString(), ErrInexact)
	}
	units, nanos := new(big.Int).QuoRem(scaled.Num(), big.NewInt(NanosPerUnit), new(big.Int))
	if !units.IsInt64() {
		return nil, fmt.Errorf("%s %s: %w", code, r.RatString(), ErrOverflow)
	}
	return &typesv1.Money{CurrencyCode: code, Units: units.Int64(), Nanos: int32(nanos.Int64())}, nil
}

// Zero returns a zero amount in currency code.
func Zero(code string) (*typesv1.Money, error) {
	if err := ValidateCode(code); err != nil {
		return nil, err
	}
	return &typesv1.Money{CurrencyCode: code}, nil
}
