package payment

import (
	"errors"
	"fmt"
	"strings"
	"time"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/card"
)

// The documented test cards of the simulated processor; any other
// well-formed number succeeds.
const (
	cardSucceeds          = "4242424242424242"
	cardDeclined          = "4000000000000002"
	cardInsufficientFunds = "4000000000009995"
	cardTransient         = "4000000000000119"
)

// transientFailures is how many attempts per order the transient test
// card fails before it succeeds.
const transientFailures = 2

// outcome is what the simulated issuer answers for a card.
type outcome int

// The issuer's answers.
const (
	outcomeApproved outcome = iota
	outcomeDeclined
	outcomeInsufficientFunds
	// outcomeTransient fails the first transientFailures attempts of an
	// order, then approves.
	outcomeTransient
)

// cardInfo is what the service keeps of a checked card: never the number.
type cardInfo struct {
	LastFour string
	Brand    string
	Outcome  outcome
}

// checkCard checks a card as typed (12 to 19 digits passing the Luhn check,
// spaces and '-' ignored; month 1 to 12; a four-digit year; not expired at
// now; a 3 or 4 digit CVV) and returns what is kept of it. Errors never
// repeat the number.
func checkCard(c *typesv1.Card, now time.Time) (cardInfo, error) {
	if c == nil {
		return cardInfo{}, errors.New("card: required")
	}
	number := strings.NewReplacer(" ", "", "-", "").Replace(c.GetNumber())
	if len(number) < 12 || len(number) > 19 || !card.Digits(number) {
		return cardInfo{}, errors.New("card.number: want 12 to 19 digits")
	}
	if !card.Luhn(number) {
		return cardInfo{}, errors.New("card.number: not a valid card number (check digit)")
	}
	month, year := c.GetExpMonth(), c.GetExpYear()
	if month < 1 || month > 12 {
		return cardInfo{}, fmt.Errorf("card.exp_month: %d, want 1 to 12", month)
	}
	if year < 1000 || year > 9999 {
		return cardInfo{}, fmt.Errorf("card.exp_year: %d, want four digits", year)
	}
	// A card is good through the last day of its expiry month (UTC).
	if card.Expired(int(year), int(month), now.UTC()) {
		return cardInfo{}, fmt.Errorf("card: expired %02d/%d", month, year)
	}
	if cvv := c.GetCvv(); len(cvv) < 3 || len(cvv) > 4 || !card.Digits(cvv) {
		return cardInfo{}, errors.New("card.cvv: want 3 or 4 digits")
	}
	return cardInfo{LastFour: number[len(number)-4:], Brand: brand(number), Outcome: issuer(number)}, nil
}

// issuer is the simulated issuer's answer for a number.
func issuer(number string) outcome {
	switch number {
	case cardDeclined:
		return outcomeDeclined
	case cardInsufficientFunds:
		return outcomeInsufficientFunds
	case cardTransient:
		return outcomeTransient
	}
	return outcomeApproved
}

// brand names a card's network from its leading digits.
func brand(number string) string {
	prefix := func(n int) int {
		v := 0
		for i := 0; i < n && i < len(number); i++ {
			v = v*10 + int(number[i]-'0')
		}
		return v
	}
	switch p2, p4 := prefix(2), prefix(4); {
	case number[0] == '4':
		return "visa"
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return "mastercard"
	case p2 == 34, p2 == 37:
		return "amex"
	case p4 == 6011, p2 == 65, prefix(3) >= 644 && prefix(3) <= 649:
		return "discover"
	case p4 >= 3528 && p4 <= 3589:
		return "jcb"
	case p2 == 36, p2 == 38, prefix(3) >= 300 && prefix(3) <= 305:
		return "diners"
	}
	return "unknown"
}
