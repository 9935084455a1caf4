package pricing

import (
	"context"
	"math"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// clock is a settable time source for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// startService runs a Service on a fresh database behind a real gRPC
// server on bufconn and returns a client for it.
func startService(t testing.TB) (pricingv1.PricingServiceClient, *clock, *Service) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	svc, err := New(context.Background(), Config{DSN: filepath.Join(t.TempDir(), "pricing.db"), Now: clk.Now}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	svc.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///pricing",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return pricingv1.NewPricingServiceClient(conn), clk, svc
}

func usd(units int64, nanos int32) *typesv1.Money {
	return &typesv1.Money{CurrencyCode: "USD", Units: units, Nanos: nanos}
}

func amount(code string, units int64, nanos int32) *typesv1.Money {
	return &typesv1.Money{CurrencyCode: code, Units: units, Nanos: nanos}
}

func setRate(t *testing.T, c pricingv1.PricingServiceClient, code, rate string) *pricingv1.Currency {
	t.Helper()
	resp, err := c.SetRate(context.Background(), &pricingv1.SetRateRequest{CurrencyCode: code, Rate: &typesv1.Decimal{Value: rate}})
	if err != nil {
		t.Fatalf("SetRate(%s, %s): %v", code, rate, err)
	}
	return resp.GetCurrency()
}

func wantCode(t *testing.T, err error, want codes.Code, mention string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != want {
		t.Fatalf("error = %v, want code %v", err, want)
	}
	if !strings.Contains(st.Message(), mention) {
		t.Fatalf("error message %q does not mention %q", st.Message(), mention)
	}
}

func TestListCurrencies(t *testing.T) {
	c, _, _ := startService(t)
	resp, err := c.ListCurrencies(context.Background(), &pricingv1.ListCurrenciesRequest{})
	if err != nil {
		t.Fatalf("ListCurrencies: %v", err)
	}
	if resp.GetBaseCurrencyCode() != "USD" {
		t.Fatalf("base = %q, want USD", resp.GetBaseCurrencyCode())
	}
	if len(resp.GetCurrencies()) < 6 {
		t.Fatalf("%d currencies, want at least 6", len(resp.GetCurrencies()))
	}
	byCode := map[string]*pricingv1.Currency{}
	for _, cur := range resp.GetCurrencies() {
		byCode[cur.GetCode()] = cur
		if cur.GetName() == "" || cur.GetSymbol() == "" || cur.GetRateSetTime() == nil {
			t.Errorf("incomplete currency %v", cur)
		}
		if r, err := parseRate(cur.GetRate().GetValue()); err != nil || r.Sign() <= 0 {
			t.Errorf("%s rate %q: %v", cur.GetCode(), cur.GetRate().GetValue(), err)
		}
	}
	if got := byCode["USD"].GetRate().GetValue(); got != "1" {
		t.Errorf("USD rate = %q, want 1", got)
	}
	if got := byCode["JPY"].GetMinorUnitDigits(); got != 0 {
		t.Errorf("JPY digits = %d, want 0", got)
	}
	if got := byCode["EUR"]; got.GetMinorUnitDigits() != 2 || got.GetSymbol() != "€" || got.GetRate().GetValue() != "0.9215" {
		t.Errorf("EUR = %v", got)
	}
	if got := byCode["EUR"].GetRateSetTime().AsTime(); !got.Equal(seedRateTime()) {
		t.Errorf("EUR rate time = %v, want the seed time %v", got, seedRateTime())
	}
}

func TestConvert(t *testing.T) {
	c, clk, _ := startService(t)
	tests := []struct {
		name     string
		rates    map[string]string
		amounts  []*typesv1.Money
		to       string
		want     []*typesv1.Money
		wantRate string
	}{
		{
			name:     "base to EUR, tie rounds up to even",
			rates:    map[string]string{"EUR": "0.9215"},
			amounts:  []*typesv1.Money{usd(10, 0)},
			to:       "EUR",
			want:     []*typesv1.Money{amount("EUR", 9, 220_000_000)},
			wantRate: "0.9215",
		},
		{
			name:     "tie rounds down to even",
			rates:    map[string]string{"EUR": "0.9225"},
			amounts:  []*typesv1.Money{usd(10, 0)},
			to:       "EUR",
			want:     []*typesv1.Money{amount("EUR", 9, 220_000_000)},
			wantRate: "0.9225",
		},
		{
			name:     "JPY has no decimals, tie to even",
			rates:    map[string]string{"JPY": "151.25"},
			amounts:  []*typesv1.Money{usd(10, 0), usd(0, 10_000_000), usd(3, 0)},
			to:       "JPY",
			want:     []*typesv1.Money{amount("JPY", 1512, 0), amount("JPY", 2, 0), amount("JPY", 454, 0)},
			wantRate: "151.25",
		},
		{
			name:     "JPY to base",
			rates:    map[string]string{"JPY": "150"},
			amounts:  []*typesv1.Money{amount("JPY", 1000, 0)},
			to:       "USD",
			want:     []*typesv1.Money{usd(6, 670_000_000)},
			wantRate: "0.006666666667",
		},
		{
			name:     "cross rate EUR to GBP, tie to even",
			rates:    map[string]string{"EUR": "0.8", "GBP": "0.75"},
			amounts:  []*typesv1.Money{amount("EUR", 10, 0)},
			to:       "GBP",
			want:     []*typesv1.Money{amount("GBP", 9, 380_000_000)},
			wantRate: "0.9375",
		},
		{
			// Via USD with rounding in between this would be 0.02 GBP.
			name:     "cross rate rounds once",
			rates:    map[string]string{"EUR": "0.9215", "GBP": "0.7893"},
			amounts:  []*typesv1.Money{amount("EUR", 0, 30_000_000)},
			to:       "GBP",
			want:     []*typesv1.Money{amount("GBP", 0, 30_000_000)},
			wantRate: "0.856538252849",
		},
		{
			name:     "same currency rounds to the minor unit",
			amounts:  []*typesv1.Money{usd(1, 5_000_000), usd(1, 15_000_000), usd(-2, -500_000_000)},
			to:       "USD",
			want:     []*typesv1.Money{usd(1, 0), usd(1, 20_000_000), usd(-2, -500_000_000)},
			wantRate: "1",
		},
		{
			name:     "negative amounts mirror positive ones",
			rates:    map[string]string{"EUR": "0.9215"},
			amounts:  []*typesv1.Money{usd(-10, 0), usd(10, 0), usd(0, 0)},
			to:       "EUR",
			want:     []*typesv1.Money{amount("EUR", -9, -220_000_000), amount("EUR", 9, 220_000_000), amount("EUR", 0, 0)},
			wantRate: "0.9215",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for code, rate := range tt.rates {
				setRate(t, c, code, rate)
			}
			resp, err := c.Convert(context.Background(), &pricingv1.ConvertRequest{Amounts: tt.amounts, ToCurrencyCode: tt.to})
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if len(resp.GetAmounts()) != len(tt.want) {
				t.Fatalf("got %d amounts, want %d", len(resp.GetAmounts()), len(tt.want))
			}
			for i, got := range resp.GetAmounts() {
				w := tt.want[i]
				if got.GetCurrencyCode() != w.GetCurrencyCode() || got.GetUnits() != w.GetUnits() || got.GetNanos() != w.GetNanos() {
					t.Errorf("amounts[%d] = %v, want %v", i, got, w)
				}
			}
			if got := resp.GetRate().GetValue(); got != tt.wantRate {
				t.Errorf("rate = %q, want %q", got, tt.wantRate)
			}
		})
	}

	// The reported time is the older of the two rates'.
	clk.Set(time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC))
	setRate(t, c, "CHF", "0.88")
	clk.Set(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	setRate(t, c, "CAD", "1.4")
	resp, err := c.Convert(context.Background(), &pricingv1.ConvertRequest{Amounts: []*typesv1.Money{amount("CAD", 1, 0)}, ToCurrencyCode: "CHF"})
	if err != nil {
		t.Fatalf("Convert CAD to CHF: %v", err)
	}
	if got, want := resp.GetRateSetTime().AsTime(), time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("rate_set_time = %v, want the older %v", got, want)
	}
}

func TestConvertRejectsBadInput(t *testing.T) {
	c, _, _ := startService(t)
	tooMany := make([]*typesv1.Money, maxConvertAmounts+1)
	for i := range tooMany {
		tooMany[i] = usd(1, 0)
	}
	tests := []struct {
		name    string
		amounts []*typesv1.Money
		to      string
		mention string
	}{
		{"no amounts", nil, "EUR", "at least one"},
		{"too many amounts", tooMany, "EUR", "at most 1000"},
		{"nil amount", []*typesv1.Money{usd(1, 0), nil}, "EUR", "amounts[1]"},
		{"nanos out of range", []*typesv1.Money{usd(1, 1_000_000_000)}, "EUR", "nanos"},
		{"mixed signs", []*typesv1.Money{usd(1, -1)}, "EUR", "signs"},
		{"lower-case source", []*typesv1.Money{amount("usd", 1, 0)}, "EUR", "usd"},
		{"mixed currencies", []*typesv1.Money{usd(1, 0), amount("EUR", 1, 0)}, "GBP", "one currency"},
		{"unknown source", []*typesv1.Money{amount("XYZ", 1, 0)}, "EUR", "XYZ"},
		{"unknown target", []*typesv1.Money{usd(1, 0)}, "ZZZ", "ZZZ"},
		{"malformed target", []*typesv1.Money{usd(1, 0)}, "eur", "eur"},
		{"empty target", []*typesv1.Money{usd(1, 0)}, "", "to_currency_code"},
		{"overflow", []*typesv1.Money{usd(math.MaxInt64, 0)}, "JPY", "amounts[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Convert(context.Background(), &pricingv1.ConvertRequest{Amounts: tt.amounts, ToCurrencyCode: tt.to})
			wantCode(t, err, codes.InvalidArgument, tt.mention)
		})
	}
	// Exactly the limit is fine.
	if _, err := c.Convert(context.Background(), &pricingv1.ConvertRequest{Amounts: tooMany[1:], ToCurrencyCode: "EUR"}); err != nil {
		t.Fatalf("Convert of %d amounts: %v", maxConvertAmounts, err)
	}
}

func TestSetRate(t *testing.T) {
	c, clk, _ := startService(t)
	t1 := clk.Now()
	cur := setRate(t, c, "EUR", "0.93100")
	if cur.GetCode() != "EUR" || cur.GetRate().GetValue() != "0.931" || !cur.GetRateSetTime().AsTime().Equal(t1) {
		t.Fatalf("SetRate = %v, want EUR at 0.931 set %v", cur, t1)
	}
	// Retrying the same rate later leaves the same state.
	clk.Set(t1.Add(time.Minute))
	again := setRate(t, c, "EUR", "0.931")
	if !again.GetRateSetTime().AsTime().Equal(t1) || again.GetRate().GetValue() != "0.931" {
		t.Fatalf("repeated SetRate = %v, want the time to stay %v", again, t1)
	}
	list, err := c.ListCurrencies(context.Background(), &pricingv1.ListCurrenciesRequest{})
	if err != nil {
		t.Fatalf("ListCurrencies: %v", err)
	}
	for _, cur := range list.GetCurrencies() {
		if cur.GetCode() == "EUR" && (cur.GetRate().GetValue() != "0.931" || !cur.GetRateSetTime().AsTime().Equal(t1)) {
			t.Fatalf("listed EUR = %v", cur)
		}
	}
	// A new rate moves the time.
	t2 := t1.Add(2 * time.Minute)
	clk.Set(t2)
	if cur := setRate(t, c, "EUR", "0.94"); !cur.GetRateSetTime().AsTime().Equal(t2) {
		t.Fatalf("changed SetRate time = %v, want %v", cur.GetRateSetTime().AsTime(), t2)
	}
}

func TestSetRateRejectsBadInput(t *testing.T) {
	c, _, _ := startService(t)
	dec := func(s string) *typesv1.Decimal { return &typesv1.Decimal{Value: s} }
	tests := []struct {
		name    string
		code    string
		rate    *typesv1.Decimal
		want    codes.Code
		mention string
	}{
		{"base currency", "USD", dec("1"), codes.InvalidArgument, "base"},
		{"unknown currency", "XYZ", dec("1"), codes.NotFound, "XYZ"},
		{"malformed code", "eu", dec("1"), codes.InvalidArgument, "currency_code"},
		{"missing rate", "EUR", nil, codes.InvalidArgument, "rate"},
		{"empty rate", "EUR", dec(""), codes.InvalidArgument, "rate"},
		{"zero rate", "EUR", dec("0"), codes.InvalidArgument, "greater than zero"},
		{"negative rate", "EUR", dec("-0.9"), codes.InvalidArgument, "greater than zero"},
		{"exponent", "EUR", dec("9e-1"), codes.InvalidArgument, "rate"},
		{"too precise", "EUR", dec("0.9215000000001"), codes.InvalidArgument, "digits"},
		{"too large", "EUR", dec("1000000000"), codes.InvalidArgument, "below"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SetRate(context.Background(), &pricingv1.SetRateRequest{CurrencyCode: tt.code, Rate: tt.rate})
			wantCode(t, err, tt.want, tt.mention)
		})
	}
}

func TestReadyAndClose(t *testing.T) {
	ctx := context.Background()
	svc, err := New(ctx, Config{DSN: filepath.Join(t.TempDir(), "pricing.db")}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := svc.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if err := svc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := svc.Ready(ctx); err == nil {
		t.Fatal("Ready succeeded after Close")
	}
}

func TestNewRejectsBadDSN(t *testing.T) {
	if _, err := New(context.Background(), Config{DSN: ""}, nil); err == nil {
		t.Fatal("New with an empty DSN succeeded")
	}
	if _, err := New(context.Background(), Config{DSN: "postgres://x@localhost/pricing"}, nil); err == nil {
		t.Fatal("New with a PostgreSQL DSN succeeded")
	}
}
