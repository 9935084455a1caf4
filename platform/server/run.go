package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
)

// listeners are the bound sockets of one Run.
type listeners struct {
	grpc, admin, http net.Listener // http is nil without HTTPAddr
}

// Run binds every configured address, serves until ctx is done, then drains:
// it reports NOT_SERVING and fails /readyz, waits PreDrainDelay, stops
// accepting connections and lets in-flight calls finish within DrainTimeout
// before cutting the rest off. It returns nil after a drain started by ctx,
// or the error that stopped a listener. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("run server: already running or run")
	}
	s.mu.Lock()
	handler := s.httpHandler
	s.mu.Unlock()
	if s.cfg.HTTPAddr != "" && handler == nil {
		return fmt.Errorf("run server: HTTPAddr %q is set but no HTTP handler was set", s.cfg.HTTPAddr)
	}
	lis, err := s.listen(ctx)
	if err != nil {
		return fmt.Errorf("run server: %w", err)
	}

	admin := s.newAdminHTTP()
	var public *http.Server
	if lis.http != nil {
		public = s.newPublicHTTP(handler)
	}
	s.tel.InitializeGRPCMetrics(s.grpc)
	s.markServing()
	close(s.ready)
	s.tel.Logger.InfoContext(ctx, "server serving", "grpc_addr", lis.grpc.Addr().String(),
		"admin_addr", lis.admin.Addr().String(), "http_addr", addrString(lis.http))

	served := make(chan error, 3)
	running := 2
	go func() { served <- s.grpc.Serve(lis.grpc) }()
	go func() { served <- serveHTTP(admin, lis.admin) }()
	if public != nil {
		running++
		go func() { served <- serveHTTP(public, lis.http) }()
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case err := <-served:
		running--
		if err == nil {
			err = errors.New("a listener stopped without error")
		}
		serveErr = fmt.Errorf("run server: serve: %w", err)
	}
	s.drain(ctx, admin, public)
	for range running {
		if err := <-served; err != nil && serveErr == nil {
			serveErr = fmt.Errorf("run server: serve: %w", err)
		}
	}
	s.tel.Logger.InfoContext(ctx, "server stopped")
	return serveErr
}

// listen binds every configured address, or none.
func (s *Server) listen(ctx context.Context) (listeners, error) {
	var lc net.ListenConfig
	var lis listeners
	var opened []net.Listener
	bind := func(kind, addr string) (net.Listener, error) {
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			for _, o := range opened {
				o.Close()
			}
			return nil, fmt.Errorf("listen on %s address %q: %w", kind, addr, err)
		}
		opened = append(opened, l)
		return l, nil
	}
	var err error
	if s.cfg.GRPCListener != nil {
		lis.grpc = s.cfg.GRPCListener
		opened = append(opened, lis.grpc)
	} else if lis.grpc, err = bind("gRPC", s.cfg.GRPCAddr); err != nil {
		return lis, err
	}
	if lis.admin, err = bind("admin", s.cfg.AdminAddr); err != nil {
		return lis, err
	}
	if s.cfg.HTTPAddr != "" {
		if lis.http, err = bind("HTTP", s.cfg.HTTPAddr); err != nil {
			return lis, err
		}
	}
	s.mu.Lock()
	s.addrs = boundAddrs{grpc: lis.grpc.Addr(), admin: lis.admin.Addr()}
	if lis.http != nil {
		s.addrs.http = lis.http.Addr()
	}
	s.mu.Unlock()
	return lis, nil
}

// markServing reports SERVING for the server as a whole ("") and for every
// registered service.
func (s *Server) markServing() {
	s.health.SetServingStatus("", healthgrpc.HealthCheckResponse_SERVING)
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, healthgrpc.HealthCheckResponse_SERVING)
	}
}

// drain takes the server out of rotation, waits PreDrainDelay, then closes
// the listeners and waits up to DrainTimeout for in-flight work. The admin
// listener closes last, so /readyz keeps answering 503 during the drain.
func (s *Server) drain(ctx context.Context, admin, public *http.Server) {
	s.draining.Store(true)
	s.health.Shutdown()
	s.tel.Logger.InfoContext(ctx, "server draining", "pre_drain_delay", s.cfg.PreDrainDelay.String(), "drain_timeout", s.cfg.DrainTimeout.String())
	time.Sleep(s.cfg.PreDrainDelay)

	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.DrainTimeout)
	defer cancel()
	close(s.stopping)
	var wg sync.WaitGroup
	wg.Go(func() { s.stopGRPC(stopCtx) })
	if public != nil {
		wg.Go(func() { s.shutdownHTTP(stopCtx, "public", public) })
	}
	wg.Wait()
	s.shutdownHTTP(stopCtx, "admin", admin)
}

// stopGRPC stops the gRPC server gracefully, or forcibly once ctx ends.
func (s *Server) stopGRPC(ctx context.Context) {
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.tel.Logger.WarnContext(ctx, "gRPC drain timed out; cancelling in-flight calls")
		s.grpc.Stop()
		<-stopped
	}
}

// shutdownHTTP shuts srv down gracefully, or closes it once ctx ends.
func (s *Server) shutdownHTTP(ctx context.Context, name string, srv *http.Server) {
	if err := srv.Shutdown(ctx); err != nil {
		s.tel.Logger.WarnContext(ctx, "HTTP drain timed out; closing connections", "listener", name, slog.Any("error", err))
		srv.Close()
	}
}

// serveHTTP serves srv on l; a shutdown is not an error.
func serveHTTP(srv *http.Server, l net.Listener) error {
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func addrString(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}
