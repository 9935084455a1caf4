package orders

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// Errors of PlaceOrder the handler turns into statuses.
var (
	// errCheckoutDown marks a checkout that cannot be priced now because
	// the catalog does not answer; nothing was written.
	errCheckoutDown = errors.New("checkout is unavailable, try again")
	// errNotShippable marks a destination shipping does not serve.
	errNotShippable = errors.New("cannot ship there")
	// errKeyReused marks an idempotency key already used for another
	// request.
	errKeyReused = errors.New("idempotency key reused with a different request")
)

// priced is an order's prices, all in one currency.
type priced struct {
	Items    []item
	Currency string
	Subtotal *typesv1.Money
	Shipping *typesv1.Money
	Total    *typesv1.Money
	// Quoted is false when shipping did not answer and the flat rate was
	// used.
	Quoted bool
}

// price prices a valid request now: catalog prices (base currency), a
// shipping quote (the flat rate when shipping is down or slow), converted
// to the requested currency (left in the base currency when pricing is
// down). Only the catalog is indispensable.
func (s *Service) price(ctx context.Context, req *ordersv1.PlaceOrderRequest) (*priced, error) {
	items, err := s.catalogItems(ctx, req.GetItems())
	if err != nil {
		return nil, err
	}
	shipping, quoted, err := s.shippingCost(ctx, req.GetShippingAddress(), items)
	if err != nil {
		return nil, err
	}
	target := req.GetCurrencyCode()
	if target == "" {
		target = s.cfg.BaseCurrency
	}
	amounts := make([]*typesv1.Money, 0, len(items)+1)
	for _, it := range items {
		amounts = append(amounts, it.UnitPrice)
	}
	amounts = append(amounts, shipping)
	amounts, err = s.convert(ctx, amounts, target)
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i].UnitPrice = amounts[i]
	}
	return total(items, amounts[len(items)], quoted)
}

// catalogItems looks the products up in the catalog: name, weight and
// base-currency unit price of each item.
func (s *Service) catalogItems(ctx context.Context, lines []*ordersv1.LineItem) ([]item, error) {
	ids := make([]string, len(lines))
	for i, l := range lines {
		ids[i] = l.GetProductId()
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	resp, err := s.deps.Catalog.BatchGetProducts(cctx, &catalogv1.BatchGetProductsRequest{Ids: ids})
	switch {
	case err != nil && status.Code(err) == codes.InvalidArgument:
		return nil, invalidf("items", "%s", status.Convert(err).Message())
	case err != nil:
		return nil, fmt.Errorf("%w: catalog: %w", errCheckoutDown, err)
	}
	byID := make(map[string]*catalogv1.Product, len(resp.GetProducts()))
	for _, p := range resp.GetProducts() {
		byID[p.GetId()] = p
	}
	items := make([]item, len(lines))
	for i, l := range lines {
		p, ok := byID[l.GetProductId()]
		if !ok {
			return nil, invalidf(fmt.Sprintf("items[%d].product_id", i), "unknown product %q", l.GetProductId())
		}
		if err := money.Validate(p.GetPrice()); err != nil || p.GetPrice().GetCurrencyCode() != s.cfg.BaseCurrency || p.GetPrice().GetUnits() < 0 {
			return nil, fmt.Errorf("catalog price of %s is %v, want a %s amount: %v", p.GetId(), p.GetPrice(), s.cfg.BaseCurrency, err)
		}
		items[i] = item{
			ProductID:   p.GetId(),
			Name:        p.GetName(),
			Quantity:    l.GetQuantity(),
			WeightGrams: max(p.GetWeightGrams(), 0),
			UnitPrice:   p.GetPrice(),
		}
	}
	return items, nil
}

// shippingCost quotes shipping items to address in the base currency.
// When shipping is down, slow or answers nonsense, the flat rate is used
// (quoted is false); a destination shipping refuses is an error.
func (s *Service) shippingCost(ctx context.Context, address *typesv1.Address, items []item) (cost *typesv1.Money, quoted bool, err error) {
	req := &shippingv1.GetQuoteRequest{Address: address, CurrencyCode: s.cfg.BaseCurrency}
	for _, it := range items {
		req.Items = append(req.Items, &shippingv1.ShippingItem{ProductId: it.ProductID, Quantity: it.Quantity, WeightGrams: it.WeightGrams})
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QuoteTimeout)
	defer cancel()
	resp, err := s.deps.Shipping.GetQuote(qctx, req)
	switch code := status.Code(err); {
	case code == codes.FailedPrecondition:
		return nil, false, fmt.Errorf("%w: %s", errNotShippable, status.Convert(err).Message())
	case code == codes.InvalidArgument:
		return nil, false, invalidf("shipping_address", "%s", status.Convert(err).Message())
	case err != nil:
		s.logger.WarnContext(ctx, "shipping quote failed; using the flat rate", "err", err)
		return s.cfg.flatRate, false, nil
	}
	c := resp.GetQuote().GetCost()
	if money.Validate(c) != nil || c.GetCurrencyCode() != s.cfg.BaseCurrency || c.GetUnits() < 0 || c.GetNanos() < 0 {
		s.logger.WarnContext(ctx, "shipping quote unusable; using the flat rate", "cost", c.String())
		return s.cfg.flatRate, false, nil
	}
	return c, true, nil
}

// convert converts base-currency amounts to target. When pricing does not
// answer they stay in the base currency: the order is then priced and
// charged in the base currency, which its currency_code shows.
func (s *Service) convert(ctx context.Context, amounts []*typesv1.Money, target string) ([]*typesv1.Money, error) {
	if target == s.cfg.BaseCurrency {
		return amounts, nil
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	resp, err := s.deps.Pricing.Convert(cctx, &pricingv1.ConvertRequest{Amounts: amounts, ToCurrencyCode: target})
	switch {
	case status.Code(err) == codes.InvalidArgument:
		return nil, invalidf("currency_code", "%s is not a currency the shop sells in: %s", target, status.Convert(err).Message())
	case err != nil:
		s.logger.WarnContext(ctx, "pricing unavailable; pricing the order in the base currency", "wanted", target, "err", err)
		return amounts, nil
	}
	out := resp.GetAmounts()
	if len(out) != len(amounts) {
		return nil, fmt.Errorf("convert to %s: %d amounts back for %d", target, len(out), len(amounts))
	}
	for i, m := range out {
		if err := money.Validate(m); err != nil || m.GetCurrencyCode() != target {
			return nil, fmt.Errorf("convert to %s: amount %d: %v (%v)", target, i, m, err)
		}
	}
	return out, nil
}

// total computes line totals, the subtotal and the total of items whose
// unit prices are in shipping's currency.
func total(items []item, shipping *typesv1.Money, quoted bool) (*priced, error) {
	code := shipping.GetCurrencyCode()
	subtotal, err := money.Zero(code)
	if err != nil {
		return nil, fmt.Errorf("total: %w", err)
	}
	for i := range items {
		line, err := money.Mul(items[i].UnitPrice, int64(items[i].Quantity))
		if err != nil {
			return nil, fmt.Errorf("total of %s: %w", items[i].ProductID, err)
		}
		items[i].LineTotal = line
		if subtotal, err = money.Add(subtotal, line); err != nil {
			return nil, fmt.Errorf("total: %w", err)
		}
	}
	sum, err := money.Add(subtotal, shipping)
	if err != nil {
		return nil, fmt.Errorf("total: %w", err)
	}
	return &priced{Items: items, Currency: code, Subtotal: subtotal, Shipping: shipping, Total: sum, Quoted: quoted}, nil
}
