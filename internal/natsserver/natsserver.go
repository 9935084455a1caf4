// Package natsserver runs an embedded NATS server with JetStream, the
// event bus of a local Bazaar: `bazaar nats` serves it as its own process,
// and tests start one in-process. Every write is fsync'd before it is
// acknowledged (sync_interval: always), so an accepted event survives a
// power cut.
package natsserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config says where the server listens and keeps its data.
type Config struct {
	// Addr is the client listen address ("127.0.0.1:4222"; port 0 picks
	// a free one).
	Addr string
	// StoreDir holds JetStream's files.
	StoreDir string
	// Name is the server's name in monitoring and clusters.
	Name string
	// MaxStoreBytes caps JetStream's disk use (default 1 GiB).
	MaxStoreBytes int64
	// TLS, when set, makes every client connection mutual TLS with it
	// (identity.ServerTLS: a certificate from the shop's CA is required);
	// nil serves plaintext.
	TLS *tls.Config
}

// Server is a running embedded NATS server.
type Server struct {
	ns *server.Server
}

// Start starts a server and waits until it accepts connections.
func Start(cfg Config) (*Server, error) {
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("start nats: address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("start nats: port %q: %w", portStr, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if cfg.StoreDir == "" {
		return nil, errors.New("start nats: empty store directory")
	}
	if cfg.MaxStoreBytes <= 0 {
		cfg.MaxStoreBytes = 1 << 30
	}
	opts := &server.Options{
		ServerName:        cfg.Name,
		Host:              host,
		Port:              port,
		JetStream:         true,
		StoreDir:          cfg.StoreDir,
		JetStreamMaxStore: cfg.MaxStoreBytes,
		SyncAlways:        true,
		NoSigs:            true,
		NoLog:             true,
		MaxPayload:        1 << 20,
	}
	if cfg.TLS != nil {
		opts.TLSConfig = cfg.TLS
		opts.TLSVerify = true
		opts.TLSTimeout = 5
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("start nats on %s: not ready after 10s", cfg.Addr)
	}
	return &Server{ns: ns}, nil
}

// ClientURL is the URL clients connect to ("nats://127.0.0.1:4222").
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Ready reports whether the server takes connections and JetStream is on.
func (s *Server) Ready() bool {
	return s.ns.ReadyForConnections(100*time.Millisecond) && s.ns.JetStreamEnabled()
}

// Shutdown stops the server and waits until it has.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
