package server

import (
	"log/slog"
	"net/http"
	"time"
)

// Public HTTP limits: a slow or idle client cannot hold a connection open.
const (
	httpReadTimeout    = 15 * time.Second
	httpWriteTimeout   = 30 * time.Second
	httpIdleTimeout    = 2 * time.Minute
	httpMaxHeaderBytes = 64 << 10
)

// adminWriteTimeout leaves room for /debug/pprof/profile's default 30s
// profile; pprof refuses durations longer than the write timeout.
const adminWriteTimeout = 2 * time.Minute

// newPublicHTTP returns the public HTTP server for h: measured and traced,
// request bodies bounded to cfg.MaxHTTPBodyBytes. The body limit wraps the
// middleware, not the reverse: http.MaxBytesHandler passes on a copy of the
// request, which would hide the matched pattern (the route label) from it.
func (s *Server) newPublicHTTP(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           http.MaxBytesHandler(s.tel.HTTPMiddleware(h), s.cfg.MaxHTTPBodyBytes),
		ReadHeaderTimeout: s.cfg.HTTPReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.tel.Logger.Handler(), slog.LevelWarn),
	}
}

// newAdminHTTP returns the admin HTTP server. Admin requests carry no body
// worth reading, so bodies are bounded tightly.
func (s *Server) newAdminHTTP() *http.Server {
	return &http.Server{
		Handler:           http.MaxBytesHandler(s.admin, 64<<10),
		ReadHeaderTimeout: s.cfg.HTTPReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      adminWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.tel.Logger.Handler(), slog.LevelWarn),
	}
}
