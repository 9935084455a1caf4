package observe

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/platform/telemetry"
)

// TestScraperReadsRealTelemetry scrapes the metrics platform/telemetry
// really exports, served as a service's admin port serves them (OpenMetrics
// enabled, with exemplars), after real gRPC calls.
func TestScraperReadsRealTelemetry(t *testing.T) {
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.Options{Service: "notifications", Instance: "notifications-1", LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(tel.ServerOptions()...)
	notificationsv1.RegisterNotificationsServiceServer(srv, notificationsv1.UnimplementedNotificationsServiceServer{})
	tel.InitializeGRPCMetrics(srv)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	dial := append(tel.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	conn, err := grpc.NewClient("passthrough:///notifications", dial...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := notificationsv1.NewNotificationsServiceClient(conn)

	admin := httptest.NewServer(promhttp.HandlerFor(tel.Registry, promhttp.HandlerOpts{Registry: tel.Registry, EnableOpenMetrics: true}))
	defer admin.Close()
	clock := &fakeClock{now: t0}
	targets := []Target{{Instance: "notifications-1", Service: "notifications", Addr: strings.TrimPrefix(admin.URL, "http://")}}
	sc, err := NewScraper(ScraperConfig{Targets: func() []Target { return targets }, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	sc.ScrapeOnce(ctx)
	for range 8 { // Unimplemented: every call fails
		_, _ = client.ListMessages(ctx, &notificationsv1.ListMessagesRequest{})
	}
	clock.now = clock.now.Add(4 * time.Second)
	sc.ScrapeOnce(ctx)

	st, _ := sc.Instance("notifications-1")
	if !st.Up {
		t.Fatalf("scrape failed: %s", st.Error)
	}
	p, ok := sc.Current("notifications")
	if !ok || p.Rate != 2 || p.ErrorRatio != 1 || p.P99 <= 0 || p.RSS <= 0 {
		t.Errorf("signals from real telemetry = %+v, want 2 req/s all failed, a p99 and an RSS", p)
	}
	var self *Edge
	for _, e := range sc.Topology().Edges {
		if e.From == "notifications" && e.To == "notifications" && e.Kind == "grpc" {
			self = &e
		}
	}
	if self == nil || self.Rate != 2 || self.P99 <= 0 {
		t.Errorf("client edge from real telemetry = %+v, want notifications → notifications at 2/s", self)
	}
}
