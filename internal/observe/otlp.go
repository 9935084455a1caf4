package observe

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Bounds on what is kept of one span.
const (
	maxAttributes  = 48
	maxValueLength = 512
	maxNameLength  = 256
)

// convertResourceSpans turns OTLP spans into Spans, dropping spans without
// a valid trace or span id.
func convertResourceSpans(all []*tracepb.ResourceSpans) []Span {
	var out []Span
	for _, rs := range all {
		service, instance, version := resourceIdentity(rs.GetResource())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				s, ok := convertSpan(sp)
				if !ok {
					continue
				}
				s.Service, s.Instance, s.Version = service, instance, version
				out = append(out, s)
			}
		}
	}
	return out
}

// resourceIdentity reads the service attributes of a resource.
func resourceIdentity(r *resourcepb.Resource) (service, instance, version string) {
	service = "unknown"
	for _, kv := range r.GetAttributes() {
		v := clip(anyValueString(kv.GetValue(), 0), maxNameLength)
		switch kv.GetKey() {
		case "service.name":
			service = v
		case "service.instance.id":
			instance = v
		case "service.version":
			version = v
		}
	}
	return service, instance, version
}

func convertSpan(sp *tracepb.Span) (Span, bool) {
	if len(sp.GetTraceId()) != 16 || len(sp.GetSpanId()) != 8 {
		return Span{}, false
	}
	start := time.Unix(0, int64(sp.GetStartTimeUnixNano()))
	dur := time.Duration(int64(sp.GetEndTimeUnixNano()) - int64(sp.GetStartTimeUnixNano()))
	s := Span{
		TraceID:       hex.EncodeToString(sp.GetTraceId()),
		SpanID:        hex.EncodeToString(sp.GetSpanId()),
		Name:          clip(sp.GetName(), maxNameLength),
		Kind:          spanKind(sp.GetKind()),
		Start:         start,
		Duration:      max(dur, 0),
		Status:        spanStatus(sp.GetStatus().GetCode()),
		StatusMessage: clip(sp.GetStatus().GetMessage(), maxValueLength),
	}
	if len(sp.GetParentSpanId()) == 8 {
		s.ParentID = hex.EncodeToString(sp.GetParentSpanId())
	}
	for i, kv := range sp.GetAttributes() {
		if i == maxAttributes {
			break
		}
		s.Attributes = append(s.Attributes, Attribute{
			Key:   clip(kv.GetKey(), maxNameLength),
			Value: clip(anyValueString(kv.GetValue(), 0), maxValueLength),
		})
	}
	return s, true
}

func spanKind(k tracepb.Span_SpanKind) string {
	switch k {
	case tracepb.Span_SPAN_KIND_SERVER:
		return "server"
	case tracepb.Span_SPAN_KIND_CLIENT:
		return "client"
	case tracepb.Span_SPAN_KIND_PRODUCER:
		return "producer"
	case tracepb.Span_SPAN_KIND_CONSUMER:
		return "consumer"
	}
	return "internal"
}

func spanStatus(c tracepb.Status_StatusCode) string {
	switch c {
	case tracepb.Status_STATUS_CODE_OK:
		return "ok"
	case tracepb.Status_STATUS_CODE_ERROR:
		return "error"
	}
	return "unset"
}

// anyValueString renders v as text; nested values are rendered to a
// bounded depth.
func anyValueString(v *commonpb.AnyValue, depth int) string {
	if depth > 3 {
		return "…"
	}
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	case *commonpb.AnyValue_BytesValue:
		return hex.EncodeToString(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		parts := make([]string, 0, len(x.ArrayValue.GetValues()))
		for _, e := range x.ArrayValue.GetValues() {
			parts = append(parts, anyValueString(e, depth+1))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *commonpb.AnyValue_KvlistValue:
		parts := make([]string, 0, len(x.KvlistValue.GetValues()))
		for _, kv := range x.KvlistValue.GetValues() {
			parts = append(parts, kv.GetKey()+"="+anyValueString(kv.GetValue(), depth+1))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

// clip cuts s to at most n bytes, on a rune boundary, marking the cut, and
// replaces invalid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
