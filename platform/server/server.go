// Package server provides the process shell every Bazaar service runs in: one
// gRPC server with health and reflection, an admin HTTP listener (/metrics,
// /healthz, /readyz, /debug/pprof), an optional public HTTP listener, and a
// graceful drain when the run context ends.
package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bazaar-shop/bazaar/platform/telemetry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxMsgBytes      = 4 << 20
	DefaultMaxHTTPBodyBytes = 1 << 20
	DefaultDrainTimeout     = 10 * time.Second

	DefaultHTTPReadHeaderTimeout = 5 * time.Second
)

// Config sets a Server's addresses, limits and drain timing.
type Config struct {
	GRPCAddr  string // gRPC listener, e.g. ":9000" or "127.0.0.1:0"; required unless GRPCListener is set
	AdminAddr string // admin HTTP listener (/metrics /healthz /readyz /debug/pprof); required
	HTTPAddr  string // optional public HTTP listener; "" = none

	// GRPCListener, when set, serves gRPC instead of listening on
	// GRPCAddr: an in-memory listener in the single-process shop.
	GRPCListener net.Listener

	MaxRecvMsgBytes  int   // largest gRPC message accepted; default 4 MiB
	MaxSendMsgBytes  int   // largest gRPC message sent; default 4 MiB
	MaxHTTPBodyBytes int64 // largest public HTTP request body; default 1 MiB
	// HTTPReadHeaderTimeout bounds how long a client may take to send a
	// request's headers on either HTTP listener (slowloris); default 5s.
	HTTPReadHeaderTimeout time.Duration

	// PreDrainDelay is how long the server keeps serving after it reports
	// NOT_SERVING and /readyz fails, so that load balancers and clients stop
	// sending to it before connections close. Default 0; about 1s in production.
	PreDrainDelay time.Duration
	// DrainTimeout bounds the wait for in-flight calls and requests once
	// draining starts; what is still running then is cut off. Default 10s.
	DrainTimeout time.Duration
	// MaxConnectionAge is how long a client connection lives before the
	// server sends GOAWAY, so clients re-resolve and spread onto replicas
	// added since. Default 5 minutes; shorter where replicas come and go
	// behind DNS (containers).
	MaxConnectionAge time.Duration

	// UnaryInterceptors run on every unary call, in order, after the
	// telemetry interceptors (so what they refuse is still counted and
	// traced): fault injection, load shedding, deadline budgets.
	UnaryInterceptors []grpc.UnaryServerInterceptor
	// StreamInterceptors run on every streaming call (health watches,
	// reflection), after the telemetry ones.
	StreamInterceptors []grpc.StreamServerInterceptor

	// Credentials secure the gRPC listener (mutual TLS, see tls.go); nil
	// serves plaintext, as in the single-process shop.
	Credentials credentials.TransportCredentials
}

// withDefaults returns c with zero limits and timeouts replaced by defaults,
// or an error naming the first invalid field.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.GRPCAddr == "" && c.GRPCListener == nil:
		return c, errors.New("GRPCAddr is required")
	case c.AdminAddr == "":
		return c, errors.New("AdminAddr is required")
	case c.MaxRecvMsgBytes < 0 || c.MaxSendMsgBytes < 0 || c.MaxHTTPBodyBytes < 0:
		return c, fmt.Errorf("message and body limits must not be negative (MaxRecvMsgBytes=%d MaxSendMsgBytes=%d MaxHTTPBodyBytes=%d)",
			c.MaxRecvMsgBytes, c.MaxSendMsgBytes, c.MaxHTTPBodyBytes)
	case c.HTTPReadHeaderTimeout < 0:
		return c, fmt.Errorf("HTTPReadHeaderTimeout (%s) must not be negative", c.HTTPReadHeaderTimeout)
	case c.PreDrainDelay < 0 || c.DrainTimeout < 0:
		return c, fmt.Errorf("PreDrainDelay (%s) and DrainTimeout (%s) must not be negative", c.PreDrainDelay, c.DrainTimeout)
	case c.MaxConnectionAge < 0:
		return c, fmt.Errorf("MaxConnectionAge (%s) must not be negative", c.MaxConnectionAge)
	}
	if c.MaxConnectionAge == 0 {
		c.MaxConnectionAge = DefaultMaxConnectionAge
	}
	if c.MaxRecvMsgBytes == 0 {
		c.MaxRecvMsgBytes = DefaultMaxMsgBytes
	}
	if c.MaxSendMsgBytes == 0 {
		c.MaxSendMsgBytes = DefaultMaxMsgBytes
	}
	if c.MaxHTTPBodyBytes == 0 {
		c.MaxHTTPBodyBytes = DefaultMaxHTTPBodyBytes
	}
	if c.HTTPReadHeaderTimeout == 0 {
		c.HTTPReadHeaderTimeout = DefaultHTTPReadHeaderTimeout
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	return c, nil
}

// Server runs one service's listeners. Register gRPC services on GRPC(),
// set the public HTTP handler and readiness checks, then call Run once.
type Server struct {
	cfg    Config
	tel    *telemetry.Telemetry
	grpc   *grpc.Server
	health *health.Server
	admin  *http.ServeMux

	started  atomic.Bool
	draining atomic.Bool
	ready    chan struct{} // closed once every listener is bound
	stopping chan struct{} // closed when connections start closing: ends health watches

	mu          sync.Mutex
	checks      []readinessCheck
	httpHandler http.Handler
	addrs       boundAddrs
}

// boundAddrs are the addresses the listeners actually bound.
type boundAddrs struct {
	grpc, admin, http net.Addr
}

// New builds a Server from cfg, instrumented with tel.
func New(cfg Config, tel *telemetry.Telemetry) (*Server, error) {
	if tel == nil {
		return nil, errors.New("new server: telemetry is required")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		tel:      tel,
		grpc:     grpc.NewServer(grpcOptions(cfg, tel)...),
		health:   health.NewServer(),
		ready:    make(chan struct{}),
		stopping: make(chan struct{}),
	}
	healthgrpc.RegisterHealthServer(s.grpc, drainingHealth{Server: s.health, stopping: s.stopping})
	reflection.Register(s.grpc)
	s.admin = s.newAdminMux()
	return s, nil
}

// GRPC returns the gRPC server; register services on it before Run.
func (s *Server) GRPC() *grpc.Server {
	return s.grpc
}

// SetHTTPHandler sets the handler of the public HTTP listener; call it before
// Run. The server adds timeouts, a body size limit, metrics and tracing. For
// a low-cardinality route label h should be the *http.ServeMux itself (see
// telemetry.HTTPMiddleware).
func (s *Server) SetHTTPHandler(h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpHandler = h
}

// HandleAdmin adds h to the admin listener at pattern (http.ServeMux syntax).
// Like http.ServeMux.Handle, it panics on an invalid pattern or one that
// conflicts with a registered one: patterns are constants in code, so that is
// a programming error found at start-up.
func (s *Server) HandleAdmin(pattern string, h http.Handler) {
	s.admin.Handle(pattern, h)
}

// Ready returns a channel closed once every listener is bound; the address
// methods are valid from then on. If Run fails to listen it returns an error
// and the channel is never closed.
func (s *Server) Ready() <-chan struct{} {
	return s.ready
}

// GRPCAddr returns the bound gRPC address (nil before Ready).
func (s *Server) GRPCAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs.grpc
}

// AdminAddr returns the bound admin HTTP address (nil before Ready).
func (s *Server) AdminAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs.admin
}

// HTTPAddr returns the bound public HTTP address (nil before Ready or when
// no HTTPAddr is configured).
func (s *Server) HTTPAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs.http
}
