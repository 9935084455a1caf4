package money

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// cases is how many random cases each property test checks.
const cases = 20000

// newRand returns a generator with a fixed seed, so a failure repeats.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	return rand.New(rand.NewPCG(20260101, uint64(len(t.Name()))))
}

// randMoney returns a valid amount in code whose units are below bound
// in magnitude (bound > 0).
func randMoney(rng *rand.Rand, code string, bound int64) *typesv1.Money {
	units := rng.Int64N(bound)
	nanos := int32(rng.IntN(NanosPerUnit))
	switch rng.IntN(4) {
	case 0:
		nanos = 0
	case 1:
		nanos -= nanos % 10_000_000 // whole cents
	}
	if rng.IntN(2) == 0 {
		units, nanos = -units, -nanos
	}
	return mon(code, units, nanos)
}

// randBound picks a magnitude class: cents, everyday prices, or near the
// int64 limit.
func randBound(rng *rand.Rand) int64 {
	switch rng.IntN(3) {
	case 0:
		return 1
	case 1:
		return 1_000_000
	default:
		return math.MaxInt64
	}
}

// neg returns -m.
func neg(m *typesv1.Money) *typesv1.Money {
	return mon(m.GetCurrencyCode(), -m.GetUnits(), -m.GetNanos())
}

// fits reports whether r is within the range a Money can hold.
func fits(r *big.Rat) bool {
	lo := rawRat(mon("XXX", math.MinInt64, -999_999_999))
	hi := rawRat(mon("XXX", math.MaxInt64, 999_999_999))
	return r.Cmp(lo) >= 0 && r.Cmp(hi) <= 0
}

func TestPropertyRoundTrip(t *testing.T) {
	rng := newRand(t)
	for range cases {
		m := randMoney(rng, "EUR", randBound(rng))
		r, err := ToRat(m)
		if err != nil {
			t.Fatalf("ToRat(%v): %v", m, err)
		}
		back, err := FromRat("EUR", r)
		if err != nil || !sameMoney(back, m) {
			t.Fatalf("FromRat(ToRat(%v)) = %v, %v", m, back, err)
		}
		if err := Validate(back); err != nil {
			t.Fatalf("FromRat gave an invalid amount %v: %v", back, err)
		}
	}
}

func TestPropertyAdd(t *testing.T) {
	rng := newRand(t)
	for range cases {
		bound := randBound(rng)
		a, b, c := randMoney(rng, "USD", bound), randMoney(rng, "USD", bound), randMoney(rng, "USD", bound)
		want := new(big.Rat).Add(rawRat(a), rawRat(b))
		ab, err := Add(a, b)
		if !fits(want) {
			if err == nil {
				t.Fatalf("Add(%v, %v) = %v, want an overflow error", a, b, ab)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Add(%v, %v): %v", a, b, err)
		}
		if rawRat(ab).Cmp(want) != 0 || Validate(ab) != nil {
			t.Fatalf("Add(%v, %v) = %v, want %s", a, b, ab, want.FloatString(9))
		}
		ba, err := Add(b, a)
		if err != nil || !sameMoney(ab, ba) {
			t.Fatalf("Add is not commutative: %v + %v = %v, reversed %v (%v)", a, b, ab, ba, err)
		}
		diff, err := Sub(ab, b)
		if err != nil || !sameMoney(diff, a) {
			t.Fatalf("Sub(Add(a, b), b) = %v (%v), want %v", diff, err, a)
		}
		// Associativity, whenever every partial sum fits.
		left, errL := Add(ab, c)
		bc, errBC := Add(b, c)
		if errL != nil || errBC != nil {
			continue
		}
		right, err := Add(a, bc)
		if err != nil || !sameMoney(left, right) {
			t.Fatalf("Add is not associative: (%v+%v)+%v = %v, %v+(%v+%v) = %v (%v)", a, b, c, left, a, b, c, right, err)
		}
	}
}

func TestPropertyCmp(t *testing.T) {
	rng := newRand(t)
	for range cases {
		bound := randBound(rng)
		a, b := randMoney(rng, "GBP", bound), randMoney(rng, "GBP", bound)
		if rng.IntN(10) == 0 {
			b = mon("GBP", a.GetUnits(), a.GetNanos())
		}
		got, err := Cmp(a, b)
		if want := rawRat(a).Cmp(rawRat(b)); err != nil || got != want {
			t.Fatalf("Cmp(%v, %v) = %d, %v; want %d", a, b, got, err, want)
		}
	}
}

func TestPropertyMul(t *testing.T) {
	rng := newRand(t)
	for range cases / 10 {
		m := randMoney(rng, "CHF", 1_000_000)
		n := rng.Int64N(40)
		got, err := Mul(m, n)
		if err != nil {
			t.Fatalf("Mul(%v, %d): %v", m, n, err)
		}
		sum := mon("CHF", 0, 0)
		for range n {
			if sum, err = Add(sum, m); err != nil {
				t.Fatalf("Add: %v", err)
			}
		}
		if !sameMoney(got, sum) {
			t.Fatalf("Mul(%v, %d) = %v, want %d additions = %v", m, n, got, n, sum)
		}
		negative, err := Mul(m, -n)
		if err != nil || !sameMoney(negative, neg(got)) {
			t.Fatalf("Mul(%v, %d) = %v (%v), want %v", m, -n, negative, err, neg(got))
		}
	}
}

// refRoundHalfEven rounds num/den (den > 0) to a multiple of 10^-digits
// with int64 arithmetic, independently of RoundHalfEven: it returns the
// numerator over 10^digits.
func refRoundHalfEven(num, den int64, digits int) int64 {
	scale := int64(math.Pow10(digits))
	x := num * scale // callers keep this in range
	q := x / den
	if x%den != 0 && x < 0 {
		q-- // floor, not truncation
	}
	twice := 2 * (x - q*den) // 2 * remainder, in [0, 2*den)
	switch {
	case twice > den, twice == den && q%2 != 0:
		return q + 1
	}
	return q
}

func TestPropertyRoundHalfEven(t *testing.T) {
	rng := newRand(t)
	ties := 0
	for range cases {
		digits := rng.IntN(5)
		den := rng.Int64N(2000) + 1
		if rng.IntN(3) == 0 {
			den = 2 * int64(math.Pow10(rng.IntN(6))) // many exact ties
		}
		num := rng.Int64N(2_000_000_000) - 1_000_000_000
		r := big.NewRat(num, den)
		got := RoundHalfEven(r, digits)

		unit := new(big.Rat).SetFrac(big.NewInt(1), pow10(digits))
		want := new(big.Rat).Mul(new(big.Rat).SetInt64(refRoundHalfEven(num, den, digits)), unit)
		if got.Cmp(want) != 0 {
			t.Fatalf("RoundHalfEven(%d/%d, %d) = %s, reference %s", num, den, digits, got.RatString(), want.RatString())
		}
		// A multiple of the unit, within half a unit, idempotent.
		if !new(big.Rat).Quo(got, unit).IsInt() {
			t.Fatalf("RoundHalfEven(%s, %d) = %s is not a multiple of 10^-%d", r.RatString(), digits, got.RatString(), digits)
		}
		dist := new(big.Rat).Sub(got, r)
		dist.Abs(dist)
		half := new(big.Rat).Quo(unit, big.NewRat(2, 1))
		if dist.Cmp(half) > 0 {
			t.Fatalf("RoundHalfEven(%s, %d) = %s is more than half a unit away", r.RatString(), digits, got.RatString())
		}
		if again := RoundHalfEven(got, digits); again.Cmp(got) != 0 {
			t.Fatalf("RoundHalfEven is not idempotent: %s then %s", got.RatString(), again.RatString())
		}
		if dist.Cmp(half) == 0 {
			ties++
			if q := new(big.Rat).Quo(got, unit); q.Num().Bit(0) != 0 {
				t.Fatalf("tie %s at %d digits went to odd %s", r.RatString(), digits, got.RatString())
			}
		}
		// Symmetric: rounding -r gives -round(r).
		if n := RoundHalfEven(new(big.Rat).Neg(r), digits); n.Cmp(new(big.Rat).Neg(got)) != 0 {
			t.Fatalf("RoundHalfEven(-%s) = %s, want %s", r.RatString(), n.RatString(), new(big.Rat).Neg(got).RatString())
		}
	}
	if ties < cases/100 {
		t.Fatalf("only %d ties generated; the tie property was barely tested", ties)
	}
}

// onGrid returns m rounded to digits, so it is a whole number of minor
// units.
func onGrid(t *testing.T, m *typesv1.Money, digits int) *typesv1.Money {
	t.Helper()
	out, err := FromRat(m.GetCurrencyCode(), RoundHalfEven(rawRat(m), digits))
	if err != nil {
		t.Fatalf("onGrid(%v): %v", m, err)
	}
	return out
}

func TestPropertyConvertIdentity(t *testing.T) {
	rng := newRand(t)
	one := big.NewRat(1, 1)
	for range cases {
		digits := rng.IntN(MaxDigits + 1)
		m := onGrid(t, randMoney(rng, "SEK", 1_000_000_000_000), digits)
		got, err := Convert(m, one, "SEK", digits)
		if err != nil || !sameMoney(got, m) {
			t.Fatalf("Convert(%v, 1, SEK, %d) = %v, %v; want it unchanged", m, digits, got, err)
		}
		// Off the grid, rate 1 is exactly rounding to the minor unit.
		raw := randMoney(rng, "SEK", 1_000_000)
		got, err = Convert(raw, one, "SEK", digits)
		if err != nil || rawRat(got).Cmp(RoundHalfEven(rawRat(raw), digits)) != 0 {
			t.Fatalf("Convert(%v, 1, SEK, %d) = %v, %v; want it rounded", raw, digits, got, err)
		}
	}
}

// randRate returns a rate between 0.001 and 1000 with up to 6 decimals.
func randRate(rng *rand.Rand) *big.Rat {
	return big.NewRat(rng.Int64N(1_000_000_000-1000)+1000, 1_000_000)
}

func TestPropertyConvertRoundTrip(t *testing.T) {
	rng := newRand(t)
	checked := 0
	for range cases {
		fromDigits, toDigits := []int{0, 2, 3}[rng.IntN(3)], []int{0, 2, 3}[rng.IntN(3)]
		rate := randRate(rng)
		// Sane: a target minor unit is worth no more than a source one,
		// 10^-toDigits / rate <= 10^-fromDigits.
		targetUnitInSource := new(big.Rat).Quo(new(big.Rat).SetFrac(big.NewInt(1), pow10(toDigits)), rate)
		sourceUnit := new(big.Rat).SetFrac(big.NewInt(1), pow10(fromDigits))
		if targetUnitInSource.Cmp(sourceUnit) > 0 {
			continue
		}
		checked++
		m := onGrid(t, randMoney(rng, "USD", 10_000_000), fromDigits)
		there, err := Convert(m, rate, "EUR", toDigits)
		if err != nil {
			t.Fatalf("Convert(%v, %s): %v", m, rate.RatString(), err)
		}
		back, err := Convert(there, new(big.Rat).Inv(rate), "USD", fromDigits)
		if err != nil {
			t.Fatalf("Convert back(%v): %v", there, err)
		}
		diff := new(big.Rat).Sub(rawRat(back), rawRat(m))
		if diff.Abs(diff).Cmp(sourceUnit) > 0 {
			t.Fatalf("%v -> %v at %s -> %v: off by %s, more than one minor unit", m, there, rate.RatString(), back, diff.FloatString(9))
		}
		// Sign: converting -m gives exactly -(converting m).
		negThere, err := Convert(neg(m), rate, "EUR", toDigits)
		if err != nil || !sameMoney(negThere, neg(there)) {
			t.Fatalf("Convert(%v) = %v (%v), want %v", neg(m), negThere, err, neg(there))
		}
	}
	if checked < cases/4 {
		t.Fatalf("only %d sane rates generated", checked)
	}
}

func TestPropertySigns(t *testing.T) {
	rng := newRand(t)
	for range cases {
		m := randMoney(rng, "CAD", randBound(rng))
		if m.GetUnits() == 0 && m.GetNanos() == 0 {
			continue
		}
		r, _ := ToRat(m)
		n, err := FromRat("CAD", new(big.Rat).Neg(r))
		if err != nil || !sameMoney(n, neg(m)) {
			t.Fatalf("FromRat(-%v) = %v, %v", m, n, err)
		}
		if (n.GetUnits() > 0 && n.GetNanos() < 0) || (n.GetUnits() < 0 && n.GetNanos() > 0) {
			t.Fatalf("FromRat gave mixed signs: %v", n)
		}
		if mixed := mon("CAD", m.GetUnits(), -m.GetNanos()); m.GetUnits() != 0 && m.GetNanos() != 0 && Validate(mixed) == nil {
			t.Fatalf("Validate accepted mixed signs %v", mixed)
		}
		below, above := Format(neg(m), "$", 2), Format(m, "$", 2)
		if r.Sign() < 0 {
			below, above = above, below
		}
		// below formats the negative of the pair, above the positive one.
		if below != "$0.00" && below != "-"+above {
			t.Fatalf("Format of %v and its negation: %q and %q", m, below, above)
		}
		if strings.HasPrefix(above, "-") {
			t.Fatalf("Format of a positive amount %q has a sign", above)
		}
	}
}
