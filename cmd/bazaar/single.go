package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bazaar-shop/bazaar/internal/natsserver"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/platform/inproc"
	"github.com/bazaar-shop/bazaar/services/accounts"
	"github.com/bazaar-shop/bazaar/services/cart"
	"github.com/bazaar-shop/bazaar/services/catalog"
	"github.com/bazaar-shop/bazaar/services/inventory"
	"github.com/bazaar-shop/bazaar/services/notifications"
	"github.com/bazaar-shop/bazaar/services/orders"
	"github.com/bazaar-shop/bazaar/services/payment"
	"github.com/bazaar-shop/bazaar/services/pricing"
	"github.com/bazaar-shop/bazaar/services/recommendations"
	"github.com/bazaar-shop/bazaar/services/shipping"
	"github.com/bazaar-shop/bazaar/services/storefront"
)

// commandOf returns the command of every service, the same code each
// service's own binary runs.
func commandOf(version string) map[string]daemon.Command {
	return map[string]daemon.Command{
		"catalog": catalog.Command(version), "pricing": pricing.Command(version),
		"inventory": inventory.Command(version), "payment": payment.Command(version),
		"shipping": shipping.Command(version), "accounts": accounts.Command(version),
		"cart": cart.Command(version), "orders": orders.Command(version),
		"notifications": notifications.Command(version), "recommendations": recommendations.Command(version),
		"storefront": storefront.Command(version),
	}
}

// runSingle is `bazaar up -single`: every service in this one process,
// talking gRPC over an in-memory network instead of loopback sockets, with
// the event bus embedded too. Same service code, same data layout: the
// monolith baseline, and the fastest loop while developing.
func runSingle(ctx context.Context, c upConfig, httpAddr string, stdout, stderr io.Writer) error {
	start := time.Now()
	if err := os.MkdirAll(filepath.Join(c.data, "logs"), 0o750); err != nil {
		return fmt.Errorf("create log directory: %w", err)
	}
	bus, err := natsserver.Start(natsserver.Config{Addr: c.host + ":0", StoreDir: filepath.Join(c.data, "nats"), Name: "nats-single"})
	if err != nil {
		return err
	}
	defer bus.Shutdown()
	fmt.Fprintf(stdout, "  %-16s in process        nats %s\n", "nats", bus.ClientURL())

	network := inproc.New()
	svcCtx, stopServices := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	defer func() {
		fmt.Fprintln(stdout, "stopping…")
		stopServices()
		wg.Wait()
		fmt.Fprintln(stdout, "stopped")
	}()
	cmds := commandOf(version)
	for _, s := range services() {
		admin, err := freePort(c.host)
		if err != nil {
			return err
		}
		args := []string{
			"-instance", s.name + "-1", "-data", filepath.Join(c.data, s.name), "-admin-addr", admin,
			"-nats-url", bus.ClientURL(), "-log-level", c.logLevel,
		}
		if s.edge {
			args = append(args, "-http-addr", httpAddr)
		}
		logFile, err := os.OpenFile(filepath.Join(c.data, "logs", s.name+"-1.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return fmt.Errorf("open %s log: %w", s.name, err)
		}
		var runErr error
		stopped := make(chan struct{})
		wg.Go(func() {
			defer logFile.Close()
			defer close(stopped)
			if runErr = daemon.Run(svcCtx, cmds[s.name], args, os.LookupEnv, daemon.InProcess(network), daemon.LogTo(logFile)); runErr != nil {
				fmt.Fprintf(stderr, "bazaar up: %v\n", runErr)
			}
		})
		hc := &http.Client{Timeout: time.Second}
		if err := supervisor.AwaitReady(ctx, hc, admin, 30*time.Second, stopped, func() error { return runErr }); err != nil {
			return fmt.Errorf("start %s: %w", s.name, err)
		}
		fmt.Fprintf(stdout, "  %-16s in process        admin %s\n", s.name, admin)
	}
	fmt.Fprintf(stdout, "ready in %.1fs (single process); data in %s, logs in %s\n", time.Since(start).Seconds(), c.data, filepath.Join(c.data, "logs"))
	fmt.Fprintf(stdout, "storefront: http://%s\n", httpAddr)
	fmt.Fprintln(stdout, "press Ctrl-C to stop")
	<-ctx.Done()
	return nil
}
