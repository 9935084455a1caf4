package client

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The test service "bazaar.clienttest.v1.Counter" is described with a
// descriptor built here, exactly as generated code would describe it, and
// served by a hand-written grpc.ServiceDesc. All methods take and return
// google.protobuf.StringValue; the reply is the serving instance's id.
const (
	testService = "bazaar.clienttest.v1.Counter"
	methodGet   = "Get" // idempotency_level = NO_SIDE_EFFECTS
	methodPut   = "Put" // idempotency_level = IDEMPOTENT
	methodAdd   = "Add" // no idempotency_level: never retried
)

func fullMethod(m string) string { return "/" + testService + "/" + m }

// testServiceDescriptor returns the descriptor of the test service.
func testServiceDescriptor(t *testing.T) protoreflect.ServiceDescriptor {
	t.Helper()
	method := func(name string, level *descriptorpb.MethodOptions_IdempotencyLevel) *descriptorpb.MethodDescriptorProto {
		m := &descriptorpb.MethodDescriptorProto{
			Name:       proto.String(name),
			InputType:  proto.String(".google.protobuf.StringValue"),
			OutputType: proto.String(".google.protobuf.StringValue"),
		}
		if level != nil {
			m.Options = &descriptorpb.MethodOptions{IdempotencyLevel: level}
		}
		return m
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("bazaar/clienttest/v1/counter.proto"),
		Package:    proto.String("bazaar.clienttest.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/wrappers.proto"},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("Counter"),
			Method: []*descriptorpb.MethodDescriptorProto{
				method(methodGet, descriptorpb.MethodOptions_NO_SIDE_EFFECTS.Enum()),
				method(methodPut, descriptorpb.MethodOptions_IDEMPOTENT.Enum()),
				method(methodAdd, nil),
			},
		}},
	}
	// google/protobuf/wrappers.proto is in GlobalFiles: wrapperspb is imported.
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatalf("build test descriptor: %v", err)
	}
	return fd.Services().Get(0)
}

// counterServer is the handler type of the hand-written ServiceDesc.
type counterServer interface {
	handle(ctx context.Context, method string, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
}

func counterServiceDesc() *grpc.ServiceDesc {
	handler := func(method string) grpc.MethodHandler {
		return func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(counterServer).handle(ctx, method, in)
		}
	}
	return &grpc.ServiceDesc{
		ServiceName: testService,
		HandlerType: (*counterServer)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: methodGet, Handler: handler(methodGet)},
			{MethodName: methodPut, Handler: handler(methodPut)},
			{MethodName: methodAdd, Handler: handler(methodAdd)},
		},
	}
}

// healthServer is a hand-written grpc.health.v1 server for the whole server
// (service ""). The tests deliberately do not import grpc/health, which
// would register the client-side health check on its own and hide a missing
// import in package client.
type healthServer struct {
	healthpb.UnimplementedHealthServer

	mu      sync.Mutex
	status  healthpb.HealthCheckResponse_ServingStatus
	changed chan struct{} // closed and replaced on every status change
}

func newHealthServer() *healthServer {
	return &healthServer{status: healthpb.HealthCheckResponse_SERVING, changed: make(chan struct{})}
}

// set changes the status and wakes the watchers.
func (h *healthServer) set(s healthpb.HealthCheckResponse_ServingStatus) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = s
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *healthServer) current() (healthpb.HealthCheckResponse_ServingStatus, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.status, h.changed
}

// Check reports the current status.
func (h *healthServer) Check(context.Context, *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	st, _ := h.current()
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

// Watch sends the current status, then every change, until the client leaves.
func (h *healthServer) Watch(_ *healthpb.HealthCheckRequest, stream grpc.ServerStreamingServer[healthpb.HealthCheckResponse]) error {
	for {
		st, changed := h.current()
		if err := stream.Send(&healthpb.HealthCheckResponse{Status: st}); err != nil {
			return err
		}
		select {
		case <-changed:
		case <-stream.Context().Done():
			return nil
		}
	}
}

// backend is one instance of the test service on a loopback port, with a
// health service. It counts calls per method, can fail the next
// calls with a chosen code, and records the deadline calls arrive with.
type backend struct {
	id     string
	addr   string
	health *healthServer

	mu       sync.Mutex
	calls    map[string]int
	failLeft int
	failCode codes.Code
	timeLeft time.Duration // remaining deadline of the last call; 0 = none
}

func startBackend(t *testing.T, id string) *backend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{id: id, addr: lis.Addr().String(), health: newHealthServer(), calls: map[string]int{}}
	srv := grpc.NewServer()
	srv.RegisterService(counterServiceDesc(), b)
	healthpb.RegisterHealthServer(srv, b.health)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return b
}

func (b *backend) handle(ctx context.Context, method string, _ *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls[method]++
	b.timeLeft = 0
	if d, ok := ctx.Deadline(); ok {
		b.timeLeft = time.Until(d)
	}
	if b.failLeft > 0 {
		b.failLeft--
		return nil, status.Errorf(b.failCode, "%s: injected failure", b.id)
	}
	return wrapperspb.String(b.id), nil
}

// failNext makes the next n calls fail with code.
func (b *backend) failNext(n int, code codes.Code) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failLeft, b.failCode = n, code
}

func (b *backend) count(method string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[method]
}

func (b *backend) lastTimeLeft() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.timeLeft
}

// call invokes method on cc with a 2s deadline and returns the id of the
// instance that answered.
func call(cc *grpc.ClientConn, method string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out := new(wrapperspb.StringValue)
	err := cc.Invoke(ctx, fullMethod(method), wrapperspb.String("x"), out)
	return out.GetValue(), err
}
