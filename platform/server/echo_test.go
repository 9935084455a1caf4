package server_test

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// echoServer is a one-method gRPC service used to drive real calls.
type echoServer interface {
	Echo(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
}

// echoFunc implements echoServer with a function.
type echoFunc func(context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)

func (f echoFunc) Echo(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	return f(ctx, in)
}

const echoMethod = "/bazaar.test.v1.EchoService/Echo"

// echoServiceDesc describes echoServer the way generated code would.
func echoServiceDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "bazaar.test.v1.EchoService",
		HandlerType: (*echoServer)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Echo",
			Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
				in := new(wrapperspb.StringValue)
				if err := dec(in); err != nil {
					return nil, err
				}
				call := func(ctx context.Context, req any) (any, error) {
					return srv.(echoServer).Echo(ctx, req.(*wrapperspb.StringValue))
				}
				if interceptor == nil {
					return call(ctx, in)
				}
				return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: echoMethod}, call)
			},
		}},
		Metadata: "bazaar/test/v1/echo.proto",
	}
}

// callEcho makes one Echo call on conn.
func callEcho(ctx context.Context, conn *grpc.ClientConn, msg string) (*wrapperspb.StringValue, error) {
	out := new(wrapperspb.StringValue)
	err := conn.Invoke(ctx, echoMethod, wrapperspb.String(msg), out)
	return out, err
}
