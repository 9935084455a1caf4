package console

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/bazaar-shop/bazaar/internal/observe"
)

// maxIndent bounds the indentation of deep spans.
const maxIndent = 24

// knownServices fixes the colours of Bazaar's services, so each keeps its
// colour on every page; other services get one by hash.
func knownServices() []string {
	return []string{"storefront", "accounts", "catalog", "pricing", "cart", "inventory",
		"orders", "payment", "shipping", "notifications", "recommendations", "nats"}
}

// paletteSize is the number of service colours in console.css (.c0…).
const paletteSize = 12

// colorClass is the CSS class of service's colour.
func colorClass(service string) string {
	if i := slices.Index(knownServices(), service); i >= 0 {
		return fmt.Sprintf("c%d", i%paletteSize)
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(service))
	return fmt.Sprintf("c%d", h.Sum32()%paletteSize)
}

// spanRow is one row of the waterfall.
type spanRow struct {
	observe.Span
	Depth  int
	Indent int // pixels
	// Left and Width place the bar, in percent of the trace's duration.
	Left, Width float64
	// OffsetMS is the span's start after the trace's, DurationMS its
	// length, in milliseconds.
	OffsetMS, DurationMS float64
	// Orphan marks a span whose parent was not received.
	Orphan bool
	Color  string
}

// axisTick is one label of the waterfall's time axis.
type axisTick struct {
	Left  float64 // percent
	Label string
}

// legendEntry is one service of the trace and its colour.
type legendEntry struct {
	Service, Color string
	Spans          int
}

// waterfall is a trace laid out for display.
type waterfall struct {
	TraceID    string
	Start      time.Time
	DurationMS float64
	Errors     int
	Rows       []spanRow
	Ticks      []axisTick
	Legend     []legendEntry
}

// layoutWaterfall orders spans depth first from the roots, children by
// start, and places their bars on the trace's time axis.
func layoutWaterfall(id string, spans []observe.Span) waterfall {
	w := waterfall{TraceID: id}
	if len(spans) == 0 {
		return w
	}
	start, end := spans[0].Start, spans[0].End()
	ids := map[string]bool{}
	children := map[string][]observe.Span{}
	counts := map[string]int{}
	for _, s := range spans {
		start = minTime(start, s.Start)
		end = maxTime(end, s.End())
		ids[s.SpanID] = true
		counts[s.Service]++
		if s.Failed() {
			w.Errors++
		}
	}
	var roots []observe.Span
	for _, s := range spans {
		if s.ParentID != "" && ids[s.ParentID] && s.ParentID != s.SpanID {
			children[s.ParentID] = append(children[s.ParentID], s)
		} else {
			roots = append(roots, s)
		}
	}
	total := end.Sub(start)
	w.Start, w.DurationMS = start, ms(total)
	visited := map[string]bool{}
	var walk func(s observe.Span, depth int)
	walk = func(s observe.Span, depth int) {
		if visited[s.SpanID] {
			return // a cycle of parent ids: show each span once
		}
		visited[s.SpanID] = true
		w.Rows = append(w.Rows, row(s, depth, start, total, s.ParentID != "" && !ids[s.ParentID]))
		kids := children[s.SpanID]
		slices.SortStableFunc(kids, func(a, b observe.Span) int { return a.Start.Compare(b.Start) })
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	slices.SortStableFunc(roots, func(a, b observe.Span) int { return a.Start.Compare(b.Start) })
	for _, r := range roots {
		walk(r, 0)
	}
	for _, s := range spans { // spans in a cycle of parent ids have no root
		walk(s, 0)
	}
	w.Ticks = ticks(total)
	for svc, n := range counts {
		w.Legend = append(w.Legend, legendEntry{Service: svc, Color: colorClass(svc), Spans: n})
	}
	slices.SortFunc(w.Legend, func(a, b legendEntry) int { return cmp.Compare(a.Service, b.Service) })
	return w
}

func row(s observe.Span, depth int, start time.Time, total time.Duration, orphan bool) spanRow {
	r := spanRow{Span: s, Depth: depth, Indent: min(depth, maxIndent) * 14, Orphan: orphan, Color: colorClass(s.Service),
		OffsetMS: ms(s.Start.Sub(start)), DurationMS: ms(s.Duration)}
	if total > 0 {
		r.Left = 100 * float64(s.Start.Sub(start)) / float64(total)
		r.Width = 100 * float64(s.Duration) / float64(total)
	}
	r.Width = max(r.Width, 0.2) // a zero-length span stays visible
	r.Left = min(r.Left, 100-r.Width)
	return r
}

// ticks labels five even points of the axis.
func ticks(total time.Duration) []axisTick {
	out := make([]axisTick, 0, 5)
	for i := range 5 {
		f := float64(i) / 4
		out = append(out, axisTick{Left: 100 * f, Label: fmtMS(ms(total) * f)})
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
