package storefront

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Page sizes of GET /api/v1/products.
const (
	defaultAPIPageSize = 24
	maxAPIPageSize     = 100
)

// handleAPIListProducts serves GET /api/v1/products?q=&category=&currency=&page_size=&page_token=:
// a page of products, or the products matching q.
func (s *Storefront) handleAPIListProducts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, f, ok := parseListProductsRequest(r)
	if !ok {
		s.writeAPIError(w, r, f)
		return
	}
	if req.GetCurrency() != "" {
		if _, err := parseCurrencyCode(req.GetCurrency()); err != nil {
			s.writeAPIError(w, r, badCurrency())
			return
		}
	}
	c := s.fetchCommon(ctx, false)
	products, next, stale, err := s.findProducts(r, req)
	c.wait()
	if err != nil {
		s.writeAPIError(w, r, catalogFailure(err, failNoCategory()))
		return
	}
	want, f, ok := s.apiCurrency(r, req.GetCurrency(), c.currencies, c.known)
	if !ok {
		s.writeAPIError(w, r, f)
		return
	}
	p := s.priceProducts(ctx, c.currencies, c.known, products, want, nil)
	resp := &storefrontv1.ListProductsResponse{
		Products:      make([]*storefrontv1.Product, len(p.products)),
		NextPageToken: next,
		Currency:      p.currency,
		Notice:        joinNotices(p.notice, staleIf(stale)),
	}
	for i := range p.products {
		resp.Products[i] = apiProduct(&p.products[i])
	}
	s.writeAPI(w, r, http.StatusOK, resp)
}

// findProducts searches the catalog when req has words, else lists a page.
func (s *Storefront) findProducts(r *http.Request, req *storefrontv1.ListProductsRequest) (products []*catalogv1.Product, next string, stale bool, err error) {
	if req.GetQ() != "" {
		found, err := s.catalog.searchProducts(r.Context(), req.GetQ(), req.GetCategory(), req.GetPageSize())
		return found.value.GetProducts(), "", found.stale, err
	}
	list, err := s.catalog.listProducts(r.Context(), req.GetCategory(), req.GetPageToken(), req.GetPageSize())
	return list.value.GetProducts(), list.value.GetNextPageToken(), list.stale, err
}

// parseListProductsRequest reads and checks the query of
// GET /api/v1/products.
func parseListProductsRequest(r *http.Request) (*storefrontv1.ListProductsRequest, failure, bool) {
	v := r.URL.Query()
	req := &storefrontv1.ListProductsRequest{
		Q:         strings.TrimSpace(v.Get("q")),
		Category:  v.Get("category"),
		Currency:  v.Get("currency"),
		PageToken: v.Get("page_token"),
		PageSize:  defaultAPIPageSize,
	}
	if len(req.Q) > maxQueryBytes {
		return nil, badRequest(fmt.Sprintf("q is too long: at most %d bytes", maxQueryBytes)), false
	}
	if req.Category != "" && !validCategoryID(req.Category) {
		return nil, badRequest("category is not a valid category id"), false
	}
	if len(req.PageToken) > maxPageTokenBytes {
		return nil, badRequest("page_token is not valid"), false
	}
	if s := v.Get("page_size"); s != "" {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n < 0 {
			return nil, badRequest("page_size must be a whole number from 0 to 100"), false
		}
		if n > 0 {
			req.PageSize = int32(min(n, maxAPIPageSize))
		}
	}
	return req, failure{}, true
}

// handleAPIGetProduct serves GET /api/v1/products/{id}?currency=.
func (s *Storefront) handleAPIGetProduct(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !validProductID(id) {
		s.writeAPIError(w, r, failNoProduct())
		return
	}
	param := r.URL.Query().Get("currency")
	if param != "" {
		if _, err := parseCurrencyCode(param); err != nil {
			s.writeAPIError(w, r, badCurrency())
			return
		}
	}
	c := s.fetchCommon(ctx, false)
	got, err := s.catalog.getProduct(ctx, id)
	c.wait()
	if err != nil {
		s.writeAPIError(w, r, catalogFailure(err, failNoProduct()))
		return
	}
	want, f, ok := s.apiCurrency(r, param, c.currencies, c.known)
	if !ok {
		s.writeAPIError(w, r, f)
		return
	}
	product := got.value.GetProduct()
	if product == nil {
		s.log.ErrorContext(ctx, "catalog answered GetProduct without a product", "id", id)
		s.writeAPIError(w, r, failInternal())
		return
	}
	p := s.priceProducts(ctx, c.currencies, c.known, []*catalogv1.Product{product}, want, nil)
	s.writeAPI(w, r, http.StatusOK, &storefrontv1.GetProductResponse{
		Product:  apiProduct(&p.products[0]),
		Currency: p.currency,
		Notice:   joinNotices(p.notice, staleIf(got.stale)),
	})
}

// apiCurrency returns the currency asked for by param, else the session's.
// A malformed code, or one the shop does not sell in, is a bad request;
// while pricing is down (list not known) any well-formed code is taken and
// the prices fall back to the base currency.
func (s *Storefront) apiCurrency(r *http.Request, param string, list currencyList, known bool) (string, failure, bool) {
	if param == "" {
		return s.sessionCurrency(r, list, known), failure{}, true
	}
	code, err := parseCurrencyCode(param)
	if err != nil {
		return "", badCurrency(), false
	}
	if _, ok := list.find(code); known && !ok {
		return "", badRequest("currency " + code + " is not supported"), false
	}
	return code, failure{}, true
}

// badCurrency answers a malformed currency code.
func badCurrency() failure {
	return badRequest("currency must be a three-letter ISO 4217 code, such as EUR")
}

// apiProduct is v as the JSON API shows it.
func apiProduct(v *productView) *storefrontv1.Product {
	tags := v.Tags
	if tags == nil {
		tags = []string{}
	}
	return &storefrontv1.Product{
		Id:           v.ID,
		Name:         v.Name,
		Description:  v.Description,
		Category:     v.CategoryID,
		Price:        v.Price,
		PriceDisplay: v.PriceDisplay,
		ImageUrl:     v.ImageURL,
		WeightGrams:  v.WeightGrams,
		Tags:         tags,
	}
}

// joinNotices joins the non-empty notices into one sentence list.
func joinNotices(all ...string) string {
	return strings.Join(notices(all...), " ")
}

// writeAPI writes m as the JSON body with status: proto field names, every
// field present.
func (s *Storefront) writeAPI(w http.ResponseWriter, r *http.Request, status int, m proto.Message) {
	body, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		s.log.ErrorContext(r.Context(), "marshal API response", "err", err)
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"Something went wrong on our side. Please try again."}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	noStore(w)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
		_, _ = w.Write([]byte("\n"))
	}
}

// writeAPIError writes f as an ErrorResponse.
func (s *Storefront) writeAPIError(w http.ResponseWriter, r *http.Request, f failure) {
	if f.status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "5")
	}
	s.writeAPI(w, r, f.status, &storefrontv1.ErrorResponse{
		Error: &storefrontv1.Error{Code: f.code, Message: f.message},
	})
}

// apiNotFound answers every unknown path under /api/.
func (s *Storefront) apiNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeAPIError(w, r, failure{http.StatusNotFound, "not_found", "no such API route: " + r.URL.Path})
}
