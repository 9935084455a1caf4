package telemetry

import (
	"context"
	"io"
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

	mu      sync.Mutex // serialises additions to methods
	methods atomic.Pointer[map[methodKey]*methodSeries]
}

// methodKey names the series of one method and RPC kind.
type methodKey struct {
	typ        grpcType
	fullMethod string
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

// methodSeries are the series of one method: found once, used by every
// call. Each series is created on its first use, as WithLabelValues on
// every call would, so that no series appears before something is
// counted in it (except by initialize).
type methodSeries struct {
	m                       *rpcMetrics
	labels                  [3]string // grpc_type, grpc_service, grpc_method
	started, received, sent lazy[counter]
	handling                lazy[histogram]
	handled                 [numCodes]lazy[counter] // by code
}

// lazy is a series created on first use.
type lazy[T any] struct {
	p atomic.Pointer[T]
}

// get returns the series, created by create if it is the first use. Two
// first uses at once may both create it: WithLabelValues returns the same
// series to both.
func (l *lazy[T]) get(create func() T) T {
	if p := l.p.Load(); p != nil {
		return *p
	}
	v := create()
	l.p.Store(&v)
	return v
}

// startedCounter returns the grpc_*_started_total series.
func (s *methodSeries) startedCounter() counter {
	return s.started.get(func() counter { return s.m.started.WithLabelValues(s.labels[:]...).(counter) })
}

// receivedCounter returns the grpc_*_msg_received_total series.
func (s *methodSeries) receivedCounter() counter {
	return s.received.get(func() counter { return s.m.received.WithLabelValues(s.labels[:]...).(counter) })
}

// sentCounter returns the grpc_*_msg_sent_total series.
func (s *methodSeries) sentCounter() counter {
	return s.sent.get(func() counter { return s.m.sent.WithLabelValues(s.labels[:]...).(counter) })
}

// handlingHistogram returns the grpc_*_handling_seconds series.
func (s *methodSeries) handlingHistogram() histogram {
	return s.handling.get(func() histogram { return s.m.handling.WithLabelValues(s.labels[:]...).(histogram) })
}

// newRPCMetrics creates the metric families of side ("server" or "client"),
// with these help texts for the handling-time histogram.
func newRPCMetrics(side, startedHelp, handledHelp, receivedHelp, sentHelp, handlingHelp string) *rpcMetrics {
	labels := []string{"grpc_type", "grpc_service", "grpc_method"}
	return &rpcMetrics{
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
			Name: "grpc_" + side + "_handling_seconds", Help: handlingHelp, Buckets: latencyBuckets(),
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

// handledCounter returns the grpc_*_handled_total series of code.
func (s *methodSeries) handledCounter(code codes.Code) counter {
	if int(code) >= numCodes {
		return s.m.handled.WithLabelValues(s.labels[0], s.labels[1], s.labels[2], code.String()).(counter)
	}
	return s.handled[code].get(func() counter {
		return s.m.handled.WithLabelValues(s.labels[0], s.labels[1], s.labels[2], code.String()).(counter)
	})
}

// inc adds one to c, with the exemplar ex when it is not nil.
func inc(c counter, ex prometheus.Labels) {
	if ex == nil {
		c.Inc()
		return
	}
	c.AddWithExemplar(1, ex)
}

// finish counts a call that ended with err after d: the handled counter of
// its code and the handling-time histogram.
func (s *methodSeries) finish(err error, d time.Duration, ex prometheus.Labels) {
	inc(s.handledCounter(codeOf(err)), ex)
	if ex == nil {
		s.handlingHistogram().Observe(d.Seconds())
		return
	}
	s.handlingHistogram().ObserveWithExemplar(d.Seconds(), ex)
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
		ex := exemplarFromContext(ctx)
		inc(s.startedCounter(), ex)
		inc(s.receivedCounter(), ex)
		resp, err := handler(ctx, req)
		if err == nil {
			inc(s.sentCounter(), ex)
		}
		s.finish(err, time.Since(start), ex)
		return resp, err
	}
}

// streamServer is the server interceptor that counts and times streams and
// counts their messages.
func (m *rpcMetrics) streamServer() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		s := m.series(streamType(info.IsClientStream, info.IsServerStream), info.FullMethod)
		ex := exemplarFromContext(ss.Context())
		inc(s.startedCounter(), ex)
		err := handler(srv, &countedServerStream{ServerStream: ss, s: s, ex: ex})
		s.finish(err, time.Since(start), ex)
		return err
	}
}

// countedServerStream counts the messages of a server stream.
type countedServerStream struct {
	grpc.ServerStream
	s  *methodSeries
	ex prometheus.Labels
}

// SendMsg sends m and counts it if it was sent.
func (c *countedServerStream) SendMsg(m any) error {
	err := c.ServerStream.SendMsg(m)
	if err == nil {
		inc(c.s.sentCounter(), c.ex)
	}
	return err
}

// RecvMsg receives m and counts it if it was received.
func (c *countedServerStream) RecvMsg(m any) error {
	err := c.ServerStream.RecvMsg(m)
	if err == nil {
		inc(c.s.receivedCounter(), c.ex)
	}
	return err
}

// unaryClient is the client interceptor that counts and times unary calls.
func (m *rpcMetrics) unaryClient() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		start := time.Now()
		s := m.series(unary, method)
		ex := exemplarFromContext(ctx)
		inc(s.startedCounter(), ex)
		inc(s.sentCounter(), ex)
		err := invoker(ctx, method, req, reply, cc, opts...)
		if err == nil {
			inc(s.receivedCounter(), ex)
		}
		s.finish(err, time.Since(start), ex)
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
		ex := exemplarFromContext(ctx)
		inc(s.startedCounter(), ex)
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			s.finish(err, time.Since(start), ex)
			return nil, err
		}
		return &countedClientStream{ClientStream: cs, s: s, ex: ex, start: start}, nil
	}
}

// countedClientStream counts the messages of a client stream and its end.
type countedClientStream struct {
	grpc.ClientStream
	s     *methodSeries
	ex    prometheus.Labels
	start time.Time
}

// SendMsg sends m and counts it if it was sent.
func (c *countedClientStream) SendMsg(m any) error {
	err := c.ClientStream.SendMsg(m)
	if err == nil {
		inc(c.s.sentCounter(), c.ex)
	}
	return err
}

// RecvMsg receives m and counts it, or the end of the stream.
func (c *countedClientStream) RecvMsg(m any) error {
	err := c.ClientStream.RecvMsg(m)
	if err == nil {
		inc(c.s.receivedCounter(), c.ex)
		return nil
	}
	end := err
	if err == io.EOF {
		end = nil
	}
	c.s.finish(end, time.Since(c.start), c.ex)
	return err
}
