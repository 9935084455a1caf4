package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/internal/observe"
)

// fakeOperator records the operations asked of it.
type fakeOperator struct {
	mu        sync.Mutex
	instances []InstanceInfo
	faults    []Fault
	err       error       // returned by every operation when set
	calls     chan string // one line per operation: "kill catalog-1"
}

func newFakeOperator(instances ...InstanceInfo) *fakeOperator {
	return &fakeOperator{instances: instances, calls: make(chan string, 16)}
}

func (f *fakeOperator) Instances() []InstanceInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]InstanceInfo(nil), f.instances...)
}

func (f *fakeOperator) record(call string) error {
	f.calls <- call
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakeOperator) Kill(id string) error { return f.record("kill " + id) }

func (f *fakeOperator) Restart(_ context.Context, service string) error {
	return f.record("restart " + service)
}

func (f *fakeOperator) Scale(_ context.Context, service string, n int) error {
	return f.record(fmt.Sprintf("scale %s %d", service, n))
}

func (f *fakeOperator) SetFault(_ context.Context, fault Fault) error {
	if err := f.record(fmt.Sprintf("fault %s>%s %v %v %v", fault.From, fault.To, fault.Latency, fault.ErrorRate, fault.Blackhole)); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault)
	return nil
}

func (f *fakeOperator) ClearFaults(context.Context) error {
	if err := f.record("clear faults"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
	return nil
}

func (f *fakeOperator) Faults() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Fault(nil), f.faults...)
}

// nextCall waits for the operator's next operation.
func (f *fakeOperator) nextCall(t *testing.T) string {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the operator was not called")
		return ""
	}
}

// noCall checks the operator was not called.
func (f *fakeOperator) noCall(t *testing.T) {
	t.Helper()
	select {
	case c := <-f.calls:
		t.Errorf("unexpected operation %q", c)
	case <-time.After(50 * time.Millisecond):
	}
}

// fakeMailbox is a notifications server with fixed messages.
type fakeMailbox struct {
	notificationsv1.UnimplementedNotificationsServiceServer
	messages []*notificationsv1.Message
	err      error
}

func (m *fakeMailbox) ListMessages(_ context.Context, req *notificationsv1.ListMessagesRequest) (*notificationsv1.ListMessagesResponse, error) {
	if m.err != nil {
		return nil, m.err
	}
	var out []*notificationsv1.Message
	for _, msg := range m.messages {
		if req.GetTo() == "" || strings.EqualFold(req.GetTo(), msg.GetTo()) {
			out = append(out, msg)
		}
	}
	return &notificationsv1.ListMessagesResponse{Messages: out}, nil
}

// mailboxClient serves m over bufconn and returns a client of it.
func mailboxClient(t *testing.T, m *fakeMailbox) notificationsv1.NotificationsServiceClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	notificationsv1.RegisterNotificationsServiceServer(srv, m)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///mailbox",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return notificationsv1.NewNotificationsServiceClient(conn)
}

const (
	checkoutTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	otherTrace    = "0af7651916cd43dd8448eb211c80319c"
)

// counterAdmin is an admin port whose request counter grows by 10 on every
// scrape, with every request under 5ms.
func counterAdmin(t *testing.T, service string, calls string) *httptest.Server {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		n += 10
		v := n
		mu.Unlock()
		fmt.Fprintf(w, `# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 2.5e+07
# TYPE grpc_server_handled_total counter
grpc_server_handled_total{grpc_code="OK",grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary"} %[2]d
# TYPE grpc_server_handling_seconds histogram
grpc_server_handling_seconds_bucket{grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary",le="0.005"} %[2]d
grpc_server_handling_seconds_bucket{grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary",le="+Inf"} %[2]d
grpc_server_handling_seconds_sum{grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary"} 0.01
grpc_server_handling_seconds_count{grpc_method="Get",grpc_service="bazaar.%[1]s.v1.Service",grpc_type="unary"} %[2]d
%[3]s`, service, v, strings.ReplaceAll(calls, "N", fmt.Sprint(v)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fixture is a console over a small shop: storefront calling orders,
// two orders instances, a checkout trace, logs and a mailbox.
type fixture struct {
	op      *fakeOperator
	console *Console
	srv     *httptest.Server
	mailbox *fakeMailbox
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	started := time.Now().Add(-90 * time.Minute)
	front := counterAdmin(t, "storefront", `# TYPE grpc_client_handled_total counter
grpc_client_handled_total{grpc_code="OK",grpc_method="PlaceOrder",grpc_service="bazaar.orders.v1.OrdersService",grpc_type="unary"} N
`)
	orders1, orders2 := counterAdmin(t, "orders", ""), counterAdmin(t, "orders", "")
	op := newFakeOperator(
		InstanceInfo{ID: "storefront-1", Service: "storefront", PID: 101, Started: started, Ready: true, AdminAddr: strings.TrimPrefix(front.URL, "http://"), HTTPAddr: "127.0.0.1:8080", Version: "v1.0.0"},
		InstanceInfo{ID: "orders-1", Service: "orders", PID: 102, Started: started, Ready: true, Restarts: 2, AdminAddr: strings.TrimPrefix(orders1.URL, "http://"), GRPCAddr: "127.0.0.1:4001"},
		InstanceInfo{ID: "orders-2", Service: "orders", PID: 103, Started: started, Ready: false, Version: "v1.9.0", AdminAddr: strings.TrimPrefix(orders2.URL, "http://"), GRPCAddr: "127.0.0.1:4002"},
	)

	clock := time.Now()
	scraper, err := observe.NewScraper(observe.ScraperConfig{Targets: ScrapeTargets(op), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	scraper.ScrapeOnce(context.Background())
	clock = clock.Add(2 * time.Second)
	scraper.ScrapeOnce(context.Background())

	traces := observe.NewTraceStore(observe.TraceLimits{})
	t0 := time.Now().Add(-time.Minute)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	traces.Add([]observe.Span{
		{TraceID: checkoutTrace, SpanID: "a000000000000001", Service: "storefront", Name: "POST /api/v1/checkout", Kind: "server", Start: at(0), Duration: 120 * time.Millisecond, Status: "unset"},
		{TraceID: checkoutTrace, SpanID: "a000000000000002", ParentID: "a000000000000001", Service: "storefront", Name: "bazaar.orders.v1.OrdersService/PlaceOrder", Kind: "client", Start: at(10), Duration: 100 * time.Millisecond, Status: "unset"},
		{TraceID: checkoutTrace, SpanID: "a000000000000003", ParentID: "a000000000000002", Service: "orders", Instance: "orders-1", Name: "bazaar.orders.v1.OrdersService/PlaceOrder", Kind: "server", Start: at(12), Duration: 95 * time.Millisecond, Status: "unset",
			Attributes: []observe.Attribute{{Key: "rpc.method", Value: "PlaceOrder"}}},
		{TraceID: checkoutTrace, SpanID: "a000000000000004", ParentID: "a000000000000003", Service: "payment", Name: "bazaar.payment.v1.PaymentService/Charge", Kind: "server", Start: at(50), Duration: 40 * time.Millisecond, Status: "error", StatusMessage: "card declined"},
		{TraceID: otherTrace, SpanID: "b000000000000001", Service: "storefront", Name: "GET /", Kind: "server", Start: at(500), Duration: 3 * time.Millisecond, Status: "unset"},
	})

	dir := t.TempDir()
	logLine := func(level, msg, instance, trace string) string {
		tr := ""
		if trace != "" {
			tr = `,"trace_id":"` + trace + `","span_id":"a000000000000003"`
		}
		return fmt.Sprintf(`{"time":"2026-05-01T12:00:00Z","level":%q,"msg":%q,"service":"orders","instance":%q,"version":"v2.0.0"%s}`+"\n", level, msg, instance, tr)
	}
	logs := logLine("INFO", "order placed", "orders-1", checkoutTrace) + logLine("WARN", "payment declined", "orders-1", checkoutTrace) + logLine("INFO", "serving", "orders-2", "")
	if err := os.WriteFile(filepath.Join(dir, "orders-1.log"), []byte(logs), 0o600); err != nil {
		t.Fatal(err)
	}
	tail, err := observe.NewLogTail(observe.LogConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := tail.Poll(); err != nil {
		t.Fatal(err)
	}

	mb := &fakeMailbox{messages: []*notificationsv1.Message{{
		Id: "m1", To: "ada@example.com", Subject: "Your order is confirmed", Body: "Order o-1 is confirmed.",
		Kind: notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CONFIRMED, OrderId: "o-1", CreateTime: timestamppb.New(t0),
	}}}
	c, err := New(Config{Operator: op, Traces: traces, Metrics: scraper, Logs: tail, Mailbox: mailboxClient(t, mb)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() {
		srv.Close()
		c.Close()
	})
	return &fixture{op: op, console: c, srv: srv, mailbox: mb}
}

// get fetches path and returns the status and body.
func (f *fixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// getJSON fetches path, expecting 200 and JSON, into v.
func (f *fixture) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	status, body := f.get(t, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// send makes a request as the console's own script does, with headers
// adjusted by edit, and returns the status and body.
func (f *fixture) send(t *testing.T, method, path, body string, edit func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(tokenHeader, f.console.token)
	req.Header.Set("Origin", f.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// waitActions waits until no action is running and returns them.
func (f *fixture) waitActions(t *testing.T) []Action {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var d struct{ Actions []Action }
		f.getJSON(t, "/api/actions", &d)
		running := false
		for _, a := range d.Actions {
			running = running || a.State == "running"
		}
		if !running {
			return d.Actions
		}
		if time.Now().After(deadline) {
			t.Fatalf("actions still running: %+v", d.Actions)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
