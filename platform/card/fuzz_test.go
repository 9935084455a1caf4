package card

import (
	"testing"
	"time"
)

// luhnReference is the Luhn check written the other way round (from the
// left, with the parity of the length), to compare Luhn against.
func luhnReference(number string) bool {
	sum := 0
	for i := 0; i < len(number); i++ {
		d := int(number[i] - '0')
		if (len(number)-i)%2 == 0 {
			d = d * 2
			d = d/10 + d%10
		}
		sum += d
	}
	return sum%10 == 0
}

// FuzzCardNumber checks the card-number checks on any string: they never
// panic, Digits accepts exactly non-empty ASCII digit strings, Luhn agrees
// with a second implementation, and exactly one check digit completes any
// digit string.
func FuzzCardNumber(f *testing.F) {
	for _, s := range []string{"4242424242424242", "4242424242424241", "", "0", "79927398713", "4242 4242", "٤٢٤٢", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		digits := s != ""
		for _, r := range s {
			digits = digits && r >= '0' && r <= '9'
		}
		if Digits(s) != digits {
			t.Fatalf("Digits(%q) = %v, want %v", s, Digits(s), digits)
		}
		if !digits {
			return
		}
		if Luhn(s) != luhnReference(s) {
			t.Fatalf("Luhn(%q) = %v, reference says %v", s, Luhn(s), luhnReference(s))
		}
		valid := 0
		for d := byte('0'); d <= '9'; d++ {
			if Luhn(s + string(d)) {
				valid++
			}
		}
		if valid != 1 {
			t.Fatalf("%q completes with %d check digits, want exactly 1", s, valid)
		}
	})
}

// FuzzExpired: a card is expired exactly when its last month is before
// now's month, and a later expiry is never expired when an earlier one
// is not.
func FuzzExpired(f *testing.F) {
	f.Add(2031, 12, int64(1772366400))
	f.Add(2026, 3, int64(1772366400))
	f.Add(2026, 2, int64(1772366400))
	f.Add(-1, 0, int64(0))
	f.Add(1<<40, 13, int64(-1))
	f.Fuzz(func(t *testing.T, year, month int, unix int64) {
		if year < -1<<40 || year > 1<<40 {
			return // far outside any card; the arithmetic is in int
		}
		now := time.Unix(unix, 0).UTC()
		got := Expired(year, month, now)
		before := year < now.Year() || (year == now.Year() && month < int(now.Month()))
		if month >= 1 && month <= 12 && got != before {
			t.Fatalf("Expired(%d, %d, %s) = %v, want %v", year, month, now, got, before)
		}
		if got && Expired(year, month-1, now) == false {
			t.Fatalf("Expired(%d, %d) but not the month before", year, month)
		}
	})
}
