package catalog_test

import (
	"context"
	"encoding/base64"
	"net"
	"path/filepath"
	"strings"
	"testing"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	"github.com/bazaar-shop/bazaar/services/catalog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// newService starts a catalog on a fresh SQLite file.
func newService(t testing.TB) (*catalog.Service, string) {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "catalog", "catalog.db")
	svc, err := catalog.New(context.Background(), catalog.Config{DSN: dsn}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc, dsn
}

// dial serves svc on an in-memory gRPC connection and returns a client.
func dial(t testing.TB, svc *catalog.Service) catalogv1.CatalogServiceClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	svc.Register(srv)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///catalog",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return catalogv1.NewCatalogServiceClient(conn)
}

func TestNewTwiceOnOneFileDoesNotDuplicate(t *testing.T) {
	ctx := context.Background()
	first, dsn := newService(t)
	before, err := dial(t, first).ListProducts(ctx, &catalogv1.ListProductsRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := catalog.New(ctx, catalog.Config{DSN: dsn}, nil)
	if err != nil {
		t.Fatalf("second New: %v", err)
	}
	defer second.Close()
	if err := second.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
	after, err := dial(t, second).ListProducts(ctx, &catalogv1.ListProductsRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if before.GetTotalSize() < 36 || after.GetTotalSize() != before.GetTotalSize() {
		t.Errorf("total before %d, after second start %d; want equal and at least 36", before.GetTotalSize(), after.GetTotalSize())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, dsn := range []string{"", "postgres://db/catalog"} {
		if svc, err := catalog.New(context.Background(), catalog.Config{DSN: dsn}, nil); err == nil {
			svc.Close()
			t.Errorf("New(%q) succeeded, want error", dsn)
		}
	}
}

func TestReadyFailsAfterClose(t *testing.T) {
	svc, _ := newService(t)
	if err := svc.Ready(context.Background()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	svc.Close()
	if err := svc.Ready(context.Background()); err == nil {
		t.Error("Ready after Close succeeded")
	}
}

func TestStatusCodes(t *testing.T) {
	svc, _ := newService(t)
	client := dial(t, svc)
	ctx := context.Background()
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "espresso-cup"
		}
		return out
	}
	token := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"get ok", func() error {
			_, err := client.GetProduct(ctx, &catalogv1.GetProductRequest{Id: "espresso-cup"})
			return err
		}, codes.OK},
		{"get empty id", func() error { _, err := client.GetProduct(ctx, &catalogv1.GetProductRequest{}); return err }, codes.InvalidArgument},
		{"get malformed id", func() error {
			_, err := client.GetProduct(ctx, &catalogv1.GetProductRequest{Id: "Espresso Cup"})
			return err
		}, codes.InvalidArgument},
		{"get long id", func() error {
			_, err := client.GetProduct(ctx, &catalogv1.GetProductRequest{Id: strings.Repeat("a", 129)})
			return err
		}, codes.InvalidArgument},
		{"get unknown", func() error {
			_, err := client.GetProduct(ctx, &catalogv1.GetProductRequest{Id: "no-such-thing"})
			return err
		}, codes.NotFound},

		{"list ok", func() error { _, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{}); return err }, codes.OK},
		{"list negative page size", func() error {
			_, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{PageSize: -1})
			return err
		}, codes.InvalidArgument},
		{"list huge page size", func() error {
			_, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{PageSize: 1 << 30})
			return err
		}, codes.OK},
		{"list garbage token", func() error {
			_, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{PageToken: "!!not base64!!"})
			return err
		}, codes.InvalidArgument},
		{"list negative offset token", func() error {
			_, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{PageToken: token("v1:-5:")})
			return err
		}, codes.InvalidArgument},
		{"list unversioned token", func() error {
			_, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{PageToken: token("5")})
			return err
		}, codes.InvalidArgument},
		{"list token of another category", func() error {
			_, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{CategoryId: "books", PageToken: token("v1:2:garden")})
			return err
		}, codes.InvalidArgument},
		{"list malformed category", func() error {
			_, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{CategoryId: "Books!"})
			return err
		}, codes.InvalidArgument},
		{"list unknown category", func() error {
			_, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{CategoryId: "weapons"})
			return err
		}, codes.NotFound},

		{"batch ok at the limit", func() error {
			_, err := client.BatchGetProducts(ctx, &catalogv1.BatchGetProductsRequest{Ids: ids(100)})
			return err
		}, codes.OK},
		{"batch over the limit", func() error {
			_, err := client.BatchGetProducts(ctx, &catalogv1.BatchGetProductsRequest{Ids: ids(101)})
			return err
		}, codes.InvalidArgument},
		{"batch empty id", func() error {
			_, err := client.BatchGetProducts(ctx, &catalogv1.BatchGetProductsRequest{Ids: []string{"espresso-cup", ""}})
			return err
		}, codes.InvalidArgument},
		{"batch nothing", func() error { _, err := client.BatchGetProducts(ctx, &catalogv1.BatchGetProductsRequest{}); return err }, codes.OK},

		{"search ok at the limit", func() error {
			_, err := client.SearchProducts(ctx, &catalogv1.SearchProductsRequest{Query: strings.Repeat("a", 200)})
			return err
		}, codes.OK},
		{"search query too long", func() error {
			_, err := client.SearchProducts(ctx, &catalogv1.SearchProductsRequest{Query: strings.Repeat("a", 201)})
			return err
		}, codes.InvalidArgument},
		{"search negative page size", func() error {
			_, err := client.SearchProducts(ctx, &catalogv1.SearchProductsRequest{Query: "cup", PageSize: -3})
			return err
		}, codes.InvalidArgument},
		{"search malformed category", func() error {
			_, err := client.SearchProducts(ctx, &catalogv1.SearchProductsRequest{Query: "cup", CategoryId: "a b"})
			return err
		}, codes.InvalidArgument},
		{"search unknown category", func() error {
			_, err := client.SearchProducts(ctx, &catalogv1.SearchProductsRequest{Query: "cup", CategoryId: "weapons"})
			return err
		}, codes.NotFound},

		{"image ok", func() error {
			_, err := client.GetProductImage(ctx, &catalogv1.GetProductImageRequest{ProductId: "espresso-cup"})
			return err
		}, codes.OK},
		{"image empty id", func() error { _, err := client.GetProductImage(ctx, &catalogv1.GetProductImageRequest{}); return err }, codes.InvalidArgument},
		{"image unknown", func() error {
			_, err := client.GetProductImage(ctx, &catalogv1.GetProductImageRequest{ProductId: "no-such-thing"})
			return err
		}, codes.NotFound},
		{"categories ok", func() error { _, err := client.ListCategories(ctx, &catalogv1.ListCategoriesRequest{}); return err }, codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := status.Code(tt.call()); got != tt.want {
				t.Errorf("code = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInternalErrorsAreHidden(t *testing.T) {
	svc, _ := newService(t)
	client := dial(t, svc)
	svc.Close() // every store call now fails
	_, err := client.GetProduct(context.Background(), &catalogv1.GetProductRequest{Id: "espresso-cup"})
	if status.Code(err) != codes.Internal {
		t.Fatalf("code = %v, want Internal", status.Code(err))
	}
	if msg := status.Convert(err).Message(); strings.Contains(msg, "sql") {
		t.Errorf("message %q leaks store details", msg)
	}
}

func TestGetProductContent(t *testing.T) {
	svc, _ := newService(t)
	client := dial(t, svc)
	resp, err := client.GetProduct(context.Background(), &catalogv1.GetProductRequest{Id: "linen-tea-towels"})
	if err != nil {
		t.Fatal(err)
	}
	p := resp.GetProduct()
	if p.GetName() != "Linen Tea Towels, Set of 3" || p.GetCategoryId() != "kitchen" || p.GetWeightGrams() != 240 {
		t.Errorf("product = %v", p)
	}
	if m := p.GetPrice(); m.GetCurrencyCode() != "USD" || m.GetUnits() != 24 || m.GetNanos() != 990000000 {
		t.Errorf("price = %v, want USD 24.99", m)
	}
	if p.GetImagePath() != "/images/products/linen-tea-towels.svg" {
		t.Errorf("image_path = %q", p.GetImagePath())
	}
	if len(p.GetTags()) == 0 || p.GetTags()[0] != "linen" {
		t.Errorf("tags = %v", p.GetTags())
	}
}

func TestListPagesThroughEveryProductWithTokens(t *testing.T) {
	svc, _ := newService(t)
	client := dial(t, svc)
	ctx := context.Background()
	for _, category := range []string{"", "books"} {
		seen := map[string]bool{}
		var total int32
		req := &catalogv1.ListProductsRequest{CategoryId: category, PageSize: 5}
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("paging does not end")
			}
			resp, err := client.ListProducts(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			total = resp.GetTotalSize()
			if len(resp.GetProducts()) > 5 {
				t.Fatalf("page of %d, asked for 5", len(resp.GetProducts()))
			}
			for _, p := range resp.GetProducts() {
				if seen[p.GetId()] {
					t.Errorf("%s listed twice", p.GetId())
				}
				seen[p.GetId()] = true
				if category != "" && p.GetCategoryId() != category {
					t.Errorf("%s of %s in a %s listing", p.GetId(), p.GetCategoryId(), category)
				}
			}
			if resp.GetNextPageToken() == "" {
				break
			}
			req.PageToken = resp.GetNextPageToken()
		}
		if int(total) != len(seen) || total == 0 {
			t.Errorf("category %q: saw %d products, total_size %d", category, len(seen), total)
		}
	}
}

func TestPageSizeDefaultAndCap(t *testing.T) {
	svc, _ := newService(t)
	client := dial(t, svc)
	ctx := context.Background()
	resp, err := client.ListProducts(ctx, &catalogv1.ListProductsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetProducts()) != catalog.DefaultPageSize || resp.GetNextPageToken() == "" {
		t.Errorf("default page: %d products, next %q; want %d and a token", len(resp.GetProducts()), resp.GetNextPageToken(), catalog.DefaultPageSize)
	}
	search, err := client.SearchProducts(ctx, &catalogv1.SearchProductsRequest{PageSize: 2})
	if err != nil || len(search.GetProducts()) != 2 {
		t.Errorf("search page_size 2: %d products, %v", len(search.GetProducts()), err)
	}
}

func TestBatchGetOverGRPC(t *testing.T) {
	svc, _ := newService(t)
	client := dial(t, svc)
	resp, err := client.BatchGetProducts(context.Background(), &catalogv1.BatchGetProductsRequest{
		Ids: []string{"washi-tape-set", "ghost", "espresso-cup"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range resp.GetProducts() {
		got = append(got, p.GetId())
	}
	if strings.Join(got, ",") != "washi-tape-set,espresso-cup" || strings.Join(resp.GetMissingIds(), ",") != "ghost" {
		t.Errorf("products %v missing %v", got, resp.GetMissingIds())
	}
}

func TestImageAndCategoriesOverGRPC(t *testing.T) {
	svc, _ := newService(t)
	client := dial(t, svc)
	ctx := context.Background()
	img, err := client.GetProductImage(ctx, &catalogv1.GetProductImageRequest{ProductId: "cedar-sage-soy-candle"})
	if err != nil {
		t.Fatal(err)
	}
	if img.GetContentType() != "image/svg+xml" || img.GetEtag() == "" || !strings.Contains(string(img.GetData()), "Cedar &amp; Sage") {
		t.Errorf("image: type %q etag %q data %.200s", img.GetContentType(), img.GetEtag(), img.GetData())
	}
	cats, err := client.ListCategories(ctx, &catalogv1.ListCategoriesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cats.GetCategories()); n < 6 || cats.GetCategories()[0].GetId() != "kitchen" {
		t.Errorf("categories = %v", cats.GetCategories())
	}
}
