// Package card holds the checks of a payment card's details that several
// services make: the storefront (to point at the bad field), orders (to
// refuse a checkout before it is accepted) and payment (as the processor).
// Each service keeps its own rules and messages; the arithmetic is here,
// once.
package card

import "time"

// Digits reports whether s is non-empty and all ASCII digits.
func Digits(s string) bool {
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

// Luhn reports whether the digit string number passes the Luhn check.
func Luhn(number string) bool {
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// Expired reports whether a card valid through month (1 to 12) of year
// has expired at now, in now's calendar: it is good to the end of that
// month.
func Expired(year, month int, now time.Time) bool {
	return year*12+month < now.Year()*12+int(now.Month())
}
