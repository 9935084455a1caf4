package cart

import (
	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	"github.com/bazaar-shop/bazaar/services/cart/store"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// toProtoCart converts a stored cart to its API form; update_time stays
// unset for a cart never written.
func toProtoCart(c store.Cart) *cartv1.Cart {
	out := &cartv1.Cart{ShopperId: c.ShopperID, Items: make([]*cartv1.CartItem, len(c.Lines))}
	for i, l := range c.Lines {
		out.Items[i] = &cartv1.CartItem{ProductId: l.ProductID, Quantity: l.Quantity}
	}
	if !c.Updated.IsZero() {
		out.UpdateTime = timestamppb.New(c.Updated)
	}
	return out
}
