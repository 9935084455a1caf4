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
	"net/url"
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
	// ClusterAddr is the listen address for routes from the other nodes
	// of a cluster ("0.0.0.0:6222"); "" runs a single server.
	ClusterAddr string
	// ClusterName names the cluster; every node must use the same one.
	ClusterName string
	// Routes are the other nodes' route URLs ("nats://nats-2:6222"); a
	// node's own URL among them is ignored, so every node may be given the
	// same list.
	Routes []string
}

// DefaultClusterName is the cluster name when Config.ClusterName is empty.
const DefaultClusterName = "bazaar"

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
	if err := cluster(cfg, opts); err != nil {
		return nil, err
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

// cluster sets the cluster options of opts from cfg: a route listener and
// the routes to the other nodes, which together make a JetStream cluster
// (JetStream's clustered mode needs a server name and a cluster name).
func cluster(cfg Config, opts *server.Options) error {
	if cfg.ClusterAddr == "" {
		if len(cfg.Routes) > 0 {
			return errors.New("start nats: routes given without a cluster address")
		}
		return nil
	}
	host, portStr, err := net.SplitHostPort(cfg.ClusterAddr)
	if err != nil {
		return fmt.Errorf("start nats: cluster address %q: %w", cfg.ClusterAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 {
		return fmt.Errorf("start nats: cluster port %q: must be a positive number", portStr)
	}
	if cfg.Name == "" {
		return errors.New("start nats: a cluster node needs a server name")
	}
	name := cfg.ClusterName
	if name == "" {
		name = DefaultClusterName
	}
	opts.Cluster = server.ClusterOpts{Name: name, Host: host, Port: port}
	for _, r := range cfg.Routes {
		u, err := url.Parse(r)
		if err != nil || u.Scheme != "nats" || u.Port() == "" {
			return fmt.Errorf("start nats: route %q: want nats://host:port", r)
		}
		opts.Routes = append(opts.Routes, u)
	}
	return nil
}

// ClientURL is the URL clients connect to ("nats://127.0.0.1:4222").
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Ready reports whether the server takes connections and JetStream is on;
// in a cluster, also that the node is current with the JetStream meta
// group (a quorum of nodes is up and a leader is elected).
func (s *Server) Ready() bool {
	return s.ns.ReadyForConnections(100*time.Millisecond) && s.ns.JetStreamEnabled() && s.ns.JetStreamIsCurrent()
}

// Clustered reports whether the node runs JetStream in clustered mode.
func (s *Server) Clustered() bool { return s.ns.JetStreamIsClustered() }

// Shutdown stops the server and waits until it has.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
