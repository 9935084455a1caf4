package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

const (
	// requestTimeout bounds one HTTP request: the histograms' range.
	requestTimeout = 60 * time.Second
	// maxProductPages bounds the catalog pages read at start.
	maxProductPages = 20
	// accountPassword is the password of the accounts the generator creates.
	accountPassword = "load-test-password"
	// maxBodyBytes is how much of an answer is read.
	maxBodyBytes = 4 << 20
)

// currencies are the codes the currency operation switches between.
var currencies = [...]string{"USD", "EUR", "GBP", "JPY", "CHF", "CAD"}

// Shop drives a running storefront through its public pages and JSON API;
// it is the Doer of `bazaar load`. Each worker is one virtual shopper
// with its own cookie jar.
type Shop struct {
	base     *url.URL
	products []string
	words    []string
	shoppers []*shopper
}

// shopper is one virtual shopper; only its worker uses it.
type shopper struct {
	client   *http.Client
	rng      *rand.Rand
	cartFull bool
	// email is the shopper's own account: shoppers sharing an account
	// would share a cart and check out each other's items.
	email string
}

// NewShop checks that baseURL is on this machine, reads the catalog from
// GET /api/v1/products, creates an account per shopper for sign-in and
// returns a Shop with one shopper per worker.
func NewShop(ctx context.Context, baseURL string, workers int, seed uint64) (*Shop, error) {
	base, err := CheckTarget(ctx, baseURL)
	if err != nil {
		return nil, err
	}
	if workers <= 0 {
		return nil, fmt.Errorf("new shop: workers %d: must be positive", workers)
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, Control: loopbackOnly}).DialContext,
		MaxIdleConnsPerHost: workers,
		IdleConnTimeout:     30 * time.Second,
	}
	s := &Shop{base: base}
	for w := range workers {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return nil, fmt.Errorf("new shop: cookie jar: %w", err)
		}
		s.shoppers = append(s.shoppers, &shopper{
			client: &http.Client{
				Transport: transport, Jar: jar, Timeout: requestTimeout,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
			rng: rand.New(rand.NewPCG(seed, uint64(w))),
		})
	}
	if err := s.loadProducts(ctx); err != nil {
		return nil, err
	}
	if err := s.createAccounts(ctx, seed); err != nil {
		return nil, err
	}
	return s, nil
}

// Products returns the ids of the products the shoppers view.
func (s *Shop) Products() []string { return s.products }

func (s *Shop) loadProducts(ctx context.Context) error {
	sh := s.shoppers[0]
	token := ""
	for range maxProductPages {
		var page struct {
			Products []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"products"`
			NextPageToken string `json:"next_page_token"`
		}
		path := "/api/v1/products?page_token=" + url.QueryEscape(token)
		if err := sh.doJSON(ctx, s.base, http.MethodGet, path, nil, nil, &page); err != nil {
			return fmt.Errorf("list products: %w", err)
		}
		for _, p := range page.Products {
			s.products = append(s.products, p.ID)
			if f := strings.Fields(p.Name); len(f) > 0 {
				s.words = append(s.words, strings.ToLower(f[len(f)-1]))
			}
		}
		token = page.NextPageToken
		if token == "" {
			break
		}
	}
	if len(s.products) == 0 {
		return fmt.Errorf("list products: the catalog at %s is empty", s.base)
	}
	return nil
}

// createAccounts gives every shopper an account of its own, then signs it
// out again: every shopper starts as a guest.
func (s *Shop) createAccounts(ctx context.Context, seed uint64) error {
	stamp := time.Now().UnixNano()
	for i, sh := range s.shoppers {
		email := fmt.Sprintf("load-%d-%d-%d@example.com", stamp, seed, i)
		body := map[string]string{"email": email, "password": accountPassword, "name": fmt.Sprintf("Load Shopper %d", i)}
		if err := sh.doJSON(ctx, s.base, http.MethodPost, "/api/v1/accounts", nil, body, nil); err != nil {
			return fmt.Errorf("create account %s: %w", email, err)
		}
		if err := sh.doJSON(ctx, s.base, http.MethodDelete, "/api/v1/session", nil, nil, nil); err != nil {
			return fmt.Errorf("sign out after creating account %s: %w", email, err)
		}
		sh.email = email
	}
	return nil
}

// Do performs op as the shopper of worker.
func (s *Shop) Do(ctx context.Context, worker int, op Op) error {
	if worker < 0 || worker >= len(s.shoppers) {
		return fmt.Errorf("%s: no shopper %d", op, worker)
	}
	sh := s.shoppers[worker]
	switch op {
	case OpHome:
		return sh.get(ctx, s.base, "/")
	case OpCurrency:
		code := currencies[sh.rng.IntN(len(currencies))]
		return sh.get(ctx, s.base, "/currency?code="+code+"&return=%2F")
	case OpProduct:
		return sh.get(ctx, s.base, "/products/"+url.PathEscape(s.pick(sh)))
	case OpAddToCart:
		return s.addToCart(ctx, sh)
	case OpViewCart:
		return sh.get(ctx, s.base, "/cart")
	case OpCheckout:
		return s.checkout(ctx, sh)
	case OpSearch:
		return sh.get(ctx, s.base, "/search?q="+url.QueryEscape(s.words[sh.rng.IntN(len(s.words))]))
	case OpSignIn:
		return sh.doJSON(ctx, s.base, http.MethodPost, "/api/v1/session", nil,
			map[string]string{"email": sh.email, "password": accountPassword}, nil)
	}
	return fmt.Errorf("unknown operation %s", op)
}

func (s *Shop) pick(sh *shopper) string { return s.products[sh.rng.IntN(len(s.products))] }

func (s *Shop) addToCart(ctx context.Context, sh *shopper) error {
	body := map[string]any{"product_id": s.pick(sh), "quantity": 1 + sh.rng.IntN(2)}
	if err := sh.doJSON(ctx, s.base, http.MethodPost, "/api/v1/cart/items", nil, body, nil); err != nil {
		return err
	}
	sh.cartFull = true
	return nil
}

// checkout places an order with the test card that succeeds, first adding
// an item when the shopper's cart is (as far as it knows) empty.
func (s *Shop) checkout(ctx context.Context, sh *shopper) error {
	if !sh.cartFull {
		if err := s.addToCart(ctx, sh); err != nil {
			return err
		}
	}
	body := map[string]any{
		"email": "load-shopper@example.com",
		"address": map[string]string{
			"name": "Load Shopper", "street": "1 Benchmark Way", "city": "London",
			"postal_code": "N1 7AA", "country_code": "GB",
		},
		"card": map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": time.Now().Year() + 3, "cvv": "123"},
	}
	hdr := http.Header{"Idempotency-Key": {uuid.NewString()}}
	err := sh.doJSON(ctx, s.base, http.MethodPost, "/api/v1/checkout", hdr, body, nil)
	sh.cartFull = false
	return err
}

func (sh *shopper) get(ctx context.Context, base *url.URL, path string) error {
	return sh.doJSON(ctx, base, http.MethodGet, path, nil, nil, nil)
}

// doJSON sends a request with body (JSON, when not nil) and decodes a
// successful answer into out (when not nil). A status outside 2xx and 3xx is an
// error naming the request, with the start of the answer.
func (sh *shopper) doJSON(ctx context.Context, base *url.URL, method, path string, hdr http.Header, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base.String()+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sh.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		snippet := strings.TrimSpace(string(data))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "…"
		}
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, snippet)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}
