package client

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/bazaar-shop/bazaar/platform/registry"
	"github.com/bazaar-shop/bazaar/platform/resilience"
)

// TestCallsCarryCallerAndPriority: every call names its caller, and a
// call whose context has a priority other than Default carries it, next
// to the caller's own metadata.
func TestCallsCarryCallerAndPriority(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan metadata.MD, 1)
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		if m, _ := grpc.MethodFromServerStream(stream); m != "/test.Svc/Do" {
			return status.Error(codes.Unimplemented, m) // health checks: none here
		}
		md, _ := metadata.FromIncomingContext(stream.Context())
		got <- md
		if err := stream.RecvMsg(new(emptypb.Empty)); err != nil {
			return err
		}
		return stream.SendMsg(new(emptypb.Empty))
	}))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := Dial(lis.Addr().String(), Options{From: "storefront"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	for _, tt := range []struct {
		ctx      context.Context
		priority string
		own      string
	}{
		{t.Context(), "", ""},
		{resilience.WithPriority(t.Context(), resilience.Critical), "critical", ""},
		{metadata.AppendToOutgoingContext(resilience.WithPriority(t.Context(), resilience.Sheddable), "x-own", "1"), "sheddable", "1"},
		{metadata.AppendToOutgoingContext(t.Context(), "x-own", "2"), "", "2"},
	} {
		if err := conn.Invoke(tt.ctx, "/test.Svc/Do", new(emptypb.Empty), new(emptypb.Empty)); err != nil {
			t.Fatal(err)
		}
		md := <-got
		if v := md.Get(registry.CallerHeader); len(v) != 1 || v[0] != "storefront" {
			t.Errorf("%s = %q, want [storefront]", registry.CallerHeader, v)
		}
		if v := md.Get(resilience.PriorityHeader); tt.priority == "" && len(v) != 0 || tt.priority != "" && (len(v) != 1 || v[0] != tt.priority) {
			t.Errorf("%s = %q, want %q", resilience.PriorityHeader, v, tt.priority)
		}
		if v := md.Get("x-own"); tt.own != "" && (len(v) != 1 || v[0] != tt.own) {
			t.Errorf("x-own = %q, want %q", v, tt.own)
		}
	}
}
