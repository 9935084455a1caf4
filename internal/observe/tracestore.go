package observe

import (
	"cmp"
	"container/list"
	"slices"
	"sync"
	"time"
)

// TraceLimits bounds the memory of a TraceStore. Zero fields take the
// defaults.
type TraceLimits struct {
	// MaxTraces is how many traces are kept (default 2000); the trace
	// updated longest ago goes first.
	MaxTraces int
	// MaxSpansPerTrace caps one trace (default 1000); later spans of a
	// full trace are dropped.
	MaxSpansPerTrace int
	// MaxSpans caps the spans of all traces together (default 100000).
	MaxSpans int
}

func (l TraceLimits) withDefaults() TraceLimits {
	if l.MaxTraces <= 0 {
		l.MaxTraces = 2000
	}
	if l.MaxSpansPerTrace <= 0 {
		l.MaxSpansPerTrace = 1000
	}
	if l.MaxSpans <= 0 {
		l.MaxSpans = 100000
	}
	return l
}

// TraceFilter selects traces in a list. The zero value selects all.
type TraceFilter struct {
	// Service keeps traces with a span of this service.
	Service string
	// ErrorsOnly keeps traces with a failed span.
	ErrorsOnly bool
	// MinDuration keeps traces at least this long.
	MinDuration time.Duration
}

// TraceStore keeps the most recently updated traces in memory. Its methods
// are safe for concurrent use.
type TraceStore struct {
	limits TraceLimits

	mu    sync.Mutex
	byID  map[string]*list.Element // of *storedTrace
	lru   *list.List               // front: most recently updated
	spans int                      // spans of all traces
}

// storedTrace is one trace and what its summary needs.
type storedTrace struct {
	id       string
	spans    []Span
	seen     map[string]bool // span ids, against repeated exports
	start    time.Time
	end      time.Time
	errors   int
	services map[string]bool
}

// NewTraceStore returns an empty store bounded by limits.
func NewTraceStore(limits TraceLimits) *TraceStore {
	return &TraceStore{limits: limits.withDefaults(), byID: map[string]*list.Element{}, lru: list.New()}
}

// Add stores spans, then evicts the traces updated longest ago while the
// store is over its limits.
func (s *TraceStore) Add(spans []Span) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range spans {
		s.addLocked(sp)
	}
	for s.lru.Len() > s.limits.MaxTraces || (s.spans > s.limits.MaxSpans && s.lru.Len() > 1) {
		oldest := s.lru.Back()
		t := oldest.Value.(*storedTrace)
		s.spans -= len(t.spans)
		delete(s.byID, t.id)
		s.lru.Remove(oldest)
	}
}

func (s *TraceStore) addLocked(sp Span) {
	el, ok := s.byID[sp.TraceID]
	if !ok {
		el = s.lru.PushFront(&storedTrace{id: sp.TraceID, seen: map[string]bool{}, services: map[string]bool{}, start: sp.Start, end: sp.End()})
		s.byID[sp.TraceID] = el
	} else {
		s.lru.MoveToFront(el)
	}
	t := el.Value.(*storedTrace)
	if t.seen[sp.SpanID] || len(t.spans) >= s.limits.MaxSpansPerTrace {
		return
	}
	t.seen[sp.SpanID] = true
	t.spans = append(t.spans, sp)
	s.spans++
	if sp.Start.Before(t.start) {
		t.start = sp.Start
	}
	if sp.End().After(t.end) {
		t.end = sp.End()
	}
	if sp.Failed() {
		t.errors++
	}
	t.services[sp.Service] = true
}

// Len is the number of traces kept.
func (s *TraceStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// Recent returns at most limit traces matching f, latest start first.
func (s *TraceStore) Recent(f TraceFilter, limit int) []TraceSummary {
	return s.list(f, limit, func(a, b *storedTrace) int { return b.start.Compare(a.start) })
}

// Slowest returns at most limit traces matching f, longest first.
func (s *TraceStore) Slowest(f TraceFilter, limit int) []TraceSummary {
	return s.list(f, limit, func(a, b *storedTrace) int {
		return cmp.Or(cmp.Compare(b.end.Sub(b.start), a.end.Sub(a.start)), b.start.Compare(a.start))
	})
}

func (s *TraceStore) list(f TraceFilter, limit int, order func(a, b *storedTrace) int) []TraceSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	var picked []*storedTrace
	for el := s.lru.Front(); el != nil; el = el.Next() {
		if t := el.Value.(*storedTrace); t.matches(f) {
			picked = append(picked, t)
		}
	}
	slices.SortFunc(picked, order)
	if limit > 0 && len(picked) > limit {
		picked = picked[:limit]
	}
	out := make([]TraceSummary, len(picked))
	for i, t := range picked {
		out[i] = t.summary()
	}
	return out
}

func (t *storedTrace) matches(f TraceFilter) bool {
	switch {
	case f.Service != "" && !t.services[f.Service]:
		return false
	case f.ErrorsOnly && t.errors == 0:
		return false
	case t.end.Sub(t.start) < f.MinDuration:
		return false
	}
	return true
}

func (t *storedTrace) summary() TraceSummary {
	sum := TraceSummary{
		TraceID: t.id, Start: t.start, Duration: t.end.Sub(t.start),
		Spans: len(t.spans), Errors: t.errors,
	}
	for svc := range t.services {
		sum.Services = append(sum.Services, svc)
	}
	slices.Sort(sum.Services)
	if root, ok := rootSpan(t.spans, t.seen); ok {
		sum.Root, sum.Service = root.Name, root.Service
	}
	return sum
}

// rootSpan is the earliest span whose parent is not in the trace.
func rootSpan(spans []Span, ids map[string]bool) (Span, bool) {
	var root Span
	found := false
	for _, sp := range spans {
		if sp.ParentID != "" && ids[sp.ParentID] {
			continue
		}
		if !found || sp.Start.Before(root.Start) {
			root, found = sp, true
		}
	}
	return root, found
}

// Trace returns the spans of trace id, by start time, and whether the
// trace is kept.
func (s *TraceStore) Trace(id string) ([]Span, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	spans := slices.Clone(el.Value.(*storedTrace).spans)
	slices.SortStableFunc(spans, func(a, b Span) int { return a.Start.Compare(b.Start) })
	return spans, true
}
