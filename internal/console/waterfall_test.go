package console

import (
	"math"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/internal/observe"
)

func TestLayoutWaterfall(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	sp := func(id, parent, service string, startMS, durMS int) observe.Span {
		return observe.Span{SpanID: id, ParentID: parent, Service: service, Name: id,
			Start: t0.Add(time.Duration(startMS) * time.Millisecond), Duration: time.Duration(durMS) * time.Millisecond}
	}
	w := layoutWaterfall("t", []observe.Span{
		sp("consume", "gone", "notifications", 150, 50), // parent never received
		sp("root", "", "storefront", 0, 200),
		sp("late", "root", "orders", 100, 0),
		sp("early", "root", "orders", 20, 60),
		sp("x", "y", "cart", 10, 10), // a cycle of parents
		sp("y", "x", "cart", 12, 5),
	})
	want := []struct {
		id          string
		depth       int
		left, width float64
		orphan      bool
	}{
		{"root", 0, 0, 100, false},
		{"early", 1, 10, 30, false},
		{"late", 1, 50, 0.2, false},
		{"consume", 0, 75, 25, true},
		{"x", 0, 5, 5, false},
		{"y", 1, 6, 2.5, false},
	}
	if len(w.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(w.Rows), len(want), w.Rows)
	}
	for i, r := range w.Rows {
		wr := want[i]
		if r.SpanID != wr.id || r.Depth != wr.depth || math.Abs(r.Left-wr.left) > 1e-9 || math.Abs(r.Width-wr.width) > 1e-9 || r.Orphan != wr.orphan {
			t.Errorf("row %d = %s depth %d left %v width %v orphan %v, want %+v", i, r.SpanID, r.Depth, r.Left, r.Width, r.Orphan, wr)
		}
	}
	if w.DurationMS != 200 || len(w.Ticks) != 5 || w.Ticks[4].Label != "200.0ms" {
		t.Errorf("duration %v, ticks %+v", w.DurationMS, w.Ticks)
	}
	if len(w.Legend) != 4 || w.Legend[0].Service != "cart" || w.Legend[0].Spans != 2 {
		t.Errorf("legend %+v", w.Legend)
	}
}

func TestColorClassIsStable(t *testing.T) {
	if colorClass("storefront") != "c0" || colorClass("payment") != "c7" {
		t.Errorf("known services: storefront %s, payment %s", colorClass("storefront"), colorClass("payment"))
	}
	// The same FNV-1a as console.js: "warehouse" hashes to 0x6771db24.
	if got := colorClass("warehouse"); got != "c0" {
		t.Errorf("colorClass(warehouse) = %s", got)
	}
}

func TestFormats(t *testing.T) {
	tests := []struct{ got, want string }{
		{fmtRate(0), "0"}, {fmtRate(3.14159), "3.14"}, {fmtRate(42.42), "42.4"}, {fmtRate(12345), "12345"},
		{fmtPct(0), "0%"}, {fmtPct(0.0004), "<0.1%"}, {fmtPct(0.125), "12.5%"},
		{fmtMS(0), "0"}, {fmtMS(0.25), "250µs"}, {fmtMS(4.5), "4.50ms"}, {fmtMS(910), "910.0ms"}, {fmtMS(2500), "2.50s"},
		{fmtBytes(512), "512B"}, {fmtBytes(25e6), "23.8MiB"}, {fmtCPU(0.25), "25%"},
		{fmtUptime(42), "42s"}, {fmtUptime(125), "2m05s"}, {fmtUptime(5400), "1h30m"}, {fmtUptime(90000), "1d01h"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
