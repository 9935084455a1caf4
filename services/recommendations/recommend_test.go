package recommendations

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// shopHistory confirms a small history of orders in svc.
func shopHistory(t *testing.T, svc *Service) {
	t.Helper()
	orders := [][]string{
		{"mug", "kettle", "tea"},
		{"mug", "kettle"},
		{"mug", "spoon"},
		{"tea", "honey"},
		{"kettle", "filter"},
		{"lamp"},
		{"lamp"},
		{"lamp", "lamp"}, // one order, two lines of the same product
	}
	for i, products := range orders {
		id := string(rune('a' + i))
		if _, err := apply(t, svc, confirmedEnv(t, "ev-"+id, "ord-"+id, products...)); err != nil {
			t.Fatalf("apply order %d: %v", i, err)
		}
	}
}

func TestRanking(t *testing.T) {
	storagetest.Run(t, testRanking)
}

func testRanking(t *testing.T, engine string) {
	svc := newTestService(t, engine, Deps{})
	shopHistory(t, svc)
	c := serve(t, svc)
	tests := []struct {
		name  string
		given []string
		limit int32
		want  string
	}{
		{"co-purchases, ties by id, topped up with the most bought", []string{"mug"}, 4, "kettle:2 spoon:1 tea:1 lamp:0"},
		{"several given: pair counts add up", []string{"mug", "kettle"}, 3, "tea:2 filter:1 spoon:1"},
		{"repeated given ids count once", []string{"mug", "kettle", "mug"}, 3, "tea:2 filter:1 spoon:1"},
		{"never bought with anything: the most bought", []string{"lamp"}, 4, "kettle:0 mug:0 tea:0 filter:0"},
		{"unknown product: the most bought", []string{"unknown"}, 2, "kettle:0 lamp:0"},
		{"limit below the co-purchases", []string{"honey"}, 1, "tea:1"},
		{"default limit is 4", []string{"tea"}, 0, "honey:1 kettle:1 mug:1 lamp:0"},
		{"everything there is", []string{"mug"}, 20, "kettle:2 spoon:1 tea:1 lamp:0 filter:0 honey:0"},
		{"above the cap is capped", []string{"mug"}, 1000, "kettle:2 spoon:1 tea:1 lamp:0 filter:0 honey:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.ListRecommendations(context.Background(), &recommendationsv1.ListRecommendationsRequest{ProductIds: tt.given, Limit: tt.limit})
			if err != nil {
				t.Fatalf("ListRecommendations: %v", err)
			}
			if got := recsString(resp.GetRecommendations()); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCatalogFallback(t *testing.T) {
	storagetest.Run(t, testCatalogFallback)
}

func testCatalogFallback(t *testing.T, engine string) {
	products := []string{"anvil", "mug", "bell", "candle", "drum", "easel"}
	tests := []struct {
		name      string
		catalog   *fakeCatalog
		history   bool
		stopEarly bool
		given     []string
		limit     int32
		want      string
		wantCalls int
	}{
		{"no purchase data: the catalog, without the given ids", &fakeCatalog{products: products}, false, false, []string{"mug"}, 4, "anvil:0 bell:0 candle:0 drum:0", 1},
		{"no purchase data, short catalog", &fakeCatalog{products: products[:3]}, false, false, []string{"anvil"}, 4, "mug:0 bell:0", 1},
		{"purchase data: the catalog is not asked", &fakeCatalog{products: products}, true, false, []string{"lamp"}, 2, "kettle:0 mug:0", 0},
		{"catalog fails: nothing, no error", &fakeCatalog{products: products, err: status.Error(codes.Unavailable, "down")}, false, false, []string{"mug"}, 4, "", 1},
		{"catalog too slow: nothing, no error", &fakeCatalog{products: products, delay: 5 * time.Second}, false, false, []string{"mug"}, 4, "", 1},
		{"catalog gone: nothing, no error", &fakeCatalog{products: products}, false, true, []string{"mug"}, 4, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, stop := startCatalog(t, tt.catalog)
			if tt.stopEarly {
				stop()
			}
			svc := newTestService(t, engine, Deps{Catalog: client})
			if tt.history {
				shopHistory(t, svc)
			}
			start := time.Now()
			resp, err := serve(t, svc).ListRecommendations(context.Background(), &recommendationsv1.ListRecommendationsRequest{ProductIds: tt.given, Limit: tt.limit})
			if err != nil {
				t.Fatalf("ListRecommendations: %v", err)
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("took %v: the catalog timeout did not hold", elapsed)
			}
			if got := recsString(resp.GetRecommendations()); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if got := tt.catalog.callCount(); got != tt.wantCalls {
				t.Errorf("catalog called %d times, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestNoCatalogNoData(t *testing.T) {
	storagetest.Run(t, testNoCatalogNoData)
}

func testNoCatalogNoData(t *testing.T, engine string) {
	resp, err := serve(t, newTestService(t, engine, Deps{})).ListRecommendations(context.Background(), &recommendationsv1.ListRecommendationsRequest{ProductIds: []string{"mug"}})
	if err != nil || len(resp.GetRecommendations()) != 0 {
		t.Fatalf("ListRecommendations = %v, %v; want none", resp, err)
	}
}

func TestRequestsRejected(t *testing.T) {
	storagetest.Run(t, testRequestsRejected)
}

func testRequestsRejected(t *testing.T, engine string) {
	c := serve(t, newTestService(t, engine, Deps{}))
	many := make([]string, MaxProductIDs+1)
	for i := range many {
		many[i] = "p"
	}
	tests := []struct {
		name    string
		req     *recommendationsv1.ListRecommendationsRequest
		mention string
	}{
		{"no products", &recommendationsv1.ListRecommendationsRequest{}, "product_ids"},
		{"too many products", &recommendationsv1.ListRecommendationsRequest{ProductIds: many}, "at most 50"},
		{"empty id", &recommendationsv1.ListRecommendationsRequest{ProductIds: []string{"mug", ""}}, "product_ids[1]"},
		{"id with a space", &recommendationsv1.ListRecommendationsRequest{ProductIds: []string{"m ug"}}, "product_ids[0]"},
		{"negative limit", &recommendationsv1.ListRecommendationsRequest{ProductIds: []string{"mug"}, Limit: -1}, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ListRecommendations(context.Background(), tt.req)
			wantCode(t, err, codes.InvalidArgument, tt.mention)
		})
	}
}

func TestStoreFailureIsInternal(t *testing.T) {
	storagetest.Run(t, testStoreFailureIsInternal)
}

func testStoreFailureIsInternal(t *testing.T, engine string) {
	svc := newTestService(t, engine, Deps{})
	c := serve(t, svc)
	if err := svc.store.db.Close(); err != nil {
		t.Fatalf("close db: %v", err)
	}
	_, err := c.ListRecommendations(context.Background(), &recommendationsv1.ListRecommendationsRequest{ProductIds: []string{"mug"}})
	wantCode(t, err, codes.Internal, "failed")
}
