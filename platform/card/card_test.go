package card

import (
	"testing"
	"time"
)

func TestDigits(t *testing.T) {
	for s, want := range map[string]bool{"": false, "0123456789": true, "12a": false, "１２": false, " 1": false} {
		if got := Digits(s); got != want {
			t.Errorf("Digits(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestLuhn(t *testing.T) {
	for n, want := range map[string]bool{
		"4242424242424242": true, "4000000000000002": true, "4000000000009995": true, "4000000000000119": true,
		"4242424242424241": false, "1234567812345678": false, "79927398713": true, "79927398710": false,
		"4242424242424243": false, "0": true, "1": false,
	} {
		if got := Luhn(n); got != want {
			t.Errorf("Luhn(%s) = %v, want %v", n, got, want)
		}
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, time.November, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		year, month int
		want        bool
	}{
		{2026, 11, false}, // good through the end of this month
		{2026, 10, true},
		{2025, 12, true},
		{2026, 12, false},
		{2027, 1, false},
	}
	for _, tt := range tests {
		if got := Expired(tt.year, tt.month, now); got != tt.want {
			t.Errorf("Expired(%d/%d) = %v, want %v", tt.month, tt.year, got, tt.want)
		}
	}
	june := time.Date(2030, 6, 15, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		year, month int
		want        bool
	}{{2030, 6, false}, {2030, 5, true}, {2029, 12, true}, {2031, 1, false}} {
		if got := Expired(tt.year, tt.month, june); got != tt.want {
			t.Errorf("Expired(%d/%d) in June 2030 = %v, want %v", tt.month, tt.year, got, tt.want)
		}
	}
	if Expired(2026, 11, time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)) != true {
		t.Error("a card is not expired on the first day after its month")
	}
}
