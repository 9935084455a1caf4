package money

import (
	"strings"
	"unicode"
	"unicode/utf8"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// Format writes m for people: symbol, thousands separated by commas, and
// exactly digits decimal places (the currency's minor unit, clamped to
// [0, 9]), rounding half-to-even: "€1,234.50", "¥1,512", "-$3.00". When
// the symbol ends in a letter ("CHF", "kr") a space separates it from the
// number: "CHF 12.00". Format never fails: it does not validate m (call
// Validate on input from outside first) and treats nil as zero.
func Format(m *typesv1.Money, symbol string, digits int) string {
	digits = min(max(digits, 0), MaxDigits)
	s := fixed(RoundHalfEven(rawRat(m), digits), digits)
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	out := sign + symbol
	if r, _ := utf8.DecodeLastRuneInString(symbol); unicode.IsLetter(r) {
		out += " "
	}
	out += group(whole)
	if hasPoint {
		out += "." + frac
	}
	return out
}

// group puts a comma between every three digits of whole, from the right.
func group(whole string) string {
	var b strings.Builder
	for i := 0; i < len(whole); i++ {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	return b.String()
}
