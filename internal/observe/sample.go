package observe

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one scrape of one instance, reduced to what the console shows.
// Every count is cumulative since the process started.
type sample struct {
	startTime float64 // process_start_time_seconds; 0 when absent
	cpu       float64 // process_cpu_seconds_total
	rss       float64 // process_resident_memory_bytes
	// served is every request the instance handled: gRPC and HTTP.
	served traffic
	// http is the part of served that came over HTTP.
	http traffic
	// calls are the gRPC calls it made, by callee service.
	calls map[string]traffic
	// consumed are the events it handled, by producing service.
	consumed map[string]traffic
	// published counts the events it published successfully.
	published float64
}

// traffic counts requests, failed requests and their latencies.
type traffic struct {
	total, errors float64
	latency       histogram
}

func (t traffic) plus(o traffic) traffic {
	return traffic{total: t.total + o.total, errors: t.errors + o.errors, latency: t.latency.plus(o.latency)}
}

// minus is what happened between readings prev and t; counts that went
// down (a restart) count from zero.
func (t traffic) minus(prev traffic) traffic {
	if t.total < prev.total || t.errors < prev.errors {
		prev = traffic{}
	}
	return traffic{total: t.total - prev.total, errors: t.errors - prev.errors, latency: t.latency.minus(prev.latency)}
}

// skippedGRPCService reports gRPC services that are plumbing, not traffic:
// health watches and reflection would drown the signals.
func skippedGRPCService(name string) bool {
	return strings.HasPrefix(name, "grpc.health.") || strings.HasPrefix(name, "grpc.reflection.")
}

// ServiceOfGRPC is the Bazaar service that serves the fully qualified gRPC
// service name: "bazaar.catalog.v1.CatalogService" is "catalog". Names
// outside the bazaar package are returned whole.
func ServiceOfGRPC(name string) string {
	parts := strings.Split(name, ".")
	if len(parts) >= 3 && parts[0] == "bazaar" && parts[1] != "" {
		return parts[1]
	}
	return name
}

// producerOfConsumer is the producing service of a durable consumer named
// "<consumer service>-<producer service>", as platform/events' users name
// them ("shipping-orders" reads orders' events).
func producerOfConsumer(consumer string) string {
	if _, producer, ok := strings.Cut(consumer, "-"); ok && producer != "" {
		return producer
	}
	return "unknown"
}

// parseSample reads the Prometheus text format.
func parseSample(r io.Reader) (sample, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return sample{}, fmt.Errorf("parse metrics: %w", err)
	}
	s := sample{calls: map[string]traffic{}, consumed: map[string]traffic{}}
	s.startTime = gaugeSum(families["process_start_time_seconds"])
	s.cpu = gaugeSum(families["process_cpu_seconds_total"])
	s.rss = gaugeSum(families["process_resident_memory_bytes"])
	s.served = grpcTraffic(families["grpc_server_handled_total"], families["grpc_server_handling_seconds"])[""]
	s.http = httpTraffic(families["http_requests_total"], families["http_request_duration_seconds"])
	s.served = s.served.plus(s.http)
	s.calls = grpcTraffic(families["grpc_client_handled_total"], families["grpc_client_handling_seconds"])
	delete(s.calls, "")
	s.consumed = eventTraffic(families["bazaar_events_consumed_total"], families["bazaar_events_consume_seconds"])
	for _, m := range families["bazaar_events_published_total"].GetMetric() {
		if label(m, "result") == "ok" {
			s.published += value(m)
		}
	}
	return s, nil
}

// grpcTraffic sums gRPC counters and histograms by callee service; the
// key "" holds the sum over every callee.
func grpcTraffic(handled, seconds *dto.MetricFamily) map[string]traffic {
	out := map[string]traffic{}
	add := func(key string, t traffic) {
		out[key] = out[key].plus(t)
		out[""] = out[""].plus(t)
	}
	for _, m := range handled.GetMetric() {
		svc := label(m, "grpc_service")
		if skippedGRPCService(svc) {
			continue
		}
		t := traffic{total: value(m)}
		if code := label(m, "grpc_code"); code != "" && code != "OK" {
			t.errors = t.total
		}
		add(ServiceOfGRPC(svc), t)
	}
	for _, m := range seconds.GetMetric() {
		svc := label(m, "grpc_service")
		if skippedGRPCService(svc) {
			continue
		}
		add(ServiceOfGRPC(svc), traffic{latency: histogramOf(m)})
	}
	return out
}

// httpTraffic sums HTTP requests; 5xx answers are errors.
func httpTraffic(requests, seconds *dto.MetricFamily) traffic {
	var t traffic
	for _, m := range requests.GetMetric() {
		v := value(m)
		t.total += v
		if code, err := strconv.Atoi(label(m, "code")); err == nil && code >= 500 {
			t.errors += v
		}
	}
	for _, m := range seconds.GetMetric() {
		t.latency = t.latency.plus(histogramOf(m))
	}
	return t
}

// eventTraffic sums consumed events by producer; retried and dropped
// events are errors, duplicates are not.
func eventTraffic(consumed, seconds *dto.MetricFamily) map[string]traffic {
	out := map[string]traffic{}
	for _, m := range consumed.GetMetric() {
		p := producerOfConsumer(label(m, "consumer"))
		t := traffic{total: value(m)}
		if r := label(m, "result"); r == "retry" || r == "dropped" {
			t.errors = t.total
		}
		out[p] = out[p].plus(t)
	}
	for _, m := range seconds.GetMetric() {
		p := producerOfConsumer(label(m, "consumer"))
		out[p] = out[p].plus(traffic{latency: histogramOf(m)})
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

// value is the value of a counter, gauge or untyped metric.
func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	}
	return m.GetUntyped().GetValue()
}

func gaugeSum(f *dto.MetricFamily) float64 {
	sum := 0.0
	for _, m := range f.GetMetric() {
		sum += value(m)
	}
	return sum
}

// histogramOf converts a Prometheus histogram, making sure it ends with
// the +Inf bucket.
func histogramOf(m *dto.Metric) histogram {
	ph := m.GetHistogram()
	if ph == nil {
		return nil
	}
	h := make(histogram, 0, len(ph.GetBucket())+1)
	for _, b := range ph.GetBucket() {
		c := float64(b.GetCumulativeCount())
		if b.CumulativeCountFloat != nil {
			c = b.GetCumulativeCountFloat()
		}
		h = append(h, bucket{le: b.GetUpperBound(), count: c})
	}
	slices.SortFunc(h, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	total := float64(ph.GetSampleCount())
	if ph.SampleCountFloat != nil {
		total = ph.GetSampleCountFloat()
	}
	if len(h) == 0 || !math.IsInf(h[len(h)-1].le, 1) {
		h = append(h, bucket{le: math.Inf(1), count: total})
	}
	return h
}

// minus is what happened between readings prev and s of one instance. A
// new process start time means the process restarted: everything counts
// from zero.
func (s sample) minus(prev sample) sample {
	if s.startTime != prev.startTime {
		prev = sample{}
	}
	d := sample{
		startTime: s.startTime,
		cpu:       counterDelta(s.cpu, prev.cpu),
		rss:       s.rss,
		served:    s.served.minus(prev.served),
		http:      s.http.minus(prev.http),
		calls:     map[string]traffic{},
		consumed:  map[string]traffic{},
		published: counterDelta(s.published, prev.published),
	}
	for k, t := range s.calls {
		d.calls[k] = t.minus(prev.calls[k])
	}
	for k, t := range s.consumed {
		d.consumed[k] = t.minus(prev.consumed[k])
	}
	return d
}

// counterDelta is cur - prev for a counter, cur when the counter was
// reset.
func counterDelta(cur, prev float64) float64 {
	if cur < prev {
		return cur
	}
	return cur - prev
}
