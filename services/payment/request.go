package payment

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// Limits of requests, from the contract.
const (
	maxIDBytes      = 128
	defaultPageSize = 100
	maxPageSize     = 1000
)

// checkID checks an order id, charge id or idempotency key: 1 to 128
// bytes (protobuf has already checked it is UTF-8).
func checkID(field, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%s: required", field)
	case len(id) > maxIDBytes:
		return fmt.Errorf("%s: %d bytes, at most %d allowed", field, len(id), maxIDBytes)
	}
	return nil
}

// checkAmount checks an amount to charge: well-formed and above zero.
func checkAmount(m *typesv1.Money) error {
	if err := money.Validate(m); err != nil {
		return fmt.Errorf("amount: %w", err)
	}
	if m.GetUnits() <= 0 && m.GetNanos() <= 0 {
		return errors.New("amount: must be greater than zero")
	}
	return nil
}

// checkCharge checks a ChargeRequest at now and returns it as the store
// takes it. The card number goes no further than this function.
func checkCharge(req *paymentv1.ChargeRequest, now time.Time) (chargeRequest, error) {
	if err := checkID("order_id", req.GetOrderId()); err != nil {
		return chargeRequest{}, err
	}
	if err := checkID("idempotency_key", req.GetIdempotencyKey()); err != nil {
		return chargeRequest{}, err
	}
	if err := checkAmount(req.GetAmount()); err != nil {
		return chargeRequest{}, err
	}
	card, err := checkCard(req.GetCard(), now)
	if err != nil {
		return chargeRequest{}, err
	}
	return chargeRequest{OrderID: req.GetOrderId(), Key: req.GetIdempotencyKey(), Amount: req.GetAmount(), Card: card}, nil
}

// pageSize turns a requested page size into the one used: 0 is the
// default, above the maximum is capped, negative is an error.
func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("page_size: %d is negative", n)
	case n == 0:
		return defaultPageSize, nil
	case n > maxPageSize:
		return maxPageSize, nil
	}
	return int(n), nil
}

// encodePageToken makes the opaque token of the page after seq.
func encodePageToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10)))
}

// decodePageToken reads a token made by encodePageToken; "" is the first
// page (after seq 0).
func decodePageToken(token string) (int64, error) {
	if token == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, errors.New("page_token: not a token this service issued")
	}
	seq, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || seq <= 0 {
		return 0, errors.New("page_token: not a token this service issued")
	}
	return seq, nil
}
