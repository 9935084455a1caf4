package server

import (
	"context"
	"runtime"
	"time"

	"github.com/bazaar-shop/bazaar/platform/telemetry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
)

// DefaultMaxConnectionAge is how long a client connection lives, by
// default, before GOAWAY makes the client reconnect and rebalance onto new
// replicas (Config.MaxConnectionAge).
const DefaultMaxConnectionAge = 5 * time.Minute

// gRPC connection management. Clients' keepalive pings must be at least
// keepaliveMinTime apart, or the server closes the connection.
const (
	connectionTimeout     = 5 * time.Second  // to finish the connection handshake
	maxConnectionAgeGrace = 30 * time.Second // for in-flight calls on an aged connection
	maxConnectionIdle     = 15 * time.Minute // without calls, then GOAWAY
	keepaliveTime         = time.Minute      // server ping after this much silence
	keepaliveTimeout      = 20 * time.Second // to wait for the ping's answer
	keepaliveMinTime      = 10 * time.Second // shortest client ping interval allowed
	// receiveWindow is the HTTP/2 flow-control window the server grants
	// each stream and each connection. Setting it turns off grpc-go's
	// bandwidth-delay estimator, which otherwise answers received data
	// with a PING on every quiet connection: a frame, a syscall and a
	// wake-up more per call for messages of a few KB. 1 MiB covers the
	// largest message a service accepts several times over on loopback
	// and LAN round trips (docs/benchmarks.md: about -25% time per call).
	receiveWindow = 1 << 20
)

// grpcOptions are the telemetry, size-limit and connection options of the
// gRPC server.
func grpcOptions(cfg Config, tel *telemetry.Telemetry) []grpc.ServerOption {
	opts := append(tel.ServerOptions(), grpc.ChainUnaryInterceptor(cfg.UnaryInterceptors...))
	opts = append(opts, securityOptions(cfg)...)
	return append(opts,
		grpc.MaxRecvMsgSize(cfg.MaxRecvMsgBytes),
		grpc.MaxSendMsgSize(cfg.MaxSendMsgBytes),
		grpc.InitialWindowSize(receiveWindow),
		grpc.InitialConnWindowSize(receiveWindow),
		grpc.ConnectionTimeout(connectionTimeout),
		// Handle calls on a few long-lived goroutines instead of a new one
		// per call, so that deep handler stacks (SQLite, otel's sampler)
		// are not grown again on every call: runtime.newstack/copystack
		// took ~10% of a service's CPU. One worker per P, grpc-go's own
		// suggestion: no more handlers run at once than there are Ps, and
		// a call that finds every worker busy (its handler waiting on I/O)
		// still gets a goroutine of its own at once, so this bounds only
		// how many warm stacks are kept, never how many calls run.
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle:     maxConnectionIdle,
			MaxConnectionAge:      cfg.MaxConnectionAge,
			MaxConnectionAgeGrace: maxConnectionAgeGrace,
			Time:                  keepaliveTime,
			Timeout:               keepaliveTimeout,
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             keepaliveMinTime,
			PermitWithoutStream: true,
		}),
	)
}

// drainingHealth is the standard health service, except that Watch streams
// end once the server starts closing connections. A watch never ends on its
// own, so without this every client doing health checking would hold
// GracefulStop open until DrainTimeout. Watchers have already been told
// NOT_SERVING by then.
type drainingHealth struct {
	*health.Server
	stopping <-chan struct{}
}

// Watch streams the serving status of a service until the client leaves or
// the server stops.
func (h drainingHealth) Watch(req *healthgrpc.HealthCheckRequest, stream healthgrpc.Health_WatchServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	go func() {
		select {
		case <-h.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	return h.Server.Watch(req, &watchStream{Health_WatchServer: stream, ctx: ctx})
}

// watchStream is a Watch stream whose context also ends when the server stops.
type watchStream struct {
	healthgrpc.Health_WatchServer
	ctx context.Context
}

// Context returns the stream's context, cancelled when the server stops.
func (w *watchStream) Context() context.Context {
	return w.ctx
}
