package money

import (
	"fmt"
	"math/big"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// sameCurrency validates a and b and checks they share a currency.
func sameCurrency(a, b *typesv1.Money) error {
	if err := Validate(a); err != nil {
		return err
	}
	if err := Validate(b); err != nil {
		return err
	}
	if a.GetCurrencyCode() != b.GetCurrencyCode() {
		return fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, a.GetCurrencyCode(), b.GetCurrencyCode())
	}
	return nil
}

// Add returns a + b. Both must be valid and in the same currency.
func Add(a, b *typesv1.Money) (*typesv1.Money, error) {
	if err := sameCurrency(a, b); err != nil {
		return nil, fmt.Errorf("add: %w", err)
	}
	sum := new(big.Rat).Add(rawRat(a), rawRat(b))
	m, err := FromRat(a.GetCurrencyCode(), sum)
	if err != nil {
		return nil, fmt.Errorf("add: %w", err)
	}
	return m, nil
}

// Sub returns a - b. Both must be valid and in the same currency.
func Sub(a, b *typesv1.Money) (*typesv1.Money, error) {
	if err := sameCurrency(a, b); err != nil {
		return nil, fmt.Errorf("subtract: %w", err)
	}
	diff := new(big.Rat).Sub(rawRat(a), rawRat(b))
	m, err := FromRat(a.GetCurrencyCode(), diff)
	if err != nil {
		return nil, fmt.Errorf("subtract: %w", err)
	}
	return m, nil
}

// Mul returns m * n, for a quantity n.
func Mul(m *typesv1.Money, n int64) (*typesv1.Money, error) {
	r, err := ToRat(m)
	if err != nil {
		return nil, fmt.Errorf("multiply: %w", err)
	}
	r.Mul(r, new(big.Rat).SetInt64(n))
	out, err := FromRat(m.GetCurrencyCode(), r)
	if err != nil {
		return nil, fmt.Errorf("multiply by %d: %w", n, err)
	}
	return out, nil
}

// Cmp compares a and b, which must be valid and in the same currency:
// -1 if a < b, 0 if a == b, +1 if a > b.
func Cmp(a, b *typesv1.Money) (int, error) {
	if err := sameCurrency(a, b); err != nil {
		return 0, fmt.Errorf("compare: %w", err)
	}
	return rawRat(a).Cmp(rawRat(b)), nil
}

// Convert returns m * rate in currency to, rounded half-to-even once, at
// the end, to the target's minor unit of minorDigits decimal places
// (0 to 9: 2 for EUR, 0 for JPY). rate is target units per unit of m's
// currency and must be > 0.
func Convert(m *typesv1.Money, rate *big.Rat, to string, minorDigits int) (*typesv1.Money, error) {
	r, err := ToRat(m)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	if rate == nil || rate.Sign() <= 0 {
		return nil, fmt.Errorf("convert: %w: must be greater than zero", ErrInvalidRate)
	}
	if minorDigits < 0 || minorDigits > MaxDigits {
		return nil, fmt.Errorf("convert to %s: %w: %d not in [0, %d]", to, ErrInvalidDigits, minorDigits, MaxDigits)
	}
	r.Mul(r, rate)
	out, err := FromRat(to, RoundHalfEven(r, minorDigits))
	if err != nil {
		return nil, fmt.Errorf("convert %s to %s: %w", m.GetCurrencyCode(), to, err)
	}
	return out, nil
}
