package money

import (
	"math/big"
	"testing"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// FuzzArithmetic checks Add, Sub, Mul, Cmp and Convert on any amounts
// (valid or not, as a caller's message may carry): they never panic, an
// invalid amount is always refused, results are valid amounts, and the
// results agree with exact rational arithmetic.
func FuzzArithmetic(f *testing.F) {
	f.Add(int64(12), int32(500_000_000), int64(-3), int32(-250_000_000), int64(7), "0.9215", uint8(2))
	f.Add(int64(1<<62), int32(0), int64(1<<62), int32(0), int64(4), "151.2", uint8(0))
	f.Add(int64(-1<<63), int32(-999_999_999), int64(1), int32(1), int64(-1), "1", uint8(9))
	f.Add(int64(1), int32(-1), int64(0), int32(1_000_000_000), int64(0), "0", uint8(10))
	f.Fuzz(func(t *testing.T, au int64, an int32, bu int64, bn int32, n int64, rate string, digits uint8) {
		a := &typesv1.Money{CurrencyCode: "USD", Units: au, Nanos: an}
		b := &typesv1.Money{CurrencyCode: "USD", Units: bu, Nanos: bn}
		aValid, bValid := Validate(a) == nil, Validate(b) == nil
		exact := func(m *typesv1.Money) *big.Rat { return rawRat(m) }
		check := func(op string, got *typesv1.Money, err error, want *big.Rat, inputsValid bool) {
			t.Helper()
			if !inputsValid {
				if err == nil {
					t.Fatalf("%s accepted an invalid amount: %v %v", op, a, b)
				}
				return
			}
			if err != nil {
				if fits(want) {
					t.Fatalf("%s(%v, %v) failed though the result fits: %v", op, a, b, err)
				}
				return
			}
			if verr := Validate(got); verr != nil {
				t.Fatalf("%s(%v, %v) = %v, not a valid amount: %v", op, a, b, got, verr)
			}
			if exact(got).Cmp(want) != 0 {
				t.Fatalf("%s(%v, %v) = %v, want %s", op, a, b, got, want.RatString())
			}
		}
		sum, err := Add(a, b)
		check("Add", sum, err, new(big.Rat).Add(exact(a), exact(b)), aValid && bValid)
		diff, err := Sub(a, b)
		check("Sub", diff, err, new(big.Rat).Sub(exact(a), exact(b)), aValid && bValid)
		prod, err := Mul(a, n)
		check("Mul", prod, err, new(big.Rat).Mul(exact(a), new(big.Rat).SetInt64(n)), aValid)
		if c, err := Cmp(a, b); aValid && bValid && (err != nil || c != exact(a).Cmp(exact(b))) {
			t.Fatalf("Cmp(%v, %v) = %d, %v", a, b, c, err)
		}
		r, err := ParseDecimal(rate)
		if err != nil {
			return
		}
		conv, err := Convert(a, r, "EUR", int(digits))
		if !aValid || r.Sign() <= 0 || digits > MaxDigits {
			if err == nil {
				t.Fatalf("Convert(%v, %s, %d) accepted bad input", a, rate, digits)
			}
			return
		}
		want := RoundHalfEven(new(big.Rat).Mul(exact(a), r), int(digits))
		if err != nil {
			if fits(want) {
				t.Fatalf("Convert(%v, %s, %d) failed though the result fits: %v", a, rate, digits, err)
			}
			return
		}
		if exact(conv).Cmp(want) != 0 || conv.GetCurrencyCode() != "EUR" {
			t.Fatalf("Convert(%v, %s, %d) = %v, want EUR %s", a, rate, digits, conv, want.RatString())
		}
	})
}
