package storefront

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"time"

	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// Cart limits, as the cart service enforces them.
const (
	maxLineQuantity = 99
	maxCartLines    = 50
)

// cartSays are the words for a failed cart call.
func cartSays(action string) says {
	return says{
		invalid:  "That cart change isn't valid. Please check the quantity and try again.",
		notFound: "We couldn't find that product. It may have been removed.",
		conflict: fmt.Sprintf("You can have at most %d of one product and %d different products in your cart.",
			maxLineQuantity, maxCartLines),
		unavailable: fmt.Sprintf("We couldn't %s just now: our cart is taking a short break. "+
			"You can keep browsing; please try again in a moment.", action),
	}
}

// withCall returns ctx with the deadline of a call to cart, orders,
// accounts or notifications.
func (s *Storefront) withCall(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.CallTimeout)
}

// mergeRetryTimeout bounds the retried merge of a guest cart that a page
// view attempts on the way.
const mergeRetryTimeout = 200 * time.Millisecond

// settleMerge moves the guest cart left behind at sign-in (cart was down
// then) into the user's, and records that in the cookie. It returns the
// session as it is now; a failure leaves the move for later.
func (s *Storefront) settleMerge(ctx context.Context, w http.ResponseWriter, r *http.Request, sess session) session {
	if !sess.MergePending || !sess.signedIn() {
		return sess
	}
	// The page does not need the merge: a cart that is still down must
	// not hold it for a whole call timeout (the fault matrix's pause of
	// cart showed every page of such a shopper waiting 2 s).
	ctx, cancel := context.WithTimeout(ctx, mergeRetryTimeout)
	defer cancel()
	if err := s.mergeCarts(ctx, sess); err != nil {
		return sess
	}
	sess.MergePending = false
	s.saveSession(w, r, sess)
	return sess
}

// mergeCarts moves the session's guest cart into its user's.
func (s *Storefront) mergeCarts(ctx context.Context, sess session) error {
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	_, err := s.deps.Cart.MergeCarts(ctx, &cartv1.MergeCartsRequest{FromShopperId: sess.ID, ToShopperId: sess.UserID})
	if err != nil {
		s.log.WarnContext(ctx, "cart unavailable; guest cart not merged yet", "err", err)
		return fmt.Errorf("merge cart of %s into %s: %w", sess.ID, sess.UserID, err)
	}
	return nil
}

// getCart returns the session's cart.
func (s *Storefront) getCart(ctx context.Context, sess session) (*cartv1.Cart, error) {
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	resp, err := s.deps.Cart.GetCart(ctx, &cartv1.GetCartRequest{ShopperId: sess.shopperID()})
	if err != nil {
		s.logCallFailure(ctx, "cart", "GetCart", err)
		return nil, fmt.Errorf("get cart of %s: %w", sess.shopperID(), err)
	}
	return resp.GetCart(), nil
}

// addToCart adds quantity of product to the session's cart. key is the
// client's idempotency key; empty means a fresh one.
func (s *Storefront) addToCart(ctx context.Context, sess session, product string, quantity int32, key string) (*cartv1.Cart, error) {
	if key == "" {
		key = rand.Text()
	}
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	resp, err := s.deps.Cart.AddItem(ctx, &cartv1.AddItemRequest{
		ShopperId: sess.shopperID(), ProductId: product, Quantity: quantity,
		IdempotencyKey: sess.scopedKey("cart", key),
	})
	if err != nil {
		s.logCallFailure(ctx, "cart", "AddItem", err)
		return nil, fmt.Errorf("add %d of %s to cart: %w", quantity, product, err)
	}
	return resp.GetCart(), nil
}

// setQuantity sets the product's line of the session's cart; 0 removes it.
func (s *Storefront) setQuantity(ctx context.Context, sess session, product string, quantity int32) error {
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	_, err := s.deps.Cart.SetItemQuantity(ctx, &cartv1.SetItemQuantityRequest{
		ShopperId: sess.shopperID(), ProductId: product, Quantity: quantity,
	})
	if err != nil {
		s.logCallFailure(ctx, "cart", "SetItemQuantity", err)
		return fmt.Errorf("set quantity of %s to %d: %w", product, quantity, err)
	}
	return nil
}

// removeFromCart removes the product's line of the session's cart.
func (s *Storefront) removeFromCart(ctx context.Context, sess session, product string) error {
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	_, err := s.deps.Cart.RemoveItem(ctx, &cartv1.RemoveItemRequest{ShopperId: sess.shopperID(), ProductId: product})
	if err != nil {
		s.logCallFailure(ctx, "cart", "RemoveItem", err)
		return fmt.Errorf("remove %s from cart: %w", product, err)
	}
	return nil
}

// emptyCart removes every line of the session's cart.
func (s *Storefront) emptyCart(ctx context.Context, sess session) error {
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	_, err := s.deps.Cart.EmptyCart(ctx, &cartv1.EmptyCartRequest{ShopperId: sess.shopperID()})
	if err != nil {
		s.logCallFailure(ctx, "cart", "EmptyCart", err)
		return fmt.Errorf("empty cart of %s: %w", sess.shopperID(), err)
	}
	return nil
}

// logCallFailure logs a failed call: at WARN when the service is down (a
// degradation), at DEBUG when it refused the request (the shopper's
// mistake, answered with a message).
func (s *Storefront) logCallFailure(ctx context.Context, service, method string, err error) {
	if dependencyDown(err) {
		s.log.WarnContext(ctx, service+" unavailable", "method", method, "err", err)
		return
	}
	s.log.DebugContext(ctx, service+" refused a request", "method", method, "err", err)
}

// cartLine is one line of a cart as shown.
type cartLine struct {
	ProductID   string
	Name        string
	ImageURL    string
	Quantity    int32
	UnitPrice   *typesv1.Money
	UnitDisplay string
	LineTotal   *typesv1.Money
	LineDisplay string
	Gone        bool // catalog no longer sells the product
	Unpriced    bool // catalog could not be asked and holds no copy
}

// cartView is a cart priced in one currency.
type cartView struct {
	Lines           []cartLine
	Count           int32 // units over the lines still sold
	Subtotal        *typesv1.Money
	SubtotalDisplay string
	Currency        string
	Notice          string
	Complete        bool // every line is priced and sold
}

// Notices of a priced cart.
const (
	goneNotice     = "Some items in your cart are no longer sold. Please remove them before checking out."
	unpricedNotice = "Some prices can't be shown right now; they are settled when you order."
)

// priceCart prices the cart's lines in want (one pricing call). It never
// fails: a product catalog no longer sells is marked gone, one catalog
// cannot tell about now is marked unpriced, and the notice says so.
func (s *Storefront) priceCart(ctx context.Context, cart *cartv1.Cart, want string, list currencyList, known bool) *cartView {
	items := cart.GetItems()
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.GetProductId()
	}
	found := s.lookupProducts(ctx, ids)
	v := &cartView{Lines: make([]cartLine, len(items)), Currency: want, Complete: true}
	var priceable []int
	stale := false
	for i, it := range items {
		v.Lines[i] = cartLine{ProductID: it.GetProductId(), Name: it.GetProductId(), Quantity: it.GetQuantity()}
		switch l := found[i]; {
		case l.gone:
			v.Lines[i].Gone = true
			continue
		case l.err != nil:
			v.Lines[i].Unpriced = true
		default:
			stale = stale || l.stale
			priceable = append(priceable, i)
		}
		v.Count += it.GetQuantity()
	}
	notice := s.priceLines(ctx, v, found, priceable, want, list, known)
	gone, unpriced := false, false
	for _, l := range v.Lines {
		gone, unpriced = gone || l.Gone, unpriced || l.Unpriced
	}
	v.Complete = !gone && !unpriced
	if unpriced {
		v.SubtotalDisplay = ""
	}
	v.Notice = joinNotices(notice, staleIf(stale), noticeIf(gone, goneNotice), noticeIf(unpriced, unpricedNotice))
	return v
}

// priceLines prices the lines at indexes priceable, sets the subtotal and
// returns pricing's notice.
func (s *Storefront) priceLines(ctx context.Context, v *cartView, found []lookup, priceable []int, want string, list currencyList, known bool) string {
	products := make([]lookup, len(priceable))
	for k, i := range priceable {
		products[k] = found[i]
	}
	p := s.priceProducts(ctx, list, known, productsOf(products), want, nil)
	v.Currency = p.currency
	subtotal, err := money.Zero(p.currency)
	if err != nil {
		subtotal = &typesv1.Money{CurrencyCode: p.currency}
	}
	for k, i := range priceable {
		line := &v.Lines[i]
		pv := p.products[k]
		line.Name, line.ImageURL, line.UnitPrice, line.UnitDisplay = pv.Name, pv.ImageURL, pv.Price, pv.PriceDisplay
		total, err := money.Mul(pv.Price, int64(line.Quantity))
		if err == nil {
			subtotal, err = money.Add(subtotal, total)
		}
		if err != nil {
			s.log.ErrorContext(ctx, "cart line total", "product", line.ProductID, "err", err)
			line.Unpriced = true
			continue
		}
		line.LineTotal = total
		line.LineDisplay = formatted([]*typesv1.Money{total}, p.list, total.GetCurrencyCode(), "").display[0]
	}
	v.Subtotal = subtotal
	v.SubtotalDisplay = formatted([]*typesv1.Money{subtotal}, p.list, subtotal.GetCurrencyCode(), "").display[0]
	return p.notice
}

// noticeIf returns notice when cond holds.
func noticeIf(cond bool, notice string) string {
	if cond {
		return notice
	}
	return ""
}
