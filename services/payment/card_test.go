package payment

import (
	"strings"
	"testing"
	"time"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// cardNow is the time card tests check expiry at: 25 Nov 2026.
var cardNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// goodCard is a well-formed card with number.
func goodCard(number string) *typesv1.Card {
	return &typesv1.Card{Number: number, ExpMonth: 12, ExpYear: 2030, Cvv: "123"}
}

func TestCheckCardRejectsMalformed(t *testing.T) {
	with := func(f func(*typesv1.Card)) *typesv1.Card {
		c := goodCard(cardSucceeds)
		f(c)
		return c
	}
	tests := []struct {
		name    string
		card    *typesv1.Card
		wantErr string
	}{
		{"no card", nil, "card: required"},
		{"empty number", with(func(c *typesv1.Card) { c.Number = "" }), "card.number"},
		{"11 digits", with(func(c *typesv1.Card) { c.Number = "42424242424" }), "card.number"},
		{"20 digits", with(func(c *typesv1.Card) { c.Number = "42424242424242424242" }), "card.number"},
		{"letters", with(func(c *typesv1.Card) { c.Number = "4242 4242 4242 424X" }), "card.number"},
		{"dots", with(func(c *typesv1.Card) { c.Number = "4242.4242.4242.4242" }), "card.number"},
		{"bad check digit", with(func(c *typesv1.Card) { c.Number = "4242424242424241" }), "check digit"},
		{"month 0", with(func(c *typesv1.Card) { c.ExpMonth = 0 }), "card.exp_month"},
		{"month 13", with(func(c *typesv1.Card) { c.ExpMonth = 13 }), "card.exp_month"},
		{"two-digit year", with(func(c *typesv1.Card) { c.ExpYear = 30 }), "card.exp_year"},
		{"expired last month", with(func(c *typesv1.Card) { c.ExpMonth, c.ExpYear = 10, 2026 }), "expired"},
		{"expired last year", with(func(c *typesv1.Card) { c.ExpMonth, c.ExpYear = 12, 2025 }), "expired"},
		{"no cvv", with(func(c *typesv1.Card) { c.Cvv = "" }), "card.cvv"},
		{"cvv 2 digits", with(func(c *typesv1.Card) { c.Cvv = "12" }), "card.cvv"},
		{"cvv 5 digits", with(func(c *typesv1.Card) { c.Cvv = "12345" }), "card.cvv"},
		{"cvv letters", with(func(c *typesv1.Card) { c.Cvv = "12a" }), "card.cvv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkCard(tt.card, cardNow)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("checkCard = %v, want an error about %q", err, tt.wantErr)
			}
			if n := tt.card.GetNumber(); len(n) >= 8 && strings.Contains(err.Error(), n) {
				t.Errorf("error %q repeats the card number", err)
			}
		})
	}
}

func TestCheckCardOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		card     *typesv1.Card
		want     outcome
		lastFour string
		brand    string
	}{
		{"succeeds", goodCard("4242 4242 4242 4242"), outcomeApproved, "4242", "visa"},
		{"declined", goodCard("4000-0000-0000-0002"), outcomeDeclined, "0002", "visa"},
		{"insufficient funds", goodCard("4000000000009995"), outcomeInsufficientFunds, "9995", "visa"},
		{"transient", goodCard("4000 0000 0000 0119"), outcomeTransient, "0119", "visa"},
		{"other visa", goodCard("4111111111111111"), outcomeApproved, "1111", "visa"},
		{"mastercard", goodCard("5555555555554444"), outcomeApproved, "4444", "mastercard"},
		{"mastercard 2-series", goodCard("2223003122003222"), outcomeApproved, "3222", "mastercard"},
		{"amex, 15 digits, 4-digit cvv", &typesv1.Card{Number: "378282246310005", ExpMonth: 1, ExpYear: 2027, Cvv: "1234"}, outcomeApproved, "0005", "amex"},
		{"discover", goodCard("6011111111111117"), outcomeApproved, "1117", "discover"},
		{"jcb", goodCard("3530111333300000"), outcomeApproved, "0000", "jcb"},
		{"diners, 14 digits", goodCard("30569309025904"), outcomeApproved, "5904", "diners"},
		{"12 digits", goodCard("123456789015"), outcomeApproved, "9015", "unknown"},
		{"19 digits", goodCard("6011000990139424009"), outcomeApproved, "4009", "discover"},
		{"expires this month", &typesv1.Card{Number: cardSucceeds, ExpMonth: 11, ExpYear: 2026, Cvv: "000"}, outcomeApproved, "4242", "visa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkCard(tt.card, cardNow)
			if err != nil {
				t.Fatalf("checkCard: %v", err)
			}
			if got != (cardInfo{LastFour: tt.lastFour, Brand: tt.brand, Outcome: tt.want}) {
				t.Errorf("checkCard = %+v, want %s/%s/%v", got, tt.lastFour, tt.brand, tt.want)
			}
		})
	}
}
