// Package observe collects what the running services say about themselves,
// for the live console: spans received over OTLP/gRPC, golden signals and
// the call topology scraped from every instance's /metrics, and the tail of
// every instance's JSON log. Everything is kept in memory, bounded, and lost
// when the process stops: it is a window on the last minutes, not a store.
package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"golang.org/x/sync/errgroup"
)

// Config configures an Observer. Zero fields take the defaults below.
type Config struct {
	// TraceAddr is the loopback address the OTLP/gRPC trace receiver listens
	// on (default "127.0.0.1:0", a free port).
	TraceAddr string
	// Traces bounds the spans kept in memory.
	Traces TraceLimits
	// Scrape configures the metrics scraper; its Targets are required.
	Scrape ScraperConfig
	// Logs configures the log tailer; its Dir is required.
	Logs LogConfig
	// Logger receives the observer's own problems (default: discarded).
	Logger *slog.Logger
}

// Observer runs the trace receiver, the metrics scraper and the log tailer.
type Observer struct {
	// Traces holds the spans received.
	Traces *TraceStore
	// Metrics holds the golden signals and the topology.
	Metrics *Scraper
	// Logs holds the tail of the instances' logs.
	Logs *LogTail

	receiver *Receiver
	logger   *slog.Logger
}

// New creates an Observer and opens its trace listener, so that
// OTLPEndpoint is known before any service starts. Call Run to serve.
func New(cfg Config) (*Observer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TraceAddr == "" {
		cfg.TraceAddr = "127.0.0.1:0"
	}
	scraper, err := NewScraper(cfg.Scrape)
	if err != nil {
		return nil, fmt.Errorf("new observer: %w", err)
	}
	logs, err := NewLogTail(cfg.Logs)
	if err != nil {
		return nil, fmt.Errorf("new observer: %w", err)
	}
	traces := NewTraceStore(cfg.Traces)
	receiver, err := NewReceiver(cfg.TraceAddr, traces)
	if err != nil {
		return nil, fmt.Errorf("new observer: %w", err)
	}
	return &Observer{Traces: traces, Metrics: scraper, Logs: logs, receiver: receiver, logger: cfg.Logger}, nil
}

// OTLPEndpoint is the "host:port" services export spans to, plaintext
// (their OTEL_EXPORTER_OTLP_ENDPOINT).
func (o *Observer) OTLPEndpoint() string { return o.receiver.Addr() }

// Run serves the receiver and runs the scraper and the tailer until ctx
// ends, then stops the receiver. It returns the first failure other than
// the end of ctx.
func (o *Observer) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return o.receiver.Serve() })
	g.Go(func() error {
		<-ctx.Done()
		o.receiver.Stop(2 * time.Second)
		return nil
	})
	g.Go(func() error { return o.Metrics.Run(ctx) })
	g.Go(func() error { return o.Logs.Run(ctx) })
	err := g.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		o.logger.Error("observer stopped", "err", err)
		return fmt.Errorf("observer: %w", err)
	}
	return nil
}

// listenLoopback listens on addr, which must be a loopback address: what the
// observer receives is not authenticated.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("listen %s: not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return ln, nil
}
