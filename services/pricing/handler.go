package pricing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// maxConvertAmounts is the most amounts one Convert call may carry.
const maxConvertAmounts = 1000

// handler implements pricingv1.PricingServiceServer; it is the one place
// that chooses gRPC status codes.
type handler struct {
	pricingv1.UnimplementedPricingServiceServer
	store  *store
	now    func() time.Time
	logger *slog.Logger
}

// ListCurrencies returns the base currency and every currency with its rate.
func (h *handler) ListCurrencies(ctx context.Context, _ *pricingv1.ListCurrenciesRequest) (*pricingv1.ListCurrenciesResponse, error) {
	cs, err := h.store.currencies(ctx)
	if err != nil {
		return nil, h.internal(ctx, "list currencies", err)
	}
	resp := &pricingv1.ListCurrenciesResponse{Currencies: make([]*pricingv1.Currency, 0, len(cs))}
	for _, c := range cs {
		if c.Base {
			resp.BaseCurrencyCode = c.Code
		}
		resp.Currencies = append(resp.Currencies, currencyProto(c))
	}
	return resp, nil
}

// Convert converts every amount, all in one currency, to the target.
func (h *handler) Convert(ctx context.Context, req *pricingv1.ConvertRequest) (*pricingv1.ConvertResponse, error) {
	amounts := req.GetAmounts()
	if err := checkAmounts(amounts); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err := money.ValidateCode(req.GetToCurrencyCode()); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "to_currency_code: %v", err)
	}
	cs, err := h.store.currencies(ctx)
	if err != nil {
		return nil, h.internal(ctx, "convert", err)
	}
	from, err := find(cs, amounts[0].GetCurrencyCode())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "amounts: %v", err)
	}
	to, err := find(cs, req.GetToCurrencyCode())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "to_currency_code: %v", err)
	}
	rate := crossRate(from, to)
	resp := &pricingv1.ConvertResponse{
		Amounts:     make([]*typesv1.Money, 0, len(amounts)),
		Rate:        &typesv1.Decimal{Value: money.FormatDecimal(rate, crossRateDigits)},
		RateSetTime: timestamppb.New(olderRateTime(from, to)),
	}
	for i, m := range amounts {
		out, err := money.Convert(m, rate, to.Code, to.MinorUnitDigits)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "amounts[%d]: %v", i, err)
		}
		resp.Amounts = append(resp.Amounts, out)
	}
	return resp, nil
}

// checkAmounts checks there are 1 to maxConvertAmounts valid amounts, all
// in one currency.
func checkAmounts(amounts []*typesv1.Money) error {
	if len(amounts) == 0 {
		return errors.New("amounts: at least one amount is required")
	}
	if len(amounts) > maxConvertAmounts {
		return fmt.Errorf("amounts: %d given, at most %d allowed", len(amounts), maxConvertAmounts)
	}
	for i, m := range amounts {
		if err := money.Validate(m); err != nil {
			return fmt.Errorf("amounts[%d]: %w", i, err)
		}
		if code, first := m.GetCurrencyCode(), amounts[0].GetCurrencyCode(); code != first {
			return fmt.Errorf("amounts[%d]: currency %s differs from amounts[0]'s %s; all amounts must share one currency", i, code, first)
		}
	}
	return nil
}

// find returns the currency with code.
func find(cs []currency, code string) (currency, error) {
	for _, c := range cs {
		if c.Code == code {
			return c, nil
		}
	}
	return currency{}, fmt.Errorf("%w %q", errUnknownCurrency, code)
}

// SetRate sets one currency's rate against the base; setting the rate it
// already has changes nothing.
func (h *handler) SetRate(ctx context.Context, req *pricingv1.SetRateRequest) (*pricingv1.SetRateResponse, error) {
	code := req.GetCurrencyCode()
	if err := money.ValidateCode(code); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "currency_code: %v", err)
	}
	if req.GetRate() == nil {
		return nil, status.Error(codes.InvalidArgument, "rate: required")
	}
	rate, err := parseRate(req.GetRate().GetValue())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "rate: %v", err)
	}
	c, err := h.store.setRate(ctx, code, rate, h.now())
	switch {
	case errors.Is(err, errUnknownCurrency):
		return nil, status.Error(codes.NotFound, err.Error())
	case errors.Is(err, errBaseCurrency), errors.Is(err, errInvalidRate):
		return nil, status.Error(codes.InvalidArgument, err.Error())
	case err != nil:
		return nil, h.internal(ctx, "set rate", err)
	}
	h.logger.InfoContext(ctx, "rate set", "currency", c.Code, "rate", formatRate(c.Rate), "rate_set_time", c.RateSetTime)
	return &pricingv1.SetRateResponse{Currency: currencyProto(c)}, nil
}

// internal turns an unexpected error into a status: the caller's own
// cancellation or deadline as such, anything else logged and reported as
// Internal without details.
func (h *handler) internal(ctx context.Context, op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	h.logger.ErrorContext(ctx, op+" failed", "error", err)
	return status.Errorf(codes.Internal, "%s failed", op)
}

// currencyProto is c on the wire.
func currencyProto(c currency) *pricingv1.Currency {
	return &pricingv1.Currency{
		Code:            c.Code,
		Name:            c.Name,
		Symbol:          c.Symbol,
		MinorUnitDigits: int32(c.MinorUnitDigits),
		Rate:            &typesv1.Decimal{Value: formatRate(c.Rate)},
		RateSetTime:     timestamppb.New(c.RateSetTime),
	}
}
