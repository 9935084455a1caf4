package money

import (
	"errors"
	"math"
	"math/big"
	"testing"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

func mon(code string, units int64, nanos int32) *typesv1.Money {
	return &typesv1.Money{CurrencyCode: code, Units: units, Nanos: nanos}
}

func rat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad test rational %q", s)
	}
	return r
}

func sameMoney(a, b *typesv1.Money) bool {
	return a.GetCurrencyCode() == b.GetCurrencyCode() && a.GetUnits() == b.GetUnits() && a.GetNanos() == b.GetNanos()
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		m    *typesv1.Money
		want error
	}{
		{"zero", mon("USD", 0, 0), nil},
		{"positive", mon("EUR", 12, 500_000_000), nil},
		{"negative", mon("EUR", -1, -750_000_000), nil},
		{"negative nanos only", mon("EUR", 0, -1), nil},
		{"max", mon("JPY", math.MaxInt64, 999_999_999), nil},
		{"min", mon("JPY", math.MinInt64, -999_999_999), nil},
		{"nil", nil, ErrInvalidMoney},
		{"empty code", mon("", 1, 0), ErrInvalidCurrencyCode},
		{"lower case", mon("usd", 1, 0), ErrInvalidCurrencyCode},
		{"two letters", mon("US", 1, 0), ErrInvalidCurrencyCode},
		{"four letters", mon("USDX", 1, 0), ErrInvalidCurrencyCode},
		{"digit", mon("US1", 1, 0), ErrInvalidCurrencyCode},
		{"non-ASCII", mon("ÜSD", 1, 0), ErrInvalidCurrencyCode},
		{"nanos too big", mon("USD", 1, 1_000_000_000), ErrInvalidMoney},
		{"nanos too small", mon("USD", -1, -1_000_000_000), ErrInvalidMoney},
		{"positive units negative nanos", mon("USD", 1, -1), ErrInvalidMoney},
		{"negative units positive nanos", mon("USD", -1, 1), ErrInvalidMoney},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.m)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidMoney) {
				t.Fatalf("Validate = %v, want %v wrapped in %v", err, tt.want, ErrInvalidMoney)
			}
		})
	}
}

func TestFromRat(t *testing.T) {
	tests := []struct {
		code, value string
		want        *typesv1.Money
		err         error
	}{
		{"USD", "0", mon("USD", 0, 0), nil},
		{"USD", "-7/4", mon("USD", -1, -750_000_000), nil},
		{"USD", "-1/1000000000", mon("USD", 0, -1), nil},
		{"EUR", "1234.5", mon("EUR", 1234, 500_000_000), nil},
		{"JPY", "9223372036854775807.999999999", mon("JPY", math.MaxInt64, 999_999_999), nil},
		{"JPY", "9223372036854775808", nil, ErrOverflow},
		{"JPY", "-9223372036854775809", nil, ErrOverflow},
		{"USD", "1/3", nil, ErrInexact},
		{"USD", "0.0000000001", nil, ErrInexact},
		{"usd", "1", nil, ErrInvalidCurrencyCode},
	}
	for _, tt := range tests {
		t.Run(tt.code+" "+tt.value, func(t *testing.T) {
			got, err := FromRat(tt.code, rat(t, tt.value))
			if !errors.Is(err, tt.err) {
				t.Fatalf("FromRat error = %v, want %v", err, tt.err)
			}
			if tt.err == nil && !sameMoney(got, tt.want) {
				t.Fatalf("FromRat = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := FromRat("USD", nil); !errors.Is(err, ErrInexact) {
		t.Fatalf("FromRat(nil) error = %v, want %v", err, ErrInexact)
	}
}

func TestArithmeticErrors(t *testing.T) {
	usd, eur := mon("USD", 1, 0), mon("EUR", 1, 0)
	max := mon("USD", math.MaxInt64, 0)
	if _, err := Add(usd, eur); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Add(USD, EUR) error = %v, want %v", err, ErrCurrencyMismatch)
	}
	if _, err := Sub(usd, eur); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Sub(USD, EUR) error = %v, want %v", err, ErrCurrencyMismatch)
	}
	if _, err := Cmp(usd, eur); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Cmp(USD, EUR) error = %v, want %v", err, ErrCurrencyMismatch)
	}
	if _, err := Add(usd, mon("USD", 1, -5)); !errors.Is(err, ErrInvalidMoney) {
		t.Errorf("Add(invalid) error = %v, want %v", err, ErrInvalidMoney)
	}
	if _, err := Add(max, usd); !errors.Is(err, ErrOverflow) {
		t.Errorf("Add(max, 1) error = %v, want %v", err, ErrOverflow)
	}
	if _, err := Mul(max, 2); !errors.Is(err, ErrOverflow) {
		t.Errorf("Mul(max, 2) error = %v, want %v", err, ErrOverflow)
	}
	if _, err := Mul(nil, 2); !errors.Is(err, ErrInvalidMoney) {
		t.Errorf("Mul(nil, 2) error = %v, want %v", err, ErrInvalidMoney)
	}
	if _, err := Zero("eur"); !errors.Is(err, ErrInvalidCurrencyCode) {
		t.Errorf("Zero(eur) error = %v, want %v", err, ErrInvalidCurrencyCode)
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name   string
		m      *typesv1.Money
		rate   string
		to     string
		digits int
		want   *typesv1.Money
		err    error
	}{
		{"tie rounds up to even", mon("USD", 10, 0), "0.9215", "EUR", 2, mon("EUR", 9, 220_000_000), nil},
		{"tie rounds down to even", mon("USD", 10, 0), "0.9225", "EUR", 2, mon("EUR", 9, 220_000_000), nil},
		{"negative tie", mon("USD", -10, 0), "0.9215", "EUR", 2, mon("EUR", -9, -220_000_000), nil},
		{"JPY has no minor unit", mon("USD", 10, 0), "151.25", "JPY", 0, mon("JPY", 1512, 0), nil},
		{"JPY tie to even", mon("USD", 2, 500_000_000), "151", "JPY", 0, mon("JPY", 378, 0), nil},
		{"three digits", mon("USD", 1, 0), "0.30712", "KWD", 3, mon("KWD", 0, 307_000_000), nil},
		{"zero", mon("USD", 0, 0), "0.9215", "EUR", 2, mon("EUR", 0, 0), nil},
		{"zero rate", mon("USD", 1, 0), "0", "EUR", 2, nil, ErrInvalidRate},
		{"negative rate", mon("USD", 1, 0), "-1", "EUR", 2, nil, ErrInvalidRate},
		{"bad digits", mon("USD", 1, 0), "1", "EUR", 10, nil, ErrInvalidDigits},
		{"negative digits", mon("USD", 1, 0), "1", "EUR", -1, nil, ErrInvalidDigits},
		{"bad target", mon("USD", 1, 0), "1", "eur", 2, nil, ErrInvalidCurrencyCode},
		{"bad amount", mon("USD", 1, -1), "1", "EUR", 2, nil, ErrInvalidMoney},
		{"overflow", mon("USD", math.MaxInt64/2, 0), "3", "EUR", 2, nil, ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Convert(tt.m, rat(t, tt.rate), tt.to, tt.digits)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Convert error = %v, want %v", err, tt.err)
			}
			if tt.err == nil && !sameMoney(got, tt.want) {
				t.Fatalf("Convert = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := Convert(mon("USD", 1, 0), nil, "EUR", 2); !errors.Is(err, ErrInvalidRate) {
		t.Fatalf("Convert(nil rate) error = %v, want %v", err, ErrInvalidRate)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		m      *typesv1.Money
		symbol string
		digits int
		want   string
	}{
		{mon("EUR", 1234, 500_000_000), "€", 2, "€1,234.50"},
		{mon("JPY", 1512, 0), "¥", 0, "¥1,512"},
		{mon("USD", -3, 0), "$", 2, "-$3.00"},
		{mon("USD", 0, 0), "$", 2, "$0.00"},
		{mon("USD", 0, 50_000_000), "$", 2, "$0.05"},
		{mon("USD", 0, -50_000_000), "$", 2, "-$0.05"},
		{mon("USD", 999, 0), "$", 2, "$999.00"},
		{mon("USD", 1000, 0), "$", 2, "$1,000.00"},
		{mon("USD", 1234567, 890_000_000), "$", 2, "$1,234,567.89"},
		{mon("USD", -1234567, -890_000_000), "$", 2, "-$1,234,567.89"},
		{mon("USD", math.MaxInt64, 999_999_999), "$", 9, "$9,223,372,036,854,775,807.999999999"},
		{mon("USD", 0, 5_000_000), "$", 2, "$0.00"},         // 0.005 tie to even
		{mon("USD", 0, 15_000_000), "$", 2, "$0.02"},        // 0.015 tie to even
		{mon("USD", 0, -4_000_000), "$", 2, "$0.00"},        // no "-0.00"
		{mon("JPY", 1512, 500_000_000), "¥", 0, "¥1,512"},   // tie to even
		{mon("JPY", 1513, 500_000_000), "¥", 0, "¥1,514"},   // tie to even
		{mon("KWD", 12, 345_000_000), "KD", 3, "KD 12.345"}, // letter symbol gets a space
		{mon("CHF", -12, 0), "CHF", 2, "-CHF 12.00"},        // letter symbol gets a space
		{mon("SEK", 1234, 0), "kr", 2, "kr 1,234.00"},       // letter symbol gets a space
		{mon("CAD", 5, 0), "CA$", 2, "CA$5.00"},             // ends in a symbol: no space
		{mon("USD", 5, 0), "", 2, "5.00"},                   // no symbol
		{mon("USD", 5, 0), "$", -1, "$5"},                   // digits clamped to 0
		{mon("USD", 5, 1), "$", 12, "$5.000000001"},         // digits clamped to 9
		{nil, "$", 2, "$0.00"},                              // nil is zero
		{mon("USD", 1, -500_000_000), "$", 2, "$0.50"},      // mixed signs: no panic
		{mon("USD", 0, 2_000_000_000), "$", 0, "$2"},        // nanos out of range: no panic
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Format(tt.m, tt.symbol, tt.digits); got != tt.want {
				t.Fatalf("Format(%v, %q, %d) = %q, want %q", tt.m, tt.symbol, tt.digits, got, tt.want)
			}
		})
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want string // a big.Rat string; "" means an error
	}{
		{"0", "0"},
		{"-0", "0"},
		{"0.9215", "9215/10000"},
		{"151.2", "756/5"},
		{"-1.75", "-7/4"},
		{"007", "7"},
		{"1.000", "1"},
		{"123456789012345678901234567890.123456789", "123456789012345678901234567890123456789/1000000000"},
		{"", ""},
		{"-", ""},
		{".5", ""},
		{"5.", ""},
		{"-.5", ""},
		{"+1", ""},
		{"1e3", ""},
		{"1E3", ""},
		{"1,000", ""},
		{"1_000", ""},
		{" 1", ""},
		{"1 ", ""},
		{"1.2.3", ""},
		{"--1", ""},
		{"0x10", ""},
		{"NaN", ""},
		{"Inf", ""},
		{"١", ""}, // Arabic-Indic digit one
		{"1/2", ""},
		{"00000000001111111111222222222233333333334444444444555555555566666666667777777777888888888899999999990", ""}, // 101 chars
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDecimal(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrInvalidDecimal) {
					t.Fatalf("ParseDecimal(%q) = %v, %v; want %v", tt.in, got, err, ErrInvalidDecimal)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDecimal(%q) error = %v", tt.in, err)
			}
			if got.Cmp(rat(t, tt.want)) != 0 {
				t.Fatalf("ParseDecimal(%q) = %s, want %s", tt.in, got.RatString(), tt.want)
			}
		})
	}
}

func TestFormatDecimal(t *testing.T) {
	tests := []struct {
		r      string
		digits int
		want   string
	}{
		{"0.92150", 12, "0.9215"},
		{"151", 12, "151"},
		{"151.2", 1, "151.2"},
		{"2/3", 4, "0.6667"},
		{"-2/3", 4, "-0.6667"},
		{"1/8", 2, "0.12"},
		{"3/8", 2, "0.38"},
		{"-1/1000", 2, "0"},
		{"0.5", 0, "0"},
		{"1.5", 0, "2"},
		{"1.5", -3, "2"},
		{"0.000001", 6, "0.000001"},
		{"-1000", 3, "-1000"},
	}
	for _, tt := range tests {
		t.Run(tt.r, func(t *testing.T) {
			if got := FormatDecimal(rat(t, tt.r), tt.digits); got != tt.want {
				t.Fatalf("FormatDecimal(%s, %d) = %q, want %q", tt.r, tt.digits, got, tt.want)
			}
		})
	}
}

func TestRoundHalfEvenTable(t *testing.T) {
	tests := []struct {
		r      string
		digits int
		want   string
	}{
		{"0.125", 2, "0.12"},
		{"0.135", 2, "0.14"},
		{"-0.125", 2, "-0.12"},
		{"-0.135", 2, "-0.14"},
		{"0.1251", 2, "0.13"},
		{"0.5", 0, "0"},
		{"1.5", 0, "2"},
		{"2.5", 0, "2"},
		{"-2.5", 0, "-2"},
		{"-3.5", 0, "-4"},
		{"1250", -2, "1200"},
		{"1350", -2, "1400"},
		{"1/3", 3, "0.333"},
		{"2/3", 3, "0.667"},
	}
	for _, tt := range tests {
		t.Run(tt.r, func(t *testing.T) {
			in := rat(t, tt.r)
			before := new(big.Rat).Set(in)
			got := RoundHalfEven(in, tt.digits)
			if got.Cmp(rat(t, tt.want)) != 0 {
				t.Fatalf("RoundHalfEven(%s, %d) = %s, want %s", tt.r, tt.digits, got.FloatString(4), tt.want)
			}
			if in.Cmp(before) != 0 {
				t.Fatalf("RoundHalfEven modified its argument: %s", in.RatString())
			}
		})
	}
}
