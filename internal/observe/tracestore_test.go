package observe

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// span builds a span of trace tr starting at t0+startMS lasting durMS.
func span(tr, id, parent, service string, startMS, durMS int) Span {
	return Span{TraceID: tr, SpanID: id, ParentID: parent, Service: service, Name: service + "/" + id,
		Start: t0.Add(time.Duration(startMS) * time.Millisecond), Duration: time.Duration(durMS) * time.Millisecond, Status: "unset"}
}

func ids(sums []TraceSummary) []string {
	out := make([]string, len(sums))
	for i, s := range sums {
		out[i] = s.TraceID
	}
	return out
}

func TestTraceStoreEvictsLeastRecentlyUpdated(t *testing.T) {
	s := NewTraceStore(TraceLimits{MaxTraces: 3})
	for i := range 3 {
		s.Add([]Span{span(fmt.Sprint("t", i), "a", "", "orders", i, 10)})
	}
	s.Add([]Span{span("t0", "b", "a", "payment", 1, 5)}) // t0 updated: t1 is now the oldest
	s.Add([]Span{span("t3", "a", "", "orders", 3, 10)})
	if s.Len() != 3 {
		t.Fatalf("Len = %d, want 3", s.Len())
	}
	if _, ok := s.Trace("t1"); ok {
		t.Error("t1, the least recently updated trace, was kept")
	}
	for _, id := range []string{"t0", "t2", "t3"} {
		if _, ok := s.Trace(id); !ok {
			t.Errorf("%s was evicted", id)
		}
	}
}

func TestTraceStoreBoundsSpans(t *testing.T) {
	s := NewTraceStore(TraceLimits{MaxSpansPerTrace: 2, MaxSpans: 3})
	s.Add([]Span{span("big", "a", "", "orders", 0, 10), span("big", "b", "a", "orders", 1, 1), span("big", "c", "a", "orders", 2, 1)})
	if spans, _ := s.Trace("big"); len(spans) != 2 {
		t.Errorf("trace over MaxSpansPerTrace kept %d spans, want 2", len(spans))
	}
	s.Add([]Span{span("next", "a", "", "cart", 5, 1), span("next", "b", "a", "cart", 5, 1)})
	if _, ok := s.Trace("big"); ok {
		t.Error("store over MaxSpans kept the oldest trace")
	}
	if spans, ok := s.Trace("next"); !ok || len(spans) != 2 {
		t.Errorf("newest trace: %d spans, kept %v", len(spans), ok)
	}
}

func TestTraceStoreIgnoresRepeatedSpans(t *testing.T) {
	s := NewTraceStore(TraceLimits{})
	sp := span("t", "a", "", "orders", 0, 10)
	s.Add([]Span{sp})
	s.Add([]Span{sp}) // an exporter retry
	if spans, _ := s.Trace("t"); len(spans) != 1 {
		t.Errorf("repeated span stored %d times", len(spans))
	}
}

func TestTraceStoreLists(t *testing.T) {
	s := NewTraceStore(TraceLimits{})
	failed := span("slow", "c", "b", "payment", 20, 30)
	failed.Status = "error"
	s.Add([]Span{
		span("fast", "a", "", "storefront", 100, 5),
		span("slow", "a", "", "storefront", 0, 400),
		span("slow", "b", "a", "orders", 10, 100),
		failed,
		span("mid", "x", "missing-parent", "notifications", 50, 80), // parent not received
		span("mid", "y", "x", "notifications", 60, 10),
	})
	tests := []struct {
		name  string
		got   []TraceSummary
		order []string
	}{
		{"recent", s.Recent(TraceFilter{}, 0), []string{"fast", "mid", "slow"}},
		{"recent limited", s.Recent(TraceFilter{}, 2), []string{"fast", "mid"}},
		{"slowest", s.Slowest(TraceFilter{}, 0), []string{"slow", "mid", "fast"}},
		{"by service", s.Recent(TraceFilter{Service: "payment"}, 0), []string{"slow"}},
		{"errors only", s.Slowest(TraceFilter{ErrorsOnly: true}, 0), []string{"slow"}},
		{"min duration", s.Recent(TraceFilter{MinDuration: 50 * time.Millisecond}, 0), []string{"mid", "slow"}},
	}
	for _, tc := range tests {
		if got := ids(tc.got); !slices.Equal(got, tc.order) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.order)
		}
	}
	slow := s.Slowest(TraceFilter{}, 1)[0]
	if slow.Root != "storefront/a" || slow.Service != "storefront" || slow.Duration != 400*time.Millisecond ||
		slow.Spans != 3 || slow.Errors != 1 || !slices.Equal(slow.Services, []string{"orders", "payment", "storefront"}) {
		t.Errorf("slow summary = %+v", slow)
	}
	if mid := s.Recent(TraceFilter{Service: "notifications"}, 1)[0]; mid.Root != "notifications/x" {
		t.Errorf("trace whose root parent is missing: root %q, want notifications/x", mid.Root)
	}
	spans, _ := s.Trace("slow")
	var names []string
	for _, sp := range spans {
		names = append(names, sp.Name)
	}
	if !slices.Equal(names, []string{"storefront/a", "orders/b", "payment/c"}) {
		t.Errorf("spans of slow by start: %v", names)
	}
}
