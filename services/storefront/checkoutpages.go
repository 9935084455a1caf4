package storefront

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// maxEchoedBytes bounds a value sent back into a re-rendered form.
const maxEchoedBytes = 300

// checkoutGroups are the inputs of the checkout form, in order.
func checkoutGroups() []fieldGroup {
	return []fieldGroup{
		{Legend: "Contact", Fields: []field{
			{Name: "email", Label: "E-mail", Type: "email", Autocomplete: "email", MaxLen: maxEmailBytes,
				Hint: "We send the order confirmation here."},
		}},
		{Legend: "Shipping address", Fields: []field{
			{Name: "name", Label: "Full name", Type: "text", Autocomplete: "name", MaxLen: maxNameBytes},
			{Name: "street", Label: "Street and number", Type: "text", Autocomplete: "street-address", MaxLen: maxStreetBytes},
			{Name: "city", Label: "City", Type: "text", Autocomplete: "address-level2", MaxLen: maxCityBytes},
			{Name: "postal_code", Label: "Postal code", Type: "text", Autocomplete: "postal-code", MaxLen: maxPostalCodeBytes},
			{Name: "country", Label: "Country code", Type: "text", Autocomplete: "country", MaxLen: 2,
				Hint: "Two letters, like US, DE or FR."},
		}},
		{Legend: "Payment", Fields: []field{
			{Name: "card_number", Label: "Card number", Type: "text", Autocomplete: "cc-number", InputMode: "numeric", MaxLen: 23},
			{Name: "exp_month", Label: "Expiry month", Type: "text", Autocomplete: "cc-exp-month", InputMode: "numeric", MaxLen: 2,
				Hint: "1 to 12"},
			{Name: "exp_year", Label: "Expiry year", Type: "text", Autocomplete: "cc-exp-year", InputMode: "numeric", MaxLen: 4,
				Hint: "Four digits"},
			{Name: "cvv", Label: "Security code", Type: "text", Autocomplete: "cc-csc", InputMode: "numeric", MaxLen: 4},
		}},
	}
}

// checkoutFromForm reads the checkout form: the request, normalised, the
// values to show again, and the numbers that could not be read.
func checkoutFromForm(form url.Values) (*storefrontv1.CheckoutRequest, map[string]string, fieldErrors) {
	values := map[string]string{}
	for _, g := range checkoutGroups() {
		for _, f := range g.Fields {
			v := strings.TrimSpace(form.Get(f.Name))
			if len(v) > maxEchoedBytes {
				v = v[:maxEchoedBytes]
			}
			values[f.Name] = v
		}
	}
	var errs fieldErrors
	number := func(input, api, message string) int32 {
		n, err := strconv.ParseInt(strings.TrimSpace(form.Get(input)), 10, 32)
		if err != nil {
			errs.add(input, api, message)
		}
		return int32(n)
	}
	req := &storefrontv1.CheckoutRequest{
		Email: form.Get("email"),
		Address: &typesv1.Address{
			Name: form.Get("name"), Street: form.Get("street"), City: form.Get("city"),
			PostalCode: form.Get("postal_code"), CountryCode: form.Get("country"),
		},
		Card: &typesv1.Card{
			Number:   form.Get("card_number"),
			ExpMonth: number("exp_month", "card.exp_month", "Enter the expiry month, 1 to 12."),
			ExpYear:  number("exp_year", "card.exp_year", "Enter the expiry year with four digits, like 2031."),
			Cvv:      form.Get("cvv"),
		},
	}
	normalizeCheckout(req)
	return req, values, errs
}

// handleCheckoutForm serves GET /checkout: the cart's summary and the
// form, with a new idempotency key. An empty cart goes back to /cart.
func (s *Storefront) handleCheckoutForm(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	values := map[string]string{"email": sess.Email, "name": sess.Name}
	if values["email"] == "" {
		values["email"] = sess.CheckoutEmail
	}
	s.renderCheckout(w, r, checkoutState{status: http.StatusOK, values: values, key: rand.Text(), fresh: true})
}

// handleCheckout serves POST /checkout: places the order and goes to its
// page, or shows the form again with what went wrong (values kept, never
// the card number or security code).
func (s *Storefront) handleCheckout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, values, errs := checkoutFromForm(r.PostForm)
	key := r.PostForm.Get("key")
	if !validIdempotencyKey(key) {
		s.renderCheckout(w, r, checkoutState{status: http.StatusBadRequest, values: values, key: rand.Text(),
			message: "This form has expired. Please check your details and place the order again."})
		return
	}
	validateCheckout(req, s.cfg.Now(), &errs)
	if len(errs) > 0 {
		s.renderCheckout(w, r, checkoutState{status: http.StatusBadRequest, values: values, errs: errs, key: key,
			message: "Please correct the fields marked below."})
		return
	}
	req.Currency = s.orderCurrency(ctx, r, "")
	p, f, ok := s.checkout(ctx, w, r, sessionOf(r), req, key)
	if !ok {
		s.renderCheckout(w, r, checkoutState{status: f.status, values: values, key: key, message: f.message})
		return
	}
	http.Redirect(w, r, "/orders/"+url.PathEscape(p.orderID), http.StatusSeeOther)
}

// checkoutState is how to show the checkout page.
type checkoutState struct {
	status  int
	values  map[string]string
	errs    fieldErrors
	key     string
	message string
	fresh   bool // the first showing: needs a cart with something in it
}

// renderCheckout shows the checkout page. The cart's summary is left out
// when the cart cannot be read, unless the page is shown fresh, which
// then fails with the cart's message.
func (s *Storefront) renderCheckout(w http.ResponseWriter, r *http.Request, st checkoutState) {
	ctx := r.Context()
	c := s.fetchCommon(ctx, true)
	sess := s.settleMerge(ctx, w, r, sessionOf(r))
	cart, err := s.getCart(ctx, sess)
	c.wait()
	if err != nil && st.fresh {
		s.renderFailure(w, r, callFailure(err, cartSays("show your cart")))
		return
	}
	if err == nil && st.fresh && len(cart.GetItems()) == 0 {
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
		return
	}
	want := s.sessionCurrency(r, c.currencies, c.known)
	shown := want
	var v *cartView
	if err == nil {
		v = s.priceCart(ctx, cart, want, c.currencies, c.known)
		shown = v.Currency
	}
	notice := ""
	if v != nil {
		notice = v.Notice
	}
	d := newPage(r, c.layout("Checkout", "", want, shown), notice)
	d.Cart = v
	d.Form = &formView{
		Heading: "Checkout",
		Action:  "/checkout",
		Submit:  "Place order",
		Groups:  fill(checkoutGroups(), st.values, st.errs),
		Key:     st.key,
		Message: st.message,
	}
	if st.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	s.render(w, r, st.status, "checkout", d)
}
