package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/bazaar-shop/bazaar/internal/natsserver"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/platform/identity"
)

// busTLS is the bus's mutual TLS configuration from its identity files,
// nil (plaintext) when none is set.
func busTLS(f identity.Files) (*tls.Config, error) {
	if f == (identity.Files{}) {
		return nil, nil
	}
	src, err := identity.LoadSource(f)
	if err != nil {
		return nil, fmt.Errorf("bazaar nats: %w", err)
	}
	if src.Name() != "nats" {
		return nil, fmt.Errorf("bazaar nats: -tls-cert is the identity of %s, not of the bus", identity.ID(src.Name()))
	}
	return identity.ServerTLS(src), nil
}

// runNATS is `bazaar nats`: the event bus as its own process, a NATS
// server with JetStream embedded in this binary (so service binaries stay
// small), every write fsync'd before it is acknowledged. Its admin port
// answers /healthz and /readyz like every service's.
func runNATS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := config.NewFlagSet("bazaar nats")
	var addr, adminAddr, data, name, clusterAddr, clusterName, routes string
	fs.AddrVar(&addr, "nats-addr", "127.0.0.1:4222", "client listen address")
	fs.AddrVar(&adminAddr, "admin-addr", "127.0.0.1:0", "admin HTTP listen address: /healthz /readyz")
	fs.StringVar(&data, "data", ".bazaar/nats", "JetStream storage directory")
	fs.StringVar(&name, "instance", "nats-1", "server name (unique in a cluster)")
	var tlsFiles identity.Files
	fs.StringVar(&tlsFiles.Cert, "tls-cert", "", "PEM certificate of the bus's identity (spiffe://bazaar.local/svc/nats); with -tls-key and -tls-ca every client must present a certificate of the shop")
	fs.StringVar(&tlsFiles.Key, "tls-key", "", "PEM private key of -tls-cert")
	fs.StringVar(&tlsFiles.CA, "tls-ca", "", "PEM certificate of the shop's CA")
	fs.StringVar(&clusterAddr, "cluster-addr", "", "route listen address of a cluster node, e.g. 0.0.0.0:6222 (empty: a single server)")
	fs.StringVar(&clusterName, "cluster-name", natsserver.DefaultClusterName, "cluster name, the same on every node")
	fs.StringVar(&routes, "routes", "", "comma-separated route URLs of the cluster's nodes, e.g. nats://nats-1:6222,nats://nats-2:6222 (this node's own is ignored)")
	if err := fs.Parse(args, os.LookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage(stdout)
		}
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("service", "nats", "instance", name)
	tlsConfig, err := busTLS(tlsFiles)
	if err != nil {
		return err
	}
	srv, err := natsserver.Start(natsserver.Config{
		Addr: addr, StoreDir: data, Name: name, TLS: tlsConfig,
		ClusterAddr: clusterAddr, ClusterName: clusterName, Routes: splitList(routes),
	})
	if err != nil {
		return err
	}
	defer srv.Shutdown()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !srv.Ready() {
			http.Error(w, "jetstream not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	admin := &http.Server{Addr: adminAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- admin.ListenAndServe() }()
	log.Info("nats serving", "url", srv.ClientURL(), "admin", adminAddr, "store", data, "cluster", clusterAddr, "routes", routes)
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("nats admin listener %s: %w", adminAddr, err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = admin.Shutdown(sctx)
	log.Info("nats stopped")
	return nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// runProbe is `bazaar probe`: the health probe of a container running
// `bazaar nats` (images FROM scratch have no curl). It asks the admin
// listener (-admin-addr, BAZAAR_ADMIN_ADDR) for /readyz and fails unless
// it answers 200.
func runProbe(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := config.NewFlagSet("bazaar probe")
	var adminAddr string
	fs.AddrVar(&adminAddr, "admin-addr", "127.0.0.1:8222", "admin HTTP address to ask for /readyz")
	if err := fs.Parse(args, os.LookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage(stdout)
		}
		return err
	}
	return daemon.Probe(ctx, adminAddr)
}
