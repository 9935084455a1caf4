package storefront

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
	"github.com/bazaar-shop/bazaar/services/storefront/stalecache"
)

// defaultDigits is the minor unit assumed for a currency pricing has never
// described (most currencies have cents).
const defaultDigits = 2

// currency is one currency the shop sells in, as shown to shoppers.
type currency struct {
	Code   string
	Name   string
	Symbol string
	Digits int
}

// currencyList is pricing's list of currencies.
type currencyList struct {
	base  string
	items []currency
	// down is true when pricing did not answer this time (the list is
	// the last good copy, or empty).
	down bool
}

// find returns the currency with code.
func (l currencyList) find(code string) (currency, bool) {
	for _, c := range l.items {
		if c.Code == code {
			return c, true
		}
	}
	return currency{}, false
}

// describe returns the currency with code, or a plain description (code as
// symbol, two digits) when pricing never described it.
func (l currencyList) describe(code string) currency {
	if c, ok := l.find(code); ok {
		return c
	}
	symbol, ok := wellKnownSymbols()[code]
	if !ok {
		symbol = code
	}
	return currency{Code: code, Name: code, Symbol: symbol, Digits: defaultDigits}
}

// wellKnownSymbols are the symbols of a few common base currencies, so
// prices look right even when pricing has never answered.
func wellKnownSymbols() map[string]string {
	return map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}
}

// maxCachedConversions bounds the batches of converted amounts kept.
const maxCachedConversions = 4096

// pricingCache calls pricing with a deadline, keeping its currency list for
// a minute (and serving it stale while pricing is down), and converted
// amounts for ConversionFreshFor (never served past that: while pricing
// is down, pages show the base currency with a notice).
type pricingCache struct {
	client      pricingv1.PricingServiceClient
	timeout     time.Duration
	log         *slog.Logger
	currencies  *stalecache.Cache[currencyList]
	conversions *stalecache.Cache[[]*typesv1.Money]
}

func newPricingCache(cfg Config, client pricingv1.PricingServiceClient, log *slog.Logger) (*pricingCache, error) {
	currencies, err := stalecache.New[currencyList](stalecache.Options{
		FreshFor:   currenciesFreshFor,
		StaleFor:   cfg.StaleFor,
		MaxEntries: 1,
		Now:        cfg.Now,
		ServeStale: dependencyDown,
	})
	if err != nil {
		return nil, err
	}
	conversions, err := stalecache.New[[]*typesv1.Money](stalecache.Options{
		FreshFor:   cfg.ConversionFreshFor,
		StaleFor:   cfg.ConversionFreshFor,
		MaxEntries: maxCachedConversions,
		Now:        cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	return &pricingCache{client: client, timeout: cfg.PricingTimeout, log: log, currencies: currencies, conversions: conversions}, nil
}

// listCurrencies returns pricing's currencies, or false when pricing is
// down and has never answered.
func (p *pricingCache) listCurrencies(ctx context.Context) (currencyList, bool) {
	res, err := p.currencies.Get(ctx, "", p.fetchCurrencies)
	switch {
	case err != nil:
		p.log.WarnContext(ctx, "pricing unavailable; currency list unknown", "err", err)
		return currencyList{down: true}, false
	case res.Stale:
		p.log.WarnContext(ctx, "pricing unavailable; using last good currency list",
			"age", res.Age.Round(time.Second).String(), "err", res.FetchErr)
		list := res.Value
		list.down = true
		return list, true
	}
	return res.Value, true
}

// peekCurrencies returns the stored currency list, if any, without calling
// pricing.
func (p *pricingCache) peekCurrencies() (currencyList, bool) {
	return p.currencies.Peek("")
}

func (p *pricingCache) fetchCurrencies(ctx context.Context) (currencyList, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	resp, err := p.client.ListCurrencies(ctx, &pricingv1.ListCurrenciesRequest{})
	if err != nil {
		return currencyList{}, fmt.Errorf("list currencies: %w", err)
	}
	list := currencyList{base: resp.GetBaseCurrencyCode()}
	for _, c := range resp.GetCurrencies() {
		if money.ValidateCode(c.GetCode()) != nil || c.GetMinorUnitDigits() < 0 || c.GetMinorUnitDigits() > money.MaxDigits {
			continue // not showable; pricing validates its data, this only guards the page
		}
		list.items = append(list.items, currency{
			Code: c.GetCode(), Name: c.GetName(), Symbol: c.GetSymbol(), Digits: int(c.GetMinorUnitDigits()),
		})
	}
	return list, nil
}

// prices are amounts ready to show, all in one currency.
type prices struct {
	amounts  []*typesv1.Money
	display  []string
	currency string
	// notice tells the shopper why the prices are not in the currency
	// asked for; empty when they are.
	notice string
}

// quote converts amounts (all in one currency) to want with one Convert
// call and formats them. When pricing cannot convert, the amounts are kept
// as they are, with a notice.
func (p *pricingCache) quote(ctx context.Context, list currencyList, known bool, amounts []*typesv1.Money, want string) prices {
	if len(amounts) == 0 {
		return prices{currency: want}
	}
	from := amounts[0].GetCurrencyCode()
	if want == from {
		// Nothing to convert, but a shopper who cannot switch currency
		// should know why.
		notice := ""
		if list.down {
			notice = conversionNotice(from)
		}
		return formatted(amounts, list, from, notice)
	}
	target, ok := list.find(want)
	if !ok {
		// Only a list pricing never sent us lacks a currency the caller
		// checked: pricing is down.
		return p.fallback(ctx, list, amounts, want, errors.New("currency list unavailable"))
	}
	res, err := p.conversions.Get(ctx, conversionKey(amounts, want), func(ctx context.Context) ([]*typesv1.Money, error) {
		return p.convert(ctx, amounts, want)
	})
	converted := res.Value
	if err != nil {
		return p.fallback(ctx, list, amounts, want, err)
	}
	return formatted(converted, list, target.Code, "")
}

// fallback shows amounts in their own currency, noting that conversion to
// want failed with err.
func (p *pricingCache) fallback(ctx context.Context, list currencyList, amounts []*typesv1.Money, want string, err error) prices {
	from := amounts[0].GetCurrencyCode()
	p.log.WarnContext(ctx, "pricing unavailable; showing prices in the base currency", "currency", want, "base", from, "err", err)
	return formatted(amounts, list, from, conversionNotice(from))
}

// conversionNotice is the notice shown when prices stay in base.
func conversionNotice(base string) string {
	return fmt.Sprintf("Prices are shown in %s while currency conversion is unavailable.", base)
}

// conversionKey names the conversion of amounts to currency to: the
// target, then each amount exactly.
func conversionKey(amounts []*typesv1.Money, to string) string {
	var b strings.Builder
	b.WriteString(to)
	for _, m := range amounts {
		fmt.Fprintf(&b, "|%s %d %d", m.GetCurrencyCode(), m.GetUnits(), m.GetNanos())
	}
	return b.String()
}

// convert asks pricing for amounts in currency to, checking the answer.
func (p *pricingCache) convert(ctx context.Context, amounts []*typesv1.Money, to string) ([]*typesv1.Money, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	resp, err := p.client.Convert(ctx, &pricingv1.ConvertRequest{Amounts: amounts, ToCurrencyCode: to})
	if err != nil {
		return nil, fmt.Errorf("convert %d amounts to %s: %w", len(amounts), to, err)
	}
	out := resp.GetAmounts()
	if len(out) != len(amounts) {
		return nil, fmt.Errorf("convert to %s: got %d amounts for %d", to, len(out), len(amounts))
	}
	for i, m := range out {
		if err := money.Validate(m); err != nil {
			return nil, fmt.Errorf("convert to %s: amount %d: %w", to, i, err)
		}
		if m.GetCurrencyCode() != to {
			return nil, fmt.Errorf("convert to %s: amount %d is in %s", to, i, m.GetCurrencyCode())
		}
	}
	return out, nil
}

// formatted formats amounts, which are in currency code, each with its
// currency's symbol and digits.
func formatted(amounts []*typesv1.Money, list currencyList, code, notice string) prices {
	display := make([]string, len(amounts))
	for i, m := range amounts {
		c := list.describe(m.GetCurrencyCode())
		display[i] = money.Format(m, c.Symbol, c.Digits)
	}
	return prices{amounts: amounts, display: display, currency: code, notice: notice}
}
