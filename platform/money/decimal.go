package money

import (
	"fmt"
	"math/big"
	"strings"
)

// MaxDecimalLen is the longest string ParseDecimal accepts.
const MaxDecimalLen = 100

// ParseDecimal parses a plain decimal number: an optional '-', one or
// more ASCII digits, then optionally '.' and one or more digits. There is
// no '+', exponent, grouping or surrounding space, and at most
// MaxDecimalLen characters. The result is exact.
func ParseDecimal(s string) (*big.Rat, error) {
	if len(s) > MaxDecimalLen {
		return nil, fmt.Errorf("%w: %d characters, at most %d allowed", ErrInvalidDecimal, len(s), MaxDecimalLen)
	}
	body, negative := strings.CutPrefix(s, "-")
	whole, frac, hasPoint := strings.Cut(body, ".")
	if !allDigits(whole) || (hasPoint && !allDigits(frac)) {
		return nil, fmt.Errorf("%w %q: want digits with an optional '-' and '.digits'", ErrInvalidDecimal, s)
	}
	num, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrInvalidDecimal, s)
	}
	if negative {
		num.Neg(num)
	}
	return new(big.Rat).SetFrac(num, pow10(len(frac))), nil
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// pow10 returns 10^n for n >= 0.
func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// RoundHalfEven returns r rounded to a multiple of 10^-digits, ties going
// to the even neighbour (banker's rounding): 0.125 -> 0.12, 0.135 -> 0.14
// at digits 2. A negative digits rounds to tens, hundreds, ... r is not
// modified.
func RoundHalfEven(r *big.Rat, digits int) *big.Rat {
	scale := new(big.Rat).SetInt(pow10(abs(digits)))
	if digits < 0 {
		scale.Inv(scale)
	}
	x := new(big.Rat).Mul(r, scale)
	// floor(x) and the remainder in [0, den): a Rat's denominator is > 0.
	q, rem := new(big.Int).DivMod(x.Num(), x.Denom(), new(big.Int))
	switch new(big.Int).Lsh(rem, 1).Cmp(x.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	out := new(big.Rat).SetInt(q)
	return out.Quo(out, scale)
}

// abs returns |n|.
func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// FormatDecimal writes r rounded half-to-even to at most maxDigits
// decimal places, in the shortest plain form ParseDecimal reads: no
// trailing zeros after the point, no point for a whole number, no "-0".
// For example 0.92150 gives "0.9215", 151 gives "151" and 2/3 at 4 digits
// gives "0.6667". A negative maxDigits counts as 0.
func FormatDecimal(r *big.Rat, maxDigits int) string {
	maxDigits = max(maxDigits, 0)
	s := fixed(RoundHalfEven(r, maxDigits), maxDigits)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// fixed writes r, which must be a multiple of 10^-digits (digits >= 0),
// with exactly digits decimal places. The sign is kept only when r != 0.
func fixed(r *big.Rat, digits int) string {
	n := new(big.Int).Mul(r.Num(), pow10(digits))
	n.Quo(n, r.Denom())
	sign := ""
	if n.Sign() < 0 {
		sign = "-"
		n.Neg(n)
	}
	s := n.String()
	if digits == 0 {
		return sign + s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}
