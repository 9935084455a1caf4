package pricing

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// openTestStore opens a seeded store on the database at path (a DSN).
func openTestStore(t *testing.T, path string) *store {
	t.Helper()
	st, err := openStore(context.Background(), path)
	if err != nil {
		t.Fatalf("openStore: %v", err)
	}
	if _, err := st.seed(context.Background(), seedCurrencies(), seedBase, seedRateTime()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return st
}

func currencyByCode(t *testing.T, cs []currency, code string) currency {
	t.Helper()
	c, err := find(cs, code)
	if err != nil {
		t.Fatalf("find %s: %v", code, err)
	}
	return c
}

func TestStoreSeedsOnceAndKeepsChanges(t *testing.T) {
	storagetest.Run(t, testStoreSeedsOnceAndKeepsChanges)
}

func testStoreSeedsOnceAndKeepsChanges(t *testing.T, engine string) {
	ctx := context.Background()
	path := storagetest.DSN(t, engine, "pricing")
	st := openTestStore(t, path)

	cs, err := st.currencies(ctx)
	if err != nil {
		t.Fatalf("currencies: %v", err)
	}
	if len(cs) != len(seedCurrencies()) {
		t.Fatalf("got %d currencies, want %d", len(cs), len(seedCurrencies()))
	}
	if !cs[0].Base || cs[0].Code != "USD" || cs[0].Rate.Cmp(big.NewRat(1, 1)) != 0 {
		t.Fatalf("first currency = %+v, want the base USD at rate 1", cs[0])
	}
	for _, c := range cs[1:] {
		if c.Base {
			t.Fatalf("%s is a second base currency", c.Code)
		}
	}
	jpy := currencyByCode(t, cs, "JPY")
	if jpy.MinorUnitDigits != 0 || jpy.Symbol != "¥" || formatRate(jpy.Rate) != "151.2" || !jpy.RateSetTime.Equal(seedRateTime()) {
		t.Fatalf("JPY = %+v", jpy)
	}

	at := time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)
	if _, err := st.setRate(ctx, "EUR", big.NewRat(9, 10), at); err != nil {
		t.Fatalf("setRate: %v", err)
	}
	if err := st.close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	// A second start seeds nothing and keeps the change.
	st2, err := openStore(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer st2.close()
	seeded, err := st2.seed(ctx, seedCurrencies(), seedBase, seedRateTime())
	if err != nil || seeded {
		t.Fatalf("second seed = %v, %v; want false, nil", seeded, err)
	}
	cs, err = st2.currencies(ctx)
	if err != nil {
		t.Fatalf("currencies after reopen: %v", err)
	}
	if len(cs) != len(seedCurrencies()) {
		t.Fatalf("got %d currencies after reopen, want %d", len(cs), len(seedCurrencies()))
	}
	eur := currencyByCode(t, cs, "EUR")
	if formatRate(eur.Rate) != "0.9" || !eur.RateSetTime.Equal(at) {
		t.Fatalf("EUR after reopen = %s at %v, want 0.9 at %v", formatRate(eur.Rate), eur.RateSetTime, at)
	}
}

func TestStoreSetRate(t *testing.T) {
	storagetest.Run(t, testStoreSetRate)
}

func testStoreSetRate(t *testing.T, engine string) {
	ctx := context.Background()
	st := openTestStore(t, storagetest.DSN(t, engine, "pricing"))
	defer st.close()
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)

	c, err := st.setRate(ctx, "GBP", big.NewRat(4, 5), t1)
	if err != nil || formatRate(c.Rate) != "0.8" || !c.RateSetTime.Equal(t1) {
		t.Fatalf("setRate = %+v, %v", c, err)
	}
	// The same rate again is a no-op: the time stays t1.
	c, err = st.setRate(ctx, "GBP", big.NewRat(8, 10), t2)
	if err != nil || !c.RateSetTime.Equal(t1) {
		t.Fatalf("repeated setRate = %+v, %v; want time %v", c, err, t1)
	}
	cs, err := st.currencies(ctx)
	if err != nil {
		t.Fatalf("currencies: %v", err)
	}
	if gbp := currencyByCode(t, cs, "GBP"); !gbp.RateSetTime.Equal(t1) {
		t.Fatalf("stored GBP time = %v, want %v", gbp.RateSetTime, t1)
	}
	// A different rate moves the time.
	c, err = st.setRate(ctx, "GBP", big.NewRat(3, 4), t2)
	if err != nil || formatRate(c.Rate) != "0.75" || !c.RateSetTime.Equal(t2) {
		t.Fatalf("changed setRate = %+v, %v", c, err)
	}

	errTests := []struct {
		code string
		rate *big.Rat
		want error
	}{
		{"XYZ", big.NewRat(1, 1), errUnknownCurrency},
		{"USD", big.NewRat(1, 1), errBaseCurrency},
		{"USD", big.NewRat(2, 1), errBaseCurrency},
		{"EUR", big.NewRat(0, 1), errInvalidRate},
		{"EUR", big.NewRat(-1, 2), errInvalidRate},
		{"EUR", big.NewRat(1, 3), errInvalidRate},
		{"EUR", big.NewRat(1_000_000_000, 1), errInvalidRate},
	}
	for _, tt := range errTests {
		if _, err := st.setRate(ctx, tt.code, tt.rate, t2); !errors.Is(err, tt.want) {
			t.Errorf("setRate(%s, %s) error = %v, want %v", tt.code, tt.rate.RatString(), err, tt.want)
		}
	}
}

func TestStoreRatesCache(t *testing.T) {
	storagetest.Run(t, testStoreRatesCache)
}

// testStoreRatesCache checks the in-memory rates against their bound: a
// store's own write shows at once, another replica's (a second store on
// the same database) within ratesMaxAge and never later.
func testStoreRatesCache(t *testing.T, engine string) {
	ctx := context.Background()
	dsn := storagetest.DSN(t, engine, "pricing")
	a := openTestStore(t, dsn)
	defer a.close()
	b := openTestStore(t, dsn)
	defer b.close()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	a.now, b.now = clk.Now, clk.Now
	rateOf := func(st *store, code string) string {
		t.Helper()
		cs, err := st.currencies(ctx)
		if err != nil {
			t.Fatalf("currencies: %v", err)
		}
		return formatRate(currencyByCode(t, cs, code).Rate)
	}

	for _, st := range []*store{a, b} {
		if got := rateOf(st, "EUR"); got != "0.9215" {
			t.Fatalf("seeded EUR rate = %s, want 0.9215", got)
		}
	}
	if _, err := a.setRate(ctx, "EUR", big.NewRat(1, 2), t0); err != nil {
		t.Fatalf("setRate: %v", err)
	}
	// The writer sees its own write at once.
	if got := rateOf(a, "EUR"); got != "0.5" {
		t.Fatalf("EUR rate right after this store set it = %s, want 0.5", got)
	}
	// The other replica serves its copy while it is younger than the
	// bound (the cache is in use)...
	clk.Set(t0.Add(ratesMaxAge - time.Millisecond))
	if got := rateOf(b, "EUR"); got != "0.9215" {
		t.Fatalf("EUR rate on the other replica within the bound = %s, want its cached 0.9215", got)
	}
	// ...and never beyond it.
	clk.Set(t0.Add(ratesMaxAge))
	if got := rateOf(b, "EUR"); got != "0.5" {
		t.Fatalf("EUR rate on the other replica %v after the change = %s, want 0.5", ratesMaxAge, got)
	}
	// A failed write leaves nothing stale either.
	if _, err := b.setRate(ctx, "EUR", big.NewRat(1, 3), t0); !errors.Is(err, errInvalidRate) {
		t.Fatalf("setRate 1/3 error = %v, want %v", err, errInvalidRate)
	}
	if got := rateOf(b, "EUR"); got != "0.5" {
		t.Fatalf("EUR rate after a rejected write = %s, want 0.5", got)
	}
}

func TestStoreRejectsCorruptRate(t *testing.T) {
	storagetest.Run(t, testStoreRejectsCorruptRate)
}

func testStoreRejectsCorruptRate(t *testing.T, engine string) {
	ctx := context.Background()
	st := openTestStore(t, storagetest.DSN(t, engine, "pricing"))
	defer st.close()
	if _, err := st.db.ExecContext(ctx, `UPDATE currencies SET rate = '0.9e1' WHERE code = 'EUR'`); err != nil {
		t.Fatalf("corrupt: %v", err)
	}
	if _, err := st.currencies(ctx); err == nil {
		t.Fatal("currencies read a corrupt rate without error")
	}
}

func TestSeedRates(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range seedCurrencies() {
		if seen[c.code] {
			t.Errorf("%s seeded twice", c.code)
		}
		seen[c.code] = true
		r, err := parseRate(c.rate)
		if err != nil {
			t.Errorf("%s: %v", c.code, err)
			continue
		}
		if formatRate(r) != c.rate {
			t.Errorf("%s rate %q is not canonical (%q)", c.code, c.rate, formatRate(r))
		}
	}
	for _, code := range []string{"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "SEK"} {
		if !seen[code] {
			t.Errorf("%s is not seeded", code)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical form; "" means errInvalidRate
	}{
		{"0.9215", "0.9215"},
		{"0.92150", "0.9215"},
		{"151.2", "151.2"},
		{"0001.000", "1"},
		{"0.000000000001", "0.000000000001"},
		{"999999999.999999999999", "999999999.999999999999"},
		{"", ""},
		{"0", ""},
		{"0.000", ""},
		{"-1", ""},
		{"1e3", ""},
		{"abc", ""},
		{"0.0000000000001", ""},
		{"1000000000", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := parseRate(tt.in)
			if tt.want == "" {
				if !errors.Is(err, errInvalidRate) {
					t.Fatalf("parseRate(%q) = %v, %v; want %v", tt.in, r, err, errInvalidRate)
				}
				return
			}
			if err != nil || formatRate(r) != tt.want {
				t.Fatalf("parseRate(%q) = %v, %v; want %s", tt.in, r, err, tt.want)
			}
		})
	}
}
