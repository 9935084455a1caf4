// Package daemon runs one Bazaar service as a long-lived process: the
// settings every service shares, its telemetry, its gRPC, admin and
// (optionally) public HTTP listeners, and a graceful stop when its context
// ends (SIGTERM or Ctrl-C in the binary's main). A service's main declares
// its own flags and wires its parts; everything else is here, written once.
package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/bazaar-shop/bazaar/platform/client"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/identity"
	"github.com/bazaar-shop/bazaar/platform/inproc"
	"github.com/bazaar-shop/bazaar/platform/registry"
	"github.com/bazaar-shop/bazaar/platform/resilience"
	"github.com/bazaar-shop/bazaar/platform/resilience/ejection"
	"github.com/bazaar-shop/bazaar/platform/server"
	"github.com/bazaar-shop/bazaar/platform/storage"
	"github.com/bazaar-shop/bazaar/platform/telemetry"
)

// Settings are the settings every service process has. Each comes from a
// flag or its BAZAAR_ environment variable (see platform/config).
type Settings struct {
	// Service is the service's name; Version its build version.
	Service, Version string
	// Instance names this process among the service's replicas.
	Instance string
	// GRPCAddr, AdminAddr and HTTPAddr are the listen addresses; HTTPAddr
	// only for services with a public HTTP listener.
	GRPCAddr, AdminAddr, HTTPAddr string
	// DataDir is the service's own data directory.
	DataDir string
	// Registry is the local registry file that resolves registry:///
	// targets ("" outside local mode).
	Registry string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// OTLPEndpoint receives spans when set (OTEL_EXPORTER_OTLP_ENDPOINT).
	OTLPEndpoint string
	// DrainDelay is how long the process keeps serving after it reports
	// not ready, so callers move away before connections close.
	DrainDelay time.Duration
	// DrainTimeout bounds the wait for in-flight work when stopping.
	DrainTimeout time.Duration
	// CallTimeout is the default deadline of outgoing calls.
	CallTimeout time.Duration
	// NATSURL is the event bus (comma-separated URLs for a cluster).
	NATSURL string
	// StreamReplicas is the replica count of the event streams this
	// service creates (1 locally, 3 on a NATS cluster).
	StreamReplicas int
	// ShedCPU is the CPU utilisation (0..1] from which the service sheds
	// load it cannot serve (resilience.Shedder); above 1 never sheds.
	ShedCPU float64
	// MaxInFlight caps the calls in flight to each upstream service (the
	// bulkhead of every connection Dial makes).
	MaxInFlight int
	// TLS are the files of the service's mTLS identity (tls.go).
	TLS TLSSettings
	// MaxConnectionAge is how long a client connection to this service
	// lives before GOAWAY, so clients resolving by DNS find new replicas.
	MaxConnectionAge time.Duration
}

// Program describes the service a binary runs.
type Program struct {
	// Service is the service's name ("catalog").
	Service string
	// Version is the binary's version.
	Version string
	// PublicHTTP is true for services that serve a public HTTP listener.
	PublicHTTP bool
	// DefaultHTTPAddr is the public listener's default address.
	DefaultHTTPAddr string
}

// Env is what a service's wiring gets: its settings, telemetry and server.
// Its methods are meant for the wiring, which runs on one goroutine.
type Env struct {
	// Settings are the parsed common settings.
	Settings Settings
	// Logger is the service's structured logger.
	Logger *slog.Logger
	// Telemetry holds the tracer, metrics registry and logger.
	Telemetry *telemetry.Telemetry
	// Server is where the service registers its gRPC services and public
	// HTTP handler.
	Server *server.Server
	// Shedder is the service's load shedder, shared by its gRPC server and
	// (for the storefront) its public HTTP handler.
	Shedder *resilience.Shedder

	bus     *events.Bus
	ident   *identity.Source // nil without mTLS
	conns   []*grpc.ClientConn
	network *inproc.Network // set in the single-process shop
}

// Option changes how Run runs a service.
type Option func(*runOptions)

type runOptions struct {
	network   *inproc.Network
	logOutput io.Writer
}

// InProcess serves the service's gRPC API on the in-memory network n,
// under its service name, and dials other services through n: the
// single-process shop, where every service shares one process.
func InProcess(n *inproc.Network) Option { return func(o *runOptions) { o.network = n } }

// LogTo writes the service's logs to w instead of standard error.
func LogTo(w io.Writer) Option { return func(o *runOptions) { o.logOutput = w } }

// Service is a running service as the daemon manages it.
type Service interface {
	// Ready reports whether the service can take traffic (for /readyz).
	Ready(ctx context.Context) error
	// Close releases what the service holds, after the server stopped.
	Close() error
}

// Background is implemented by services with work of their own besides
// answering calls (event relays and consumers, sagas). The daemon runs it
// once the service is wired, cancels its context when draining starts, and
// waits for it to return before calling Close.
type Background interface {
	Background(ctx context.Context)
}

// Wire builds a service from its environment and registers it on the
// server.
type Wire func(ctx context.Context, env *Env) (Service, error)

// Command is everything a service binary runs: what the service is, its
// own flags (nil for none) and its wiring. Each service package exports
// one, so its binary and the single-process shop run the same code.
type Command struct {
	// Program names the service and its version.
	Program Program
	// Flags declares the service's own settings; nil for none.
	Flags func(*config.FlagSet)
	// Wire builds the service once settings are parsed.
	Wire Wire
}

// Run parses args and the environment (flags declares the service's own
// flags), builds telemetry and the server, wires the service, and serves
// until ctx ends; then it drains and stops. A bad setting fails before
// anything starts, with a message naming it.
func Run(ctx context.Context, cmd Command, args []string, lookupEnv func(string) (string, bool), opts ...Option) error {
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	prog, wire := cmd.Program, cmd.Wire
	s, err := parseSettings(prog, args, lookupEnv, cmd.Flags)
	if err != nil {
		return err
	}
	tel, err := telemetry.New(ctx, telemetry.Options{
		Service: s.Service, Version: s.Version, Instance: s.Instance,
		LogLevel: parseLevel(s.LogLevel), OTLPEndpoint: s.OTLPEndpoint, LogOutput: o.logOutput,
	})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			tel.Logger.Warn("telemetry shutdown", "err", err)
		}
	}()
	shedder := resilience.NewShedder(resilience.ShedConfig{CPUThreshold: s.ShedCPU})
	scfg := server.Config{
		GRPCAddr: s.GRPCAddr, AdminAddr: s.AdminAddr, HTTPAddr: s.HTTPAddr,
		PreDrainDelay: s.DrainDelay, DrainTimeout: s.DrainTimeout, MaxConnectionAge: s.MaxConnectionAge,
		UnaryInterceptors: serverInterceptors(ctx, s, shedder),
	}
	ident, err := secure(s, o.network != nil, &scfg)
	if err != nil {
		return err
	}
	if o.network != nil {
		if scfg.GRPCListener, err = o.network.Listen(s.Service); err != nil {
			return fmt.Errorf("%s: %w", s.Service, err)
		}
	}
	srv, err := server.New(scfg, tel)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Service, err)
	}
	env := &Env{Settings: s, Logger: tel.Logger, Telemetry: tel, Server: srv, Shedder: shedder, network: o.network, ident: ident}
	svc, err := wire(ctx, env)
	if err != nil {
		err = errors.Join(err, env.closeConns())
		if env.bus != nil {
			env.bus.Close()
		}
		return fmt.Errorf("start %s: %w", s.Service, err)
	}
	srv.AddReadinessCheck(s.Service, svc.Ready)
	tel.Logger.Info("starting", "grpc", s.GRPCAddr, "admin", s.AdminAddr, "http", s.HTTPAddr, "data", s.DataDir)
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		if bg, ok := svc.(Background); ok {
			bg.Background(bgCtx)
		}
	}()
	go func() {
		// Background work stops when draining starts, so no new work is
		// taken while in-flight calls finish.
		<-ctx.Done()
		stopBackground()
	}()
	runErr := srv.Run(ctx)
	stopBackground()
	<-bgDone
	closeErr := errors.Join(svc.Close(), env.closeConns())
	if env.bus != nil {
		env.bus.Close()
	}
	err = errors.Join(runErr, closeErr)
	tel.Logger.Info("stopped", "err", err)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Service, err)
	}
	return nil
}

func parseSettings(prog Program, args []string, lookupEnv func(string) (string, bool), flags func(*config.FlagSet)) (Settings, error) {
	s := Settings{Service: prog.Service, Version: prog.Version}
	fs := config.NewFlagSet(prog.Service)
	host, _ := os.Hostname()
	fs.StringVar(&s.Instance, "instance", prog.Service+"@"+host, "this instance's name among the service's replicas")
	fs.AddrVar(&s.GRPCAddr, "grpc-addr", "127.0.0.1:0", "gRPC listen address")
	fs.AddrVar(&s.AdminAddr, "admin-addr", "127.0.0.1:0", "admin HTTP listen address: /metrics /healthz /readyz /debug/pprof")
	if prog.PublicHTTP {
		fs.AddrVar(&s.HTTPAddr, "http-addr", prog.DefaultHTTPAddr, "public HTTP listen address")
	}
	fs.StringVar(&s.DataDir, "data", filepath.Join(".bazaar", prog.Service), "the service's data directory")
	fs.StringVar(&s.Registry, "registry", "", "local registry file that resolves registry:/// targets")
	fs.StringVar(&s.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	otlp, _ := lookupEnv("OTEL_EXPORTER_OTLP_ENDPOINT")
	fs.StringVar(&s.OTLPEndpoint, "otlp-endpoint", otlp, "OTLP/gRPC collector for spans (default $OTEL_EXPORTER_OTLP_ENDPOINT; empty: no export)")
	fs.DurationVar(&s.DrainDelay, "drain-delay", 500*time.Millisecond, "keep serving this long after reporting not ready, before closing connections")
	fs.DurationVar(&s.DrainTimeout, "drain-timeout", 10*time.Second, "longest wait for in-flight work when stopping")
	fs.DurationVar(&s.CallTimeout, "call-timeout", 2*time.Second, "default deadline of outgoing calls")
	fs.StringVar(&s.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS JetStream URL(s) of the event bus, comma-separated for a cluster")
	fs.IntVar(&s.StreamReplicas, "stream-replicas", 1, "replicas of the event streams this service creates (3 on a NATS cluster)")
	fs.Float64Var(&s.ShedCPU, "shed-cpu", 0.8, "CPU utilisation (0..1] from which calls beyond the measured capacity are shed; above 1 never sheds")
	fs.IntVar(&s.MaxInFlight, "max-in-flight", client.DefaultMaxInFlight, "most calls in flight to each upstream service (bulkhead); -1 for no cap")
	fs.DurationVar(&s.MaxConnectionAge, "max-connection-age", server.DefaultMaxConnectionAge, "how long a client connection lives before the server asks it to reconnect (clients then see new replicas)")
	fs.Check("max-connection-age", func() bool { return s.MaxConnectionAge > 0 }, "must be positive")
	fs.Check("shed-cpu", func() bool { return s.ShedCPU > 0 }, "must be positive")
	fs.Check("max-in-flight", func() bool { return s.MaxInFlight >= 1 || s.MaxInFlight == -1 }, "must be at least 1, or -1 for no cap")
	fs.Check("stream-replicas", func() bool { return s.StreamReplicas >= 1 && s.StreamReplicas <= 5 }, "must be in 1..5")
	fs.Check("log-level", func() bool { _, ok := levels()[strings.ToLower(s.LogLevel)]; return ok }, "must be debug, info, warn or error")
	fs.Check("drain-delay", func() bool { return s.DrainDelay >= 0 }, "must not be negative")
	fs.Check("drain-timeout", func() bool { return s.DrainTimeout > 0 }, "must be positive")
	fs.Check("call-timeout", func() bool { return s.CallTimeout > 0 }, "must be positive")
	tlsFlags(fs, &s.TLS)
	if flags != nil {
		flags(fs)
	}
	if err := fs.Parse(args, lookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage(os.Stderr)
		}
		return s, err
	}
	return s, nil
}

func levels() map[string]slog.Level {
	return map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
}

func parseLevel(s string) slog.Level { return levels()[strings.ToLower(s)] }

// Dial connects to another service through its published API: target is
// "registry:///name" (local mode), "dns:///host:port" or "host:port". svc
// is the called service's descriptor, from which idempotent methods get
// retries. The connection carries the service's telemetry; the daemon
// closes it after the service's Close.
func (e *Env) Dial(target string, svc protoreflect.ServiceDescriptor) (*grpc.ClientConn, error) {
	extra := e.Telemetry.DialOptions()
	if e.network != nil {
		// In one process every service is reached by name on the
		// in-memory network; there is no registry to resolve.
		if name, ok := strings.CutPrefix(target, "registry:///"); ok {
			target = "passthrough:///" + name
		}
		extra = append(extra, grpc.WithContextDialer(e.network.Dial))
	}
	opts := client.Options{
		Registry:       e.Settings.Registry,
		DefaultTimeout: e.Settings.CallTimeout,
		Services:       []protoreflect.ServiceDescriptor{svc},
		From:           e.Settings.Service,
		MaxInFlight:    e.Settings.MaxInFlight,
	}
	if e.ident != nil {
		name, err := serviceOf(svc)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", target, err)
		}
		opts.Credentials = identity.ClientCredentials(e.ident, name)
	}
	conn, err := client.Dial(target, opts, extra...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	e.conns = append(e.conns, conn)
	return conn, nil
}

// closeConns closes every connection Dial made.
func (e *Env) closeConns() error {
	var errs []error
	for _, c := range e.conns {
		errs = append(errs, c.Close())
	}
	e.conns = nil
	return errors.Join(errs...)
}

// EventsTelemetry is the telemetry the events package uses.
func (e *Env) EventsTelemetry() events.Telemetry {
	return events.Telemetry{
		Tracer: e.Telemetry.Tracer, Propagator: e.Telemetry.Propagator,
		Registry: e.Telemetry.Registry, Logger: e.Logger,
	}
}

// Bus connects to the event bus once (later calls return the same bus);
// the daemon closes it after the service. It does not wait for NATS: a
// service starts and serves while the bus is down.
func (e *Env) Bus() (*events.Bus, error) {
	if e.bus != nil {
		return e.bus, nil
	}
	bus, err := events.Connect(e.Settings.NATSURL, events.BusOptions{
		Name: e.Settings.Instance, Replicas: e.Settings.StreamReplicas, Telemetry: e.EventsTelemetry(),
		TLS: e.busTLS(),
	})
	if err != nil {
		return nil, err
	}
	e.bus = bus
	return bus, nil
}

// StorageOptions are the options every service opens its database with:
// a span per SQL statement of a traced call or event.
func (e *Env) StorageOptions() []storage.Option {
	return []storage.Option{storage.WithTracing(e.Telemetry.Tracer)}
}

// DataPath is the path of file inside the service's data directory.
func (e *Env) DataPath(file string) string { return filepath.Join(e.Settings.DataDir, file) }

// Main runs a service binary: it stops when ctx ends (the caller ties ctx
// to SIGINT and SIGTERM) and turns an error into exit status 1 with the
// message, which names the service, on stderr.
// It returns the exit status for os.Exit.
func Main(ctx context.Context, cmd Command) int {
	if len(os.Args) > 1 && os.Args[1] == ProbeCommand {
		return probeMain(ctx, cmd.Program, os.Args[2:])
	}
	ejection.Register()
	err := Run(ctx, cmd, os.Args[1:], os.LookupEnv)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
}

// serverInterceptors are the resilience interceptors of the service's gRPC
// server, in order: the registry's error faults (local mode: they model a
// sick instance, so they act first), then load shedding (before any work),
// the deadline budget and the caller's priority for the handler's own
// calls, which resilience.ServerUnary does in one interceptor.
func serverInterceptors(ctx context.Context, s Settings, shedder *resilience.Shedder) []grpc.UnaryServerInterceptor {
	var out []grpc.UnaryServerInterceptor
	if s.Registry != "" {
		rules := registry.NewWatcher(s.Registry)
		go rules.Follow(ctx, 0)
		out = append(out, server.InjectErrors(rules, s.Service))
	}
	return append(out, resilience.ServerUnary(shedder))
}
