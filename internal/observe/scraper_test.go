package observe

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAdmin is an instance's admin port serving a /metrics text the test
// changes between scrapes.
type fakeAdmin struct {
	mu     sync.Mutex
	text   string
	status int
	srv    *httptest.Server
}

func newFakeAdmin(t *testing.T) *fakeAdmin {
	f := &fakeAdmin{status: http.StatusOK}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.URL.Path != "/metrics" || f.status != http.StatusOK {
			http.Error(w, "no metrics here", max(f.status, http.StatusNotFound))
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, f.text)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAdmin) set(text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.text = text
}

func (f *fakeAdmin) addr() string { return strings.TrimPrefix(f.srv.URL, "http://") }

// fakeClock is a clock the test advances.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func process(start, cpu, rss float64) string {
	return fmt.Sprintf(`# TYPE process_start_time_seconds gauge
process_start_time_seconds %v
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total %v
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes %v
`, start, cpu, rss)
}

// storefrontMetrics is an edge instance: HTTP served, gRPC calls made.
func storefrontMetrics(ok, failed, b10ms, b100ms, b1s, catalogOK, catalogUnavailable, catalogFast, ordersOK, healthWatches, cpu float64) string {
	count := b1s
	return process(1000, cpu, 50e6) + fmt.Sprintf(`# TYPE http_requests_total counter
http_requests_total{method="GET",route="/",code="200"} %v
http_requests_total{method="POST",route="/api/v1/checkout",code="500"} %v
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{method="GET",route="/",le="0.01"} %v
http_request_duration_seconds_bucket{method="GET",route="/",le="0.1"} %v
http_request_duration_seconds_bucket{method="GET",route="/",le="1"} %v
http_request_duration_seconds_bucket{method="GET",route="/",le="+Inf"} %v
http_request_duration_seconds_sum{method="GET",route="/"} 1
http_request_duration_seconds_count{method="GET",route="/"} %v
# TYPE grpc_client_handled_total counter
grpc_client_handled_total{grpc_code="OK",grpc_method="GetProduct",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary"} %v
grpc_client_handled_total{grpc_code="Unavailable",grpc_method="GetProduct",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary"} %v
grpc_client_handled_total{grpc_code="OK",grpc_method="PlaceOrder",grpc_service="bazaar.orders.v1.OrdersService",grpc_type="unary"} %v
grpc_client_handled_total{grpc_code="Canceled",grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream"} %v
# TYPE grpc_client_handling_seconds histogram
grpc_client_handling_seconds_bucket{grpc_method="GetProduct",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary",le="0.001"} 0
grpc_client_handling_seconds_bucket{grpc_method="GetProduct",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary",le="0.01"} %v
grpc_client_handling_seconds_bucket{grpc_method="GetProduct",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary",le="+Inf"} %v
grpc_client_handling_seconds_sum{grpc_method="GetProduct",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary"} 0.1
grpc_client_handling_seconds_count{grpc_method="GetProduct",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary"} %v
`, ok, failed, b10ms, b100ms, b1s, count, count, catalogOK, catalogUnavailable, ordersOK, healthWatches, catalogFast, catalogFast, catalogFast)
}

// grpcServerMetrics is a gRPC service: OK and NotFound answers, with a
// latency histogram, and health watches that must not count.
func grpcServerMetrics(service string, ok, notFound, healthWatches float64) string {
	total := ok + notFound
	return process(1000, 0, 20e6) + fmt.Sprintf(`# TYPE grpc_server_handled_total counter
grpc_server_handled_total{grpc_code="OK",grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary"} %[2]v
grpc_server_handled_total{grpc_code="NotFound",grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary"} %[3]v
grpc_server_handled_total{grpc_code="Canceled",grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream"} %[4]v
# TYPE grpc_server_handling_seconds histogram
grpc_server_handling_seconds_bucket{grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary",le="0.005"} %[5]v
grpc_server_handling_seconds_bucket{grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary",le="+Inf"} %[5]v
grpc_server_handling_seconds_sum{grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary"} 0.01
grpc_server_handling_seconds_count{grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary"} %[5]v
grpc_server_handling_seconds_bucket{grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream",le="0.005"} 0
grpc_server_handling_seconds_bucket{grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream",le="+Inf"} %[4]v
grpc_server_handling_seconds_sum{grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream"} 900
grpc_server_handling_seconds_count{grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream"} %[4]v
`, service, ok, notFound, healthWatches, total)
}

func ordersMetrics(served, inventoryCalls, published, publishFailed float64) string {
	return grpcServerMetrics("orders", served, 0, 0) + fmt.Sprintf(`# TYPE grpc_client_handled_total counter
grpc_client_handled_total{grpc_code="OK",grpc_method="Reserve",grpc_service="bazaar.inventory.v1.InventoryService",grpc_type="unary"} %v
# TYPE bazaar_events_published_total counter
bazaar_events_published_total{producer="orders",result="ok",type="order.placed"} %v
bazaar_events_published_total{producer="orders",result="error",type="order.placed"} %v
`, inventoryCalls, published, publishFailed)
}

func notificationsMetrics(applied, retried, duplicates float64) string {
	return process(1000, 0, 10e6) + fmt.Sprintf(`# TYPE bazaar_events_consumed_total counter
bazaar_events_consumed_total{consumer="notifications-orders",result="applied",type="order.placed"} %v
bazaar_events_consumed_total{consumer="notifications-orders",result="retry",type="order.placed"} %v
bazaar_events_consumed_total{consumer="notifications-orders",result="duplicate",type="order.placed"} %v
# TYPE bazaar_events_consume_seconds histogram
bazaar_events_consume_seconds_bucket{consumer="notifications-orders",type="order.placed",le="0.01"} %v
bazaar_events_consume_seconds_bucket{consumer="notifications-orders",type="order.placed",le="+Inf"} %v
bazaar_events_consume_seconds_sum{consumer="notifications-orders",type="order.placed"} 0.01
bazaar_events_consume_seconds_count{consumer="notifications-orders",type="order.placed"} %v
`, applied, retried, duplicates, applied+retried, applied+retried, applied+retried)
}

// shop is a set of fake instances scraped by one scraper.
type shop struct {
	clock                                                           *fakeClock
	scraper                                                         *Scraper
	storefront, catalog1, catalog2, orders, notifs, inventory, nats *fakeAdmin
}

func newShop(t *testing.T) *shop {
	s := &shop{clock: &fakeClock{now: t0}}
	for _, f := range []**fakeAdmin{&s.storefront, &s.catalog1, &s.catalog2, &s.orders, &s.notifs, &s.inventory, &s.nats} {
		*f = newFakeAdmin(t)
	}
	s.inventory.set(process(1000, 0, 1e6))
	s.nats.status = http.StatusNotFound
	targets := []Target{
		{Instance: "storefront-1", Service: "storefront", Addr: s.storefront.addr(), Public: true},
		{Instance: "catalog-1", Service: "catalog", Addr: s.catalog1.addr()},
		{Instance: "catalog-2", Service: "catalog", Addr: s.catalog2.addr()},
		{Instance: "orders-1", Service: "orders", Addr: s.orders.addr()},
		{Instance: "notifications-1", Service: "notifications", Addr: s.notifs.addr()},
		{Instance: "inventory-1", Service: "inventory", Addr: s.inventory.addr()},
		{Instance: "nats-1", Service: "nats", Addr: s.nats.addr()},
	}
	sc, err := NewScraper(ScraperConfig{Targets: func() []Target { return targets }, Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s.scraper = sc
	return s
}

// scrapeTwice scrapes the shop two seconds apart with traffic between.
func (s *shop) scrapeTwice() {
	s.storefront.set(storefrontMetrics(100, 0, 10, 10, 10, 50, 0, 50, 0, 3, 1.0))
	s.catalog1.set(grpcServerMetrics("catalog", 10, 0, 5))
	s.catalog2.set(grpcServerMetrics("catalog", 10, 0, 5))
	s.orders.set(ordersMetrics(0, 0, 10, 1))
	s.notifs.set(notificationsMetrics(4, 0, 1))
	s.scraper.ScrapeOnce(context.Background())

	s.clock.now = s.clock.now.Add(2 * time.Second)
	// storefront: 100 requests, 2 failed; 50 under 10ms, 90 under 100ms,
	// all under 1s. 30 catalog calls, 10 unavailable, all under 10ms.
	s.storefront.set(storefrontMetrics(198, 2, 60, 100, 110, 70, 10, 80, 4, 9, 1.5))
	s.catalog1.set(grpcServerMetrics("catalog", 30, 0, 9))
	s.catalog2.set(grpcServerMetrics("catalog", 30, 4, 9))
	s.orders.set(ordersMetrics(4, 4, 16, 2))
	s.notifs.set(notificationsMetrics(8, 2, 1))
	s.scraper.ScrapeOnce(context.Background())
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestScraperGoldenSignals(t *testing.T) {
	s := newShop(t)
	s.scrapeTwice()

	tests := []struct {
		service                             string
		rate, errRate, ratio, p50, p99, cpu float64
		instances                           int
	}{
		{"storefront", 50, 1, 0.02, 10, 910, 0.25, 1},
		{"catalog", 22, 2, 2.0 / 22, 2.5, 4.95, 0, 2},
		{"orders", 2, 0, 0, 2.5, 4.95, 0, 1},
	}
	for _, tc := range tests {
		p, ok := s.scraper.Current(tc.service)
		if !ok {
			t.Errorf("%s: no current signals", tc.service)
			continue
		}
		got := []float64{p.Rate, p.ErrorRate, p.ErrorRatio, p.P50, p.P99, p.CPU}
		want := []float64{tc.rate, tc.errRate, tc.ratio, tc.p50, tc.p99, tc.cpu}
		for i, name := range []string{"rate", "error rate", "error ratio", "p50", "p99", "cpu"} {
			if !near(got[i], want[i]) {
				t.Errorf("%s %s = %v, want %v", tc.service, name, got[i], want[i])
			}
		}
		if p.Instances != tc.instances {
			t.Errorf("%s instances = %d, want %d", tc.service, p.Instances, tc.instances)
		}
	}
	if series := s.scraper.Series("storefront", time.Time{}); len(series) != 1 || !series[0].Time.Equal(s.clock.now) {
		t.Errorf("storefront series after two scrapes: %+v, want one point at %v", series, s.clock.now)
	}
	if p, _ := s.scraper.Current("storefront"); p.RSS != 50e6 {
		t.Errorf("storefront RSS = %v, want 50e6", p.RSS)
	}

	st, ok := s.scraper.Instance("catalog-2")
	if !ok || !st.Up || !near(st.Rate, 12) || !near(st.ErrorRate, 2) {
		t.Errorf("catalog-2 stats = %+v, want up at 12 req/s with 2 errors/s", st)
	}
	nats, ok := s.scraper.Instance("nats-1")
	if !ok || nats.Up || !nats.NoMetrics || !strings.Contains(nats.Error, "404") {
		t.Errorf("nats-1 (no /metrics) stats = %+v, want down with a 404", nats)
	}
	if _, ok := s.scraper.Current("nats"); ok {
		t.Error("nats has signals without metrics")
	}
	if got := s.scraper.Services(); !slices.Equal(got, []string{"catalog", "inventory", "nats", "notifications", "orders", "storefront"}) {
		t.Errorf("services = %v", got)
	}
}

func TestScraperTopology(t *testing.T) {
	s := newShop(t)
	s.scrapeTwice()
	topo := s.scraper.Topology()

	type edgeWant struct {
		rate, ratio, p99 float64
	}
	want := map[EdgeKey]edgeWant{
		{EdgeNode, "storefront", "http"}:     {50, 0.02, 910},
		{"storefront", "catalog", "grpc"}:    {15, 1.0 / 3, 1 + 9*0.99},
		{"storefront", "orders", "grpc"}:     {2, 0, 0},
		{"orders", "inventory", "grpc"}:      {2, 0, 0},
		{"orders", "notifications", "event"}: {3, 1.0 / 3, 10 * 0.99},
	}
	got := map[EdgeKey]Edge{}
	for _, e := range topo.Edges {
		got[EdgeKey{e.From, e.To, e.Kind}] = e
	}
	for k, w := range want {
		e, ok := got[k]
		if !ok {
			t.Errorf("edge %v missing", k)
			continue
		}
		if !near(e.Rate, w.rate) || !near(e.ErrorRatio, w.ratio) || !near(e.P99, w.p99) {
			t.Errorf("edge %v = rate %v errors %v p99 %v, want %v", k, e.Rate, e.ErrorRatio, e.P99, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected edge %v", k)
		}
	}

	layers := map[string]int{}
	kinds := map[string]string{}
	for _, n := range topo.Nodes {
		layers[n.Name], kinds[n.Name] = n.Layer, n.Kind
	}
	wantLayers := map[string]int{EdgeNode: 0, "storefront": 1, "catalog": 2, "orders": 2, "notifications": 2, "inventory": 3, "nats": 4}
	for n, l := range wantLayers {
		if got, ok := layers[n]; !ok || got != l {
			t.Errorf("node %s layer = %d (present %v), want %d", n, got, ok, l)
		}
	}
	if kinds[EdgeNode] != "edge" || kinds["nats"] != "bus" || kinds["orders"] != "service" {
		t.Errorf("node kinds = %v", kinds)
	}
	for _, n := range topo.Nodes {
		if n.Name == "nats" && !near(n.Signals.Rate, 3) {
			t.Errorf("bus rate = %v, want 3 events/s published", n.Signals.Rate)
		}
	}
}

func TestScraperCountsFromZeroAfterRestart(t *testing.T) {
	clock := &fakeClock{now: t0}
	admin := newFakeAdmin(t)
	targets := []Target{{Instance: "catalog-1", Service: "catalog", Addr: admin.addr()}}
	sc, err := NewScraper(ScraperConfig{Targets: func() []Target { return targets }, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	admin.set(grpcServerMetrics("catalog", 100, 0, 0))
	sc.ScrapeOnce(context.Background())
	clock.now = clock.now.Add(2 * time.Second)
	admin.set(strings.Replace(grpcServerMetrics("catalog", 6, 0, 0), "process_start_time_seconds 1000", "process_start_time_seconds 2000", 1))
	sc.ScrapeOnce(context.Background())
	if p, ok := sc.Current("catalog"); !ok || !near(p.Rate, 3) {
		t.Errorf("rate after a restart = %v (measured %v), want 3", p.Rate, ok)
	}
}

func TestScraperKeepsOnlyTheWindow(t *testing.T) {
	clock := &fakeClock{now: t0}
	admin := newFakeAdmin(t)
	targets := []Target{{Instance: "catalog-1", Service: "catalog", Addr: admin.addr()}}
	sc, err := NewScraper(ScraperConfig{Targets: func() []Target { return targets }, Now: clock.Now, Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		admin.set(grpcServerMetrics("catalog", float64(10*i), 0, 0))
		sc.ScrapeOnce(context.Background())
		clock.now = clock.now.Add(2 * time.Second)
	}
	if n := len(sc.Series("catalog", time.Time{})); n != 3 {
		t.Fatalf("series has %d points after 4 scrapes, want 3", n)
	}
	if n := len(sc.Series("catalog", t0.Add(5*time.Second))); n != 1 {
		t.Errorf("series since t0+5s has %d points, want 1", n)
	}
	clock.now = clock.now.Add(2 * time.Minute)
	admin.set(grpcServerMetrics("catalog", 50, 0, 0))
	sc.ScrapeOnce(context.Background())
	if pts := sc.Series("catalog", time.Time{}); len(pts) != 1 || !pts[0].Time.Equal(clock.now) {
		t.Errorf("after two minutes the series is %+v, want only the newest point", pts)
	}
	targets = nil
	sc.ScrapeOnce(context.Background())
	if _, ok := sc.Instance("catalog-1"); ok {
		t.Error("an instance no longer targeted is still reported")
	}
}
