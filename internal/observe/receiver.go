package observe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	collectortracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// maxExportBytes limits one OTLP export request; the SDK's default batch
// (512 spans) is far below it.
const maxExportBytes = 8 << 20

// Receiver is an OTLP/gRPC trace collector that keeps what it receives in
// a TraceStore. It listens on loopback only.
type Receiver struct {
	store *TraceStore
	ln    net.Listener
	srv   *grpc.Server
}

// NewReceiver listens on addr, a loopback "host:port" (port 0 picks a free
// one), for spans to put in store. Call Serve to accept exports.
func NewReceiver(addr string, store *TraceStore) (*Receiver, error) {
	ln, err := listenLoopback(addr)
	if err != nil {
		return nil, fmt.Errorf("trace receiver: %w", err)
	}
	srv := grpc.NewServer(
		grpc.MaxRecvMsgSize(maxExportBytes),
		grpc.MaxSendMsgSize(1<<20),
		grpc.MaxConcurrentStreams(64),
		grpc.ConnectionTimeout(5*time.Second),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 5 * time.Minute}),
	)
	collectortracepb.RegisterTraceServiceServer(srv, traceService{store: store})
	return &Receiver{store: store, ln: ln, srv: srv}, nil
}

// Addr is the "host:port" the receiver listens on.
func (r *Receiver) Addr() string { return r.ln.Addr().String() }

// Serve accepts exports until Stop; it returns nil after Stop, even when
// Stop came first.
func (r *Receiver) Serve() error {
	if err := r.srv.Serve(r.ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("trace receiver: %w", err)
	}
	return nil
}

// Stop stops accepting exports, letting those in flight finish for at
// most grace.
func (r *Receiver) Stop(grace time.Duration) {
	done := make(chan struct{})
	go func() {
		r.srv.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		r.srv.Stop()
	}
	_ = r.ln.Close() // already closed if Serve ran
}

// traceService implements the OTLP TraceService.
type traceService struct {
	collectortracepb.UnimplementedTraceServiceServer
	store *TraceStore
}

// Export stores the spans of one export request.
func (t traceService) Export(_ context.Context, req *collectortracepb.ExportTraceServiceRequest) (*collectortracepb.ExportTraceServiceResponse, error) {
	t.store.Add(convertResourceSpans(req.GetResourceSpans()))
	return &collectortracepb.ExportTraceServiceResponse{}, nil
}
