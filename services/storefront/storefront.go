// Package storefront is the shop's edge: it serves the server-rendered HTML
// pages, the public JSON API under /api/v1/ and product images, calling
// the other services (catalog, pricing, cart, orders, accounts, inventory,
// recommendations, notifications) over gRPC. It owns the shoppers'
// sessions: a signed cookie, so any replica can serve any shopper.
//
// It degrades rather than fails: when pricing is down, prices are shown in
// the base currency with a notice; when catalog is down, the last good copy
// of each catalog answer it has seen is served (stale-while-error) with a
// notice, and only a page it has never seen answers 503. Without accounts,
// shoppers browse, fill carts and check out as guests; without cart or
// orders, only adding to the cart or checking out fails, with a message;
// without inventory, recommendations or notifications, the availability
// line, the recommendation strip or the messages page are left out.
package storefront

import (
	"context"
	"errors"
	"fmt"
	"github.com/bazaar-shop/bazaar/platform/resilience"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// Defaults of Config's zero fields.
const (
	// DefaultBaseCurrency is the default of Config.BaseCurrency.
	DefaultBaseCurrency = "USD"
	// DefaultCatalogFreshFor is the default of Config.CatalogFreshFor.
	DefaultCatalogFreshFor = 30 * time.Second
	// DefaultStaleFor is the default of Config.StaleFor.
	DefaultStaleFor = 24 * time.Hour
	// DefaultCatalogTimeout is the default of Config.CatalogTimeout.
	DefaultCatalogTimeout = 800 * time.Millisecond
	// DefaultPricingTimeout is the default of Config.PricingTimeout.
	DefaultPricingTimeout = 300 * time.Millisecond
	// DefaultCallTimeout is the default of Config.CallTimeout.
	DefaultCallTimeout = 2 * time.Second
	// DefaultInventoryTimeout is the default of Config.InventoryTimeout.
	DefaultInventoryTimeout = 200 * time.Millisecond
	// DefaultRecommendationsTimeout is the default of
	// Config.RecommendationsTimeout.
	DefaultRecommendationsTimeout = 150 * time.Millisecond
	// DefaultAvailabilityFreshFor is the default of Config.AvailabilityFreshFor.
	DefaultAvailabilityFreshFor = time.Second
	// DefaultRecommendationsFreshFor is the default of
	// Config.RecommendationsFreshFor.
	DefaultRecommendationsFreshFor = 30 * time.Second
	// DefaultConversionFreshFor is the default of Config.ConversionFreshFor.
	DefaultConversionFreshFor = 10 * time.Second
	// DefaultSessionMaxAge is the default of Config.SessionMaxAge.
	DefaultSessionMaxAge = 30 * 24 * time.Hour
	// MinSessionKeyBytes is the shortest Config.SessionKey accepted.
	MinSessionKeyBytes = 32
)

// currenciesFreshFor is how long pricing's currency list is reused.
const currenciesFreshFor = time.Minute

// Config configures a Storefront. Zero fields take the defaults above.
type Config struct {
	// BaseCurrency is the ISO 4217 code catalog prices are kept in and
	// shown in by default ("USD").
	BaseCurrency string
	// CatalogFreshFor is how long a catalog answer is reused without
	// asking catalog again (default 30s).
	CatalogFreshFor time.Duration
	// StaleFor is how long the last good copy of a catalog answer (and of
	// the currency list) is kept to be served while catalog (or pricing)
	// is down (default 24h).
	StaleFor time.Duration
	// CatalogTimeout is the deadline of each catalog call (default 800ms).
	CatalogTimeout time.Duration
	// PricingTimeout is the deadline of each pricing call (default 300ms).
	PricingTimeout time.Duration
	// CallTimeout is the deadline of each call to cart, orders, accounts
	// and notifications (default 2s).
	CallTimeout time.Duration
	// InventoryTimeout is the deadline of the availability call of a
	// product page (default 200ms): past it the line is left out.
	InventoryTimeout time.Duration
	// RecommendationsTimeout is the deadline of the recommendations call
	// of a product page (default 150ms): past it the strip is left out.
	RecommendationsTimeout time.Duration
	// AvailabilityFreshFor is how long a product page reuses inventory's
	// answer for that product (default 1s). It only words the page's
	// stock line; checkout reserves against inventory itself.
	AvailabilityFreshFor time.Duration
	// RecommendationsFreshFor is how long a product page reuses the
	// recommendations for that product (default 30s): co-purchase counts
	// change slowly.
	RecommendationsFreshFor time.Duration
	// ConversionFreshFor is how long converted prices are reused for the
	// same amounts and currency (default 10s): a rate change shows on
	// pages within this long. Orders are priced by the services, never
	// from this cache.
	ConversionFreshFor time.Duration
	// SessionKey signs session cookies and derives CSRF tokens (HMAC-SHA256);
	// at least MinSessionKeyBytes random bytes, the same for every replica
	// and kept across restarts (see LoadSessionKey). Required.
	SessionKey []byte
	// SessionMaxAge is how long a session cookie is honoured after it was
	// issued (default 30 days); it is renewed as the shopper comes back.
	SessionMaxAge time.Duration
	// RateLimit is the requests per second each client may make (its
	// session, or its address without one; see ratelimit.go): default
	// DefaultRateLimit, negative for no limit.
	RateLimit float64
	// RateBurst is how many requests a client may make at once (default
	// DefaultRateBurst).
	RateBurst int
	// RateClients bounds the clients whose rate is tracked (default
	// DefaultRateClients).
	RateClients int
	// Now tells the time (default time.Now).
	Now func() time.Time
}

// Deps are the services a Storefront calls.
type Deps struct {
	// Catalog serves products, categories and images. Required.
	Catalog catalogv1.CatalogServiceClient
	// Pricing serves currencies and conversions. Required.
	Pricing pricingv1.PricingServiceClient
	// Accounts registers users and checks passwords. Required.
	Accounts accountsv1.AccountsServiceClient
	// Cart keeps the shoppers' carts. Required.
	Cart cartv1.CartServiceClient
	// Orders takes and reports orders. Required.
	Orders ordersv1.OrdersServiceClient
	// Inventory tells product availability. Required.
	Inventory inventoryv1.InventoryServiceClient
	// Recommendations suggests products. Required.
	Recommendations recommendationsv1.RecommendationsServiceClient
	// Notifications reads the shoppers' messages. Required.
	Notifications notificationsv1.NotificationsServiceClient
	// Logger receives degradations and errors (default: discarded).
	Logger *slog.Logger
	// Shedder, when set, refuses requests the storefront has no capacity
	// for, checkout last (see shedding.go); nil sheds nothing.
	Shedder *resilience.Shedder
}

// Storefront serves the shop's pages and public API. Create it with New.
type Storefront struct {
	cfg      Config
	deps     Deps
	sessions *sessions
	catalog  *catalogCache
	pricing  *pricingCache
	extras   *extrasCache
	log      *slog.Logger
	limiter  *clientLimiter // nil: no rate limit
	pages    map[string]*template.Template
	static   fs.FS
	handler  http.Handler
}

// New returns a Storefront, or an error naming the first bad setting.
func New(cfg Config, deps Deps) (*Storefront, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := deps.check(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	catalog, err := newCatalogCache(cfg, deps.Catalog, deps.Logger)
	if err != nil {
		return nil, fmt.Errorf("storefront: catalog cache: %w", err)
	}
	pricing, err := newPricingCache(cfg, deps.Pricing, deps.Logger)
	if err != nil {
		return nil, fmt.Errorf("storefront: pricing cache: %w", err)
	}
	extras, err := newExtrasCache(cfg)
	if err != nil {
		return nil, fmt.Errorf("storefront: %w", err)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("storefront: templates: %w", err)
	}
	static, err := staticFiles()
	if err != nil {
		return nil, fmt.Errorf("storefront: static files: %w", err)
	}
	s := &Storefront{
		cfg: cfg, deps: deps, catalog: catalog, pricing: pricing, extras: extras, log: deps.Logger, pages: pages, static: static,
		sessions: newSessions(cfg.SessionKey, cfg.SessionMaxAge, cfg.Now),
	}
	if cfg.RateLimit > 0 {
		s.limiter = newClientLimiter(cfg.RateLimit, cfg.RateBurst, cfg.RateClients, cfg.Now)
	}
	s.handler = s.routes()
	return s, nil
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.BaseCurrency == "" {
		c.BaseCurrency = DefaultBaseCurrency
	}
	if err := money.ValidateCode(c.BaseCurrency); err != nil {
		return c, fmt.Errorf("storefront: BaseCurrency: %w", err)
	}
	durations := []struct {
		name string
		p    *time.Duration
		def  time.Duration
	}{
		{"CatalogFreshFor", &c.CatalogFreshFor, DefaultCatalogFreshFor},
		{"StaleFor", &c.StaleFor, DefaultStaleFor},
		{"CatalogTimeout", &c.CatalogTimeout, DefaultCatalogTimeout},
		{"PricingTimeout", &c.PricingTimeout, DefaultPricingTimeout},
		{"CallTimeout", &c.CallTimeout, DefaultCallTimeout},
		{"InventoryTimeout", &c.InventoryTimeout, DefaultInventoryTimeout},
		{"RecommendationsTimeout", &c.RecommendationsTimeout, DefaultRecommendationsTimeout},
		{"AvailabilityFreshFor", &c.AvailabilityFreshFor, DefaultAvailabilityFreshFor},
		{"RecommendationsFreshFor", &c.RecommendationsFreshFor, DefaultRecommendationsFreshFor},
		{"ConversionFreshFor", &c.ConversionFreshFor, DefaultConversionFreshFor},
		{"SessionMaxAge", &c.SessionMaxAge, DefaultSessionMaxAge},
	}
	for _, d := range durations {
		if *d.p < 0 {
			return c, fmt.Errorf("storefront: %s must not be negative, got %v", d.name, *d.p)
		}
		if *d.p == 0 {
			*d.p = d.def
		}
	}
	if c.StaleFor < c.CatalogFreshFor || c.StaleFor < currenciesFreshFor {
		return c, fmt.Errorf("storefront: StaleFor (%v) must be at least CatalogFreshFor (%v) and %v",
			c.StaleFor, c.CatalogFreshFor, currenciesFreshFor)
	}
	if len(c.SessionKey) < MinSessionKeyBytes {
		return c, fmt.Errorf("storefront: SessionKey must be at least %d bytes, got %d", MinSessionKeyBytes, len(c.SessionKey))
	}
	if c.SessionMaxAge < time.Hour {
		return c, fmt.Errorf("storefront: SessionMaxAge must be at least 1h, got %v", c.SessionMaxAge)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c.rateDefaults()
}

// rateDefaults fills and checks the rate limit's fields.
func (c Config) rateDefaults() (Config, error) {
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst == 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.RateClients == 0 {
		c.RateClients = DefaultRateClients
	}
	if c.RateBurst < 1 || c.RateClients < 1 {
		return c, fmt.Errorf("storefront: RateBurst (%d) and RateClients (%d) must be positive", c.RateBurst, c.RateClients)
	}
	return c, nil
}

// check reports the first missing client.
func (d Deps) check() error {
	required := []struct {
		name    string
		missing bool
	}{
		{"Catalog", d.Catalog == nil},
		{"Pricing", d.Pricing == nil},
		{"Accounts", d.Accounts == nil},
		{"Cart", d.Cart == nil},
		{"Orders", d.Orders == nil},
		{"Inventory", d.Inventory == nil},
		{"Recommendations", d.Recommendations == nil},
		{"Notifications", d.Notifications == nil},
	}
	for _, r := range required {
		if r.missing {
			return fmt.Errorf("storefront: Deps.%s is required", r.name)
		}
	}
	return nil
}

// Handler returns the public HTTP handler: every page, the JSON API,
// static assets, product images, /healthz and /readyz.
func (s *Storefront) Handler() http.Handler {
	return s.handler
}

// Ready reports whether the storefront can serve. It does not depend on
// any other service being up (it degrades without them), so it fails only
// when the Storefront was not built by New.
func (s *Storefront) Ready(ctx context.Context) error {
	if s == nil || s.handler == nil {
		return errors.New("storefront: not initialised; use New")
	}
	return nil
}
