package telemetry

import (
	"context"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The gRPC RED metrics, with the names, help texts and labels of
// go-grpc-middleware's providers/prometheus (which Bazaar used before, and
// which dashboards, the console and the tests read). That provider looks
// each series up by its label values on every call (several slices and
// hash computations) and builds its report through interfaces; these
// interceptors find a method's series once and keep them, so a call costs
// a few atomic additions.

// grpcType is the grpc_type label: the kind of RPC.
type grpcType string

// The grpc_type values.
const (
	unary        grpcType = "unary"
	clientStream grpcType = "client_stream"
	serverStream grpcType = "server_stream"
	bidiStream   grpcType = "bidi_stream"
)

// streamType is the grpc_type of a stream with these directions.
func streamType(clientStreams, serverStreams bool) grpcType {
	switch {
	case clientStreams && serverStreams:
		return bidiStream
	case clientStreams:
		return clientStream
	case serverStreams:
		return serverStream
	default:
		return unary
	}
}

// splitMethod splits "/package.Service/Method" into its service and method,
// or "unknown", "unknown" when it has no second slash.
func splitMethod(fullMethod string) (service, method string) {
	fullMethod = strings.TrimPrefix(fullMethod, "/")
	if i := strings.Index(fullMethod, "/"); i >= 0 {
		return fullMethod[:i], fullMethod[i+1:]
	}
	return "unknown", "unknown"
}

// numCodes is how many standard gRPC codes there are (OK to Unauthenticated).
const numCodes = int(codes.Unauthenticated) + 1

// rpcMetrics are the metric families of one side, client or server, of a
// process's gRPC calls, with the series of every method seen so far.
type rpcMetrics struct {
	started, handled, received, sent *prometheus.CounterVec
	handling                         *prometheus.HistogramVec
	buckets                          []float64 // of handling

	mu      sync.Mutex // serialises additions to methods
	methods atomic.Pointer[map[methodKey]*methodSeries]
}

// methodKey names the series of one method and RPC kind.
type methodKey struct {
	typ        grpcType
	fullMethod string
}

// newRPCMetrics creates the metric families of side ("server" or "client"),
// with these help texts for the handling-time histogram.
func newRPCMetrics(side, startedHelp, handledHelp, receivedHelp, sentHelp, handlingHelp string) *rpcMetrics {
	labels := []string{"grpc_type", "grpc_service", "grpc_method"}
	buckets := latencyBuckets()
	return &rpcMetrics{
		buckets: buckets,
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_" + side + "_started_total", Help: startedHelp,
		}, labels),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_" + side + "_handled_total", Help: handledHelp,
		}, append(labels[:3:3], "grpc_code")),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_" + side + "_msg_received_total", Help: receivedHelp,
		}, labels),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_" + side + "_msg_sent_total", Help: sentHelp,
		}, labels),
		handling: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "grpc_" + side + "_handling_seconds", Help: handlingHelp, Buckets: buckets,
		}, labels),
	}
}

// newServerMetrics returns the server side's metric families.
func newServerMetrics() *rpcMetrics {
	return newRPCMetrics("server",
		"Total number of RPCs started on the server.",
		"Total number of RPCs completed on the server, regardless of success or failure.",
		"Total number of RPC stream messages received on the server.",
		"Total number of gRPC stream messages sent by the server.",
		"Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.")
}

// newClientMetrics returns the client side's metric families.
func newClientMetrics() *rpcMetrics {
	return newRPCMetrics("client",
		"Total number of RPCs started on the client.",
		"Total number of RPCs completed by the client, regardless of success or failure.",
		"Total number of RPC stream messages received by the client.",
		"Total number of gRPC stream messages sent by the client.",
		"Histogram of response latency (seconds) of the gRPC until it is finished by the application.")
}

// collectors returns the metric families, for registration.
func (m *rpcMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.started, m.handled, m.received, m.sent, m.handling}
}

// series returns the series of a method of kind typ, creating them on its
// first call.
func (m *rpcMetrics) series(typ grpcType, fullMethod string) *methodSeries {
	key := methodKey{typ, fullMethod}
	if all := m.methods.Load(); all != nil {
		if s, ok := (*all)[key]; ok {
			return s
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.methods.Load()
	if old != nil {
		if s, ok := (*old)[key]; ok {
			return s
		}
	}
	service, method := splitMethod(fullMethod)
	s := &methodSeries{m: m, labels: [3]string{string(typ), service, method}}
	// Copy on write: calls read the map without a lock. Methods are few
	// and fixed, so this happens a handful of times per process.
	next := make(map[methodKey]*methodSeries, len(ptrMap(old))+1)
	for k, v := range ptrMap(old) {
		next[k] = v
	}
	next[key] = s
	m.methods.Store(&next)
	return s
}

// ptrMap is *p, or nil for a nil p.
func ptrMap(p *map[methodKey]*methodSeries) map[methodKey]*methodSeries {
	if p == nil {
		return nil
	}
	return *p
}

// counter is a Prometheus counter that takes exemplars, as every counter of
// client_golang does.
type counter interface {
	prometheus.Counter
	prometheus.ExemplarAdder
}

// histogram is a Prometheus histogram that takes exemplars.
type histogram interface {
	prometheus.Observer
	prometheus.ExemplarObserver
}

// exemplarInterval is how often at most the exemplar of one series (of
// one bucket of a histogram) is replaced. Only the latest exemplar of a
// series is exported, and scrapes are seconds apart, so replacing it on
// every sampled call (about seven allocations each) bought nothing.
const exemplarInterval = time.Second

// exemplarSlot says when a series' exemplar was last replaced.
type exemplarSlot struct {
	last atomic.Int64 // unix nanoseconds; 0 for never
}

// claim reports whether a call at now (unix nanoseconds) may replace the
// exemplar, and if so records now: of calls at once, only one may.
func (e *exemplarSlot) claim(now int64) bool {
	last := e.last.Load()
	return now-last >= int64(exemplarInterval) && e.last.CompareAndSwap(last, now)
}

// callExemplar is the exemplar of one call's samples: the trace id of its
// context, read only if some series is due a new exemplar.
type callExemplar struct {
	ctx    context.Context
	read   bool
	labels prometheus.Labels // nil when the call's trace is not sampled
}

// get returns the call's exemplar labels, nil when it has none.
func (e *callExemplar) get() prometheus.Labels {
	if !e.read {
		e.labels, e.read = exemplarFromContext(e.ctx), true
	}
	return e.labels
}

// counterSeries is one counter series and its exemplar's age.
type counterSeries struct {
	c  counter
	ex exemplarSlot
}

// inc adds one at now (unix nanoseconds), with the call's exemplar if the
// series is due one.
func (c *counterSeries) inc(now int64, ex *callExemplar) {
	if now-c.ex.last.Load() >= int64(exemplarInterval) {
		if labels := ex.get(); labels != nil && c.ex.claim(now) {
			c.c.AddWithExemplar(1, labels)
			return
		}
	}
	c.c.Inc()
}

// histogramSeries is one histogram series and the age of each bucket's
// exemplar.
type histogramSeries struct {
	h       histogram
	buckets []float64      // upper bounds, as the histogram has them
	ex      []exemplarSlot // one per bucket, +Inf last
}

// observe records d at now (unix nanoseconds), with the call's exemplar if
// d's bucket is due one.
func (h *histogramSeries) observe(d time.Duration, now int64, ex *callExemplar) {
	v := d.Seconds()
	slot := &h.ex[sort.SearchFloat64s(h.buckets, v)]
	if now-slot.last.Load() >= int64(exemplarInterval) {
		if labels := ex.get(); labels != nil && slot.claim(now) {
			h.h.ObserveWithExemplar(v, labels)
			return
		}
	}
	h.h.Observe(v)
}

// methodSeries are the series of one method: found once, used by every
// call. Each series is created on its first use, as WithLabelValues on
// every call would, so that no series appears before something is
// counted in it (except by initialize).
type methodSeries struct {
	m                       *rpcMetrics
	labels                  [3]string // grpc_type, grpc_service, grpc_method
	started, received, sent lazy[counterSeries]
	handling                lazy[histogramSeries]
	handled                 [numCodes]lazy[counterSeries] // by code
}

// lazy is a series created on first use.
type lazy[T any] struct {
	p atomic.Pointer[T]
}

// get returns the series, created by create if it is the first use. Two
// first uses at once may both create it: WithLabelValues returns the same
// series to both.
func (l *lazy[T]) get(create func() *T) *T {
	if p := l.p.Load(); p != nil {
		return p
	}
	p := create()
	l.p.Store(p)
	return p
}

// counterOf returns the series of vec with labels.
func counterOf(vec *prometheus.CounterVec, labels ...string) *counterSeries {
	return &counterSeries{c: vec.WithLabelValues(labels...).(counter)}
}

// startedCounter returns the grpc_*_started_total series.
func (s *methodSeries) startedCounter() *counterSeries {
	return s.started.get(func() *counterSeries { return counterOf(s.m.started, s.labels[:]...) })
}

// receivedCounter returns the grpc_*_msg_received_total series.
func (s *methodSeries) receivedCounter() *counterSeries {
	return s.received.get(func() *counterSeries { return counterOf(s.m.received, s.labels[:]...) })
}

// sentCounter returns the grpc_*_msg_sent_total series.
func (s *methodSeries) sentCounter() *counterSeries {
	return s.sent.get(func() *counterSeries { return counterOf(s.m.sent, s.labels[:]...) })
}

// handlingHistogram returns the grpc_*_handling_seconds series.
func (s *methodSeries) handlingHistogram() *histogramSeries {
	return s.handling.get(func() *histogramSeries {
		return &histogramSeries{
			h:       s.m.handling.WithLabelValues(s.labels[:]...).(histogram),
			buckets: s.m.buckets,
			ex:      make([]exemplarSlot, len(s.m.buckets)+1),
		}
	})
}

// handledCounter returns the grpc_*_handled_total series of code.
func (s *methodSeries) handledCounter(code codes.Code) *counterSeries {
	if int(code) >= numCodes { // not a standard code: rare, not kept
		return counterOf(s.m.handled, s.labels[0], s.labels[1], s.labels[2], code.String())
	}
	return s.handled[code].get(func() *counterSeries {
		return counterOf(s.m.handled, s.labels[0], s.labels[1], s.labels[2], code.String())
	})
}

// finish counts a call that ended with err after d, at now: the handled
// counter of its code and the handling-time histogram.
func (s *methodSeries) finish(err error, d time.Duration, now int64, ex *callExemplar) {
	s.handledCounter(codeOf(err)).inc(now, ex)
	s.handlingHistogram().observe(d, now, ex)
}

// codeOf is the gRPC code of err, as grpc-go itself would send it: context
// errors are CANCELLED or DEADLINE_EXCEEDED, other non-status errors UNKNOWN.
func codeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	st, ok := status.FromError(err)
	if !ok {
		st = status.FromContextError(err)
	}
	return st.Code()
}

// initialize creates the zero-valued series of every method srv serves,
// every code included.
func (m *rpcMetrics) initialize(srv *grpc.Server) {
	for service, info := range srv.GetServiceInfo() {
		for _, mi := range info.Methods {
			s := m.series(streamType(mi.IsClientStream, mi.IsServerStream), "/"+service+"/"+mi.Name)
			s.startedCounter()
			s.receivedCounter()
			s.sentCounter()
			s.handlingHistogram()
			for code := range codes.Code(numCodes) {
				s.handledCounter(code)
			}
		}
	}
}

// unaryServer is the server interceptor that counts and times unary calls.
func (m *rpcMetrics) unaryServer() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		s := m.series(unary, info.FullMethod)
		ex := callExemplar{ctx: ctx}
		now := start.UnixNano()
		s.startedCounter().inc(now, &ex)
		s.receivedCounter().inc(now, &ex)
		resp, err := handler(ctx, req)
		end := time.Now()
		now = end.UnixNano()
		if err == nil {
			s.sentCounter().inc(now, &ex)
		}
		s.finish(err, end.Sub(start), now, &ex)
		return resp, err
	}
}

// streamServer is the server interceptor that counts and times streams and
// counts their messages.
func (m *rpcMetrics) streamServer() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		s := m.series(streamType(info.IsClientStream, info.IsServerStream), info.FullMethod)
		cs := &countedServerStream{ServerStream: ss, s: s, ex: callExemplar{ctx: ss.Context()}}
		s.startedCounter().inc(start.UnixNano(), &cs.ex)
		err := handler(srv, cs)
		end := time.Now()
		s.finish(err, end.Sub(start), end.UnixNano(), &cs.ex)
		return err
	}
}

// countedServerStream counts the messages of a server stream. Its methods
// are called from one goroutine at a time (SendMsg and RecvMsg may run at
// once, but only read ex after the interceptor has).
type countedServerStream struct {
	grpc.ServerStream
	s  *methodSeries
	ex callExemplar
}

// SendMsg sends m and counts it if it was sent.
func (c *countedServerStream) SendMsg(m any) error {
	err := c.ServerStream.SendMsg(m)
	if err == nil {
		c.s.sentCounter().inc(time.Now().UnixNano(), &c.ex)
	}
	return err
}

// RecvMsg receives m and counts it if it was received.
func (c *countedServerStream) RecvMsg(m any) error {
	err := c.ServerStream.RecvMsg(m)
	if err == nil {
		c.s.receivedCounter().inc(time.Now().UnixNano(), &c.ex)
	}
	return err
}

// unaryClient is the client interceptor that counts and times unary calls.
func (m *rpcMetrics) unaryClient() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		start := time.Now()
		s := m.series(unary, method)
		ex := callExemplar{ctx: ctx}
		now := start.UnixNano()
		s.startedCounter().inc(now, &ex)
		s.sentCounter().inc(now, &ex)
		err := invoker(ctx, method, req, reply, cc, opts...)
		end := time.Now()
		now = end.UnixNano()
		if err == nil {
			s.receivedCounter().inc(now, &ex)
		}
		s.finish(err, end.Sub(start), now, &ex)
		return err
	}
}

// streamClient is the client interceptor that counts and times streams and
// counts their messages. A stream ends, for the metrics, at the first
// error RecvMsg returns (io.EOF is a success).
func (m *rpcMetrics) streamClient() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		start := time.Now()
		s := m.series(streamType(desc.ClientStreams, desc.ServerStreams), method)
		counted := &countedClientStream{s: s, ex: callExemplar{ctx: ctx}, start: start}
		s.startedCounter().inc(start.UnixNano(), &counted.ex)
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			end := time.Now()
			s.finish(err, end.Sub(start), end.UnixNano(), &counted.ex)
			return nil, err
		}
		counted.ClientStream = cs
		return counted, nil
	}
}

// countedClientStream counts the messages of a client stream and its end.
type countedClientStream struct {
	grpc.ClientStream
	s     *methodSeries
	ex    callExemplar
	start time.Time
}

// SendMsg sends m and counts it if it was sent.
func (c *countedClientStream) SendMsg(m any) error {
	err := c.ClientStream.SendMsg(m)
	if err == nil {
		c.s.sentCounter().inc(time.Now().UnixNano(), &c.ex)
	}
	return err
}

// RecvMsg receives m and counts it, or the end of the stream.
func (c *countedClientStream) RecvMsg(m any) error {
	err := c.ClientStream.RecvMsg(m)
	end := time.Now()
	if err == nil {
		c.s.receivedCounter().inc(end.UnixNano(), &c.ex)
		return nil
	}
	result := err
	if err == io.EOF {
		result = nil
	}
	c.s.finish(result, end.Sub(c.start), end.UnixNano(), &c.ex)
	return err
}
