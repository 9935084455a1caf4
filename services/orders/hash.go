package orders

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
)

// requestHash is the SHA-256 (hex) of the canonical form of a valid
// PlaceOrderRequest: every field in a fixed order, each length-prefixed,
// with the currency defaulted to base and the card reduced to what may be
// kept (its last four digits and expiry: the full number and CVV are not
// hashed, so the hash reveals nothing of them). Two requests with the same
// hash are the same checkout; the idempotency key itself is not part of it.
func requestHash(req *ordersv1.PlaceOrderRequest, c card, base string) string {
	h := sha256.New()
	currency := req.GetCurrencyCode()
	if currency == "" {
		currency = base
	}
	a := req.GetShippingAddress()
	for _, f := range []string{
		"v1", req.GetShopperId(), req.GetUserId(), req.GetEmail(),
		a.GetName(), a.GetStreet(), a.GetCity(), a.GetPostalCode(), a.GetCountryCode(),
		currency, lastFour(c.Number), strconv.Itoa(int(c.ExpMonth)), strconv.Itoa(int(c.ExpYear)),
		strconv.Itoa(len(req.GetItems())),
	} {
		writeField(h, f)
	}
	for _, it := range req.GetItems() {
		writeField(h, it.GetProductId())
		writeField(h, strconv.Itoa(int(it.GetQuantity())))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeField writes s to h prefixed with its length, so no two different
// field lists write the same bytes.
func writeField(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
