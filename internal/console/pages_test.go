package console

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestPagesRender(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		path   string
		status int
		want   []string
	}{
		{"/", 200, []string{`data-page="overview"`, `id="services"`, `data-service="orders"`, `data-instance="orders-2"`,
			`data-op="kill" data-instance="orders-1"`, `data-op="scale" data-service="orders" data-replicas="2" data-delta="1"`,
			`1/2 ready`, `v2.0.0`, `1h30m`}},
		{"/topology", 200, []string{`id="topology"`, `data-from="storefront" data-to="orders"`}},
		{"/signals", 200, []string{`id="signals"`, `class="card" data-service="orders"`}},
		{"/traces", 200, []string{`id="traces"`, `data-trace-id="` + checkoutTrace + `"`, `href="/traces/` + checkoutTrace + `"`, `POST /api/v1/checkout`}},
		{"/traces?sort=slowest&service=payment&errors=1", 200, []string{checkoutTrace}},
		{"/traces/" + checkoutTrace, 200, []string{`id="waterfall"`, `class="span" data-service="storefront"`,
			`class="span failed" data-service="payment"`, `card declined`, `rpc.method`, `payment declined`}},
		{"/logs", 200, []string{`id="logs"`, `class="log-line level-warn"`, `href="/traces/` + checkoutTrace + `"`}},
		{"/mailbox", 200, []string{`id="mailbox"`, `Your order is confirmed`, `order_confirmed`}},
		{"/faults", 200, []string{`id="fault-form"`, `<option>orders</option>`, `no fault injected`}},
		{"/traces/" + strings.Repeat("f", 32), 404, []string{"has not been received"}},
		{"/traces/not-a-trace", 400, []string{"is not a trace id"}},
		{"/traces?sort=sideways", 400, []string{"sort must be"}},
	}
	for _, tc := range tests {
		status, body := f.get(t, tc.path)
		if status != tc.status {
			t.Errorf("GET %s: status %d, want %d", tc.path, status, tc.status)
		}
		if !strings.Contains(body, `<meta name="console-token" content="`+f.console.token+`">`) {
			t.Errorf("GET %s: no token in the page", tc.path)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q in the page", tc.path, w)
			}
		}
	}
}

func TestWaterfallOrdersAndIndentsSpans(t *testing.T) {
	f := newFixture(t)
	_, body := f.get(t, "/traces/"+checkoutTrace)
	rows := regexp.MustCompile(`<details class="span[^"]*" data-service="([a-z]+)" data-span-id="([0-9a-f]+)"[^>]*>\s*<summary>\s*<div class="wf-name" style="padding-left: (\d+)px">`).FindAllStringSubmatch(body, -1)
	want := [][3]string{{"storefront", "a000000000000001", "0"}, {"storefront", "a000000000000002", "14"}, {"orders", "a000000000000003", "28"}, {"payment", "a000000000000004", "42"}}
	if len(rows) != len(want) {
		t.Fatalf("waterfall has %d rows, want %d:\n%s", len(rows), len(want), body)
	}
	for i, w := range want {
		if rows[i][1] != w[0] || rows[i][2] != w[1] || rows[i][3] != w[2] {
			t.Errorf("row %d = %v, want %v", i, rows[i][1:], w)
		}
	}
}

func TestStaticAssets(t *testing.T) {
	f := newFixture(t)
	for path, kind := range map[string]string{"/static/console.js": "javascript", "/static/console.css": "text/css"} {
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), kind) {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
