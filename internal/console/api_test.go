package console

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/internal/observe"
)

func TestOverviewJSON(t *testing.T) {
	f := newFixture(t)
	var d overview
	f.getJSON(t, "/api/overview", &d)
	if len(d.Services) != 2 {
		t.Fatalf("services = %+v, want storefront and orders", d.Services)
	}
	front, orders := d.Services[0], d.Services[1]
	if front.Name != "storefront" || orders.Name != "orders" {
		t.Fatalf("service order %s, %s: want the edge service first", front.Name, orders.Name)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"orders health", orders.Health, "degraded"},
		{"orders ready", orders.Ready, 1},
		{"orders total", orders.Total, 2},
		{"orders restarts", orders.Restarts, 2},
		{"orders version (from logs)", orders.Version, "mixed"},
		{"orders measured", orders.Measured, true},
		{"orders rate", orders.Signals.Rate, 10.0},
		{"orders p99", orders.Signals.P99, 4.95},
		{"orders series points", len(orders.Series.T), 1},
		{"storefront health", front.Health, "ok"},
		{"storefront version", front.Version, "v1.0.0"},
		{"instances of orders", len(orders.Instances), 2},
		{"orders-1 pid", orders.Instances[0].PID, 102},
		{"orders-1 scraped", orders.Instances[0].Scrape != nil && orders.Instances[0].Scrape.Up, true},
		{"orders-2 ready", orders.Instances[1].Ready, false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if up := orders.Instances[0].UptimeSeconds; up < 89*60 || up > 91*60 {
		t.Errorf("orders-1 uptime %vs, want about 90 minutes", up)
	}
}

func TestTopologyJSON(t *testing.T) {
	f := newFixture(t)
	var topo struct {
		Nodes []struct {
			Name, Kind, Health string
			Layer, Ready       int
		}
		Edges []observe.Edge
	}
	f.getJSON(t, "/api/topology", &topo)
	var found bool
	for _, e := range topo.Edges {
		if e.From == "storefront" && e.To == "orders" && e.Kind == "grpc" {
			found = true
			if e.Rate != 5 {
				t.Errorf("storefront → orders rate %v, want 5/s", e.Rate)
			}
		}
	}
	if !found {
		t.Errorf("no storefront → orders edge in %+v", topo.Edges)
	}
	layers := map[string]int{}
	for _, n := range topo.Nodes {
		layers[n.Name] = n.Layer
		if n.Name == "orders" && (n.Health != "degraded" || n.Ready != 1) {
			t.Errorf("orders node %+v, want degraded with 1 ready", n)
		}
	}
	if layers["edge"] != 0 || layers["storefront"] != 1 || layers["orders"] != 2 {
		t.Errorf("layers %v", layers)
	}
}

func TestTracesAndLogsJSON(t *testing.T) {
	f := newFixture(t)
	var list struct{ Traces []observe.TraceSummary }
	f.getJSON(t, "/api/traces?sort=slowest&limit=1", &list)
	if len(list.Traces) != 1 || list.Traces[0].TraceID != checkoutTrace || list.Traces[0].Errors != 1 {
		t.Errorf("slowest trace = %+v, want the checkout with one error", list.Traces)
	}
	var one struct {
		TraceID string `json:"trace_id"`
		Spans   []observe.Span
	}
	f.getJSON(t, "/api/traces/"+checkoutTrace, &one)
	if one.TraceID != checkoutTrace || len(one.Spans) != 4 || one.Spans[3].Service != "payment" {
		t.Errorf("trace = %+v", one)
	}
	var logs struct {
		LastSeq int64 `json:"last_seq"`
		Lines   []observe.LogLine
	}
	f.getJSON(t, "/api/logs?level=warn", &logs)
	if logs.LastSeq != 3 || len(logs.Lines) != 1 || logs.Lines[0].Msg != "payment declined" || logs.Lines[0].TraceID != checkoutTrace {
		t.Errorf("warn logs = %+v", logs)
	}
	f.getJSON(t, "/api/logs?after=2", &logs)
	if len(logs.Lines) != 1 || logs.Lines[0].Seq != 3 {
		t.Errorf("logs after 2 = %+v", logs.Lines)
	}
	for _, bad := range []string{"/api/logs?level=loud", "/api/logs?after=-1", "/api/logs?trace=xyz", "/api/traces?limit=0", "/api/traces/abc", "/api/signals?minutes=999"} {
		if status, _ := f.get(t, bad); status != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", bad, status)
		}
	}
	if status, _ := f.get(t, "/api/traces/"+strings.Repeat("0", 32)); status != http.StatusNotFound {
		t.Errorf("unknown trace: %d, want 404", status)
	}
	if status, body := f.get(t, "/api/nothing"); status != http.StatusNotFound || !strings.Contains(body, `"not_found"`) {
		t.Errorf("unknown endpoint: %d %s", status, body)
	}
}

func TestSignalsJSON(t *testing.T) {
	f := newFixture(t)
	var d struct {
		EveryMS  int64 `json:"every_ms"`
		Services []struct {
			Name   string
			Series series
		}
	}
	f.getJSON(t, "/api/signals?minutes=5", &d)
	if d.EveryMS != 2000 || len(d.Services) != 2 {
		t.Fatalf("signals = %+v", d)
	}
	for _, s := range d.Services {
		if len(s.Series.T) != 1 || len(s.Series.Rate) != 1 || len(s.Series.P99) != 1 {
			t.Errorf("%s series = %+v, want one point", s.Name, s.Series)
		}
	}
}

func TestMailboxJSON(t *testing.T) {
	f := newFixture(t)
	var mb mailbox
	f.getJSON(t, "/api/mailbox?to=ADA@example.com", &mb)
	if !mb.Available || len(mb.Messages) != 1 || mb.Messages[0].Kind != "order_confirmed" || mb.Messages[0].OrderID != "o-1" {
		t.Errorf("mailbox = %+v", mb)
	}
	f.getJSON(t, "/api/mailbox?to=nobody@example.com", &mb)
	if !mb.Available || len(mb.Messages) != 0 {
		t.Errorf("mailbox of nobody = %+v", mb)
	}

	f.mailbox.err = errors.New("notifications is down")
	f.getJSON(t, "/api/mailbox", &mb)
	if mb.Available || !strings.Contains(mb.Error, "notifications is down") || mb.Messages == nil {
		t.Errorf("failing mailbox = %+v, want unavailable with the reason", mb)
	}
	if status, body := f.get(t, "/mailbox"); status != 200 || !strings.Contains(body, "mailbox unavailable: ") {
		t.Errorf("mailbox page when the service fails: %d", status)
	}

	f.console.cfg.Mailbox = nil
	f.getJSON(t, "/api/mailbox", &mb)
	if mb.Available || mb.Error == "" {
		t.Errorf("mailbox without a client = %+v, want unavailable", mb)
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "bad"} {
		if ln, err := Listen(addr); err == nil {
			ln.Close()
			t.Errorf("Listen(%q) accepted a non-loopback address", addr)
		}
	}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.console.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/api/overview")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("served overview: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the console still listens after Serve returned")
	}
}

func TestJSONListsAreNeverNull(t *testing.T) {
	op := newFakeOperator()
	scraper, err := observe.NewScraper(observe.ScraperConfig{Targets: ScrapeTargets(op)})
	if err != nil {
		t.Fatal(err)
	}
	tail, err := observe.NewLogTail(observe.LogConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Operator: op, Traces: observe.NewTraceStore(observe.TraceLimits{}), Metrics: scraper, Logs: tail})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	for _, path := range []string{"/api/overview", "/api/topology", "/api/signals", "/api/traces", "/api/logs", "/api/mailbox", "/api/actions", "/api/faults"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(body), "null") {
			t.Errorf("GET %s on an empty shop: %d %s (the script maps over every list)", path, resp.StatusCode, body)
		}
	}
}
