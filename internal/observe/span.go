package observe

import (
	"time"
)

// Span is one operation of a trace, as a service exported it.
type Span struct {
	TraceID  string `json:"trace_id"`
	SpanID   string `json:"span_id"`
	ParentID string `json:"parent_id,omitempty"`
	// Service, Instance and Version come from the exporter's resource
	// (service.name, service.instance.id, service.version).
	Service  string `json:"service"`
	Instance string `json:"instance,omitempty"`
	Version  string `json:"version,omitempty"`
	Name     string `json:"name"`
	// Kind is "server", "client", "producer", "consumer" or "internal".
	Kind  string    `json:"kind"`
	Start time.Time `json:"start"`
	// Duration is in nanoseconds in JSON.
	Duration time.Duration `json:"duration_ns"`
	// Status is "unset", "ok" or "error".
	Status        string      `json:"status"`
	StatusMessage string      `json:"status_message,omitempty"`
	Attributes    []Attribute `json:"attributes,omitempty"`
}

// End is when the span ended.
func (s Span) End() time.Time { return s.Start.Add(s.Duration) }

// Failed reports whether the span ended in error.
func (s Span) Failed() bool { return s.Status == "error" }

// Attribute is one key and its value, rendered as text.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TraceSummary describes one trace in a list.
type TraceSummary struct {
	TraceID string `json:"trace_id"`
	// Root is the name of the trace's first span without a parent in the
	// trace, and Service the service that made it.
	Root    string    `json:"root"`
	Service string    `json:"service"`
	Start   time.Time `json:"start"`
	// Duration, from the first start to the last end, is in nanoseconds in
	// JSON.
	Duration time.Duration `json:"duration_ns"`
	Spans    int           `json:"spans"`
	Errors   int           `json:"errors"`
	// Services are the services with a span in the trace, sorted.
	Services []string `json:"services"`
}
