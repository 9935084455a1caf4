package pricing

import "time"

// seedRateTime is when the seed rates were quoted: mid-market rates
// against the US dollar at the close of 3 April 2024.
func seedRateTime() time.Time {
	return time.Date(2024, time.April, 3, 21, 0, 0, 0, time.UTC)
}

// seedCurrency is one row written when the database is first created.
type seedCurrency struct {
	code, name, symbol string
	minorUnitDigits    int
	rate               string
}

// seedBase is the base currency catalog prices are kept in.
const seedBase = "USD"

// seedCurrencies returns the currencies a new pricing database starts
// with; the first is the base.
func seedCurrencies() []seedCurrency {
	return []seedCurrency{
		{"USD", "US Dollar", "$", 2, "1"},
		{"EUR", "Euro", "€", 2, "0.9215"},
		{"GBP", "British Pound", "£", 2, "0.7893"},
		{"JPY", "Japanese Yen", "¥", 0, "151.2"},
		{"CHF", "Swiss Franc", "CHF", 2, "0.9051"},
		{"CAD", "Canadian Dollar", "CA$", 2, "1.3521"},
		{"SEK", "Swedish Krona", "kr", 2, "10.6914"},
		{"AUD", "Australian Dollar", "A$", 2, "1.5268"},
	}
}
