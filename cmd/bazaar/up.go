package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/internal/build"
	"github.com/bazaar-shop/bazaar/internal/console"
	"github.com/bazaar-shop/bazaar/internal/control"
	"github.com/bazaar-shop/bazaar/internal/edge"
	"github.com/bazaar-shop/bazaar/internal/observe"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/client"
	"github.com/bazaar-shop/bazaar/platform/config"
)

// serviceSpec is one service `up` runs.
type serviceSpec struct {
	name string
	edge bool // serves the shop's HTTP: behind the edge, or on the public port with -single
}

// services lists the services `up` builds and runs, in start order: a
// service starts after the services it calls, so the shop is whole when
// the URL is printed. The event bus starts before all of them.
func services() []serviceSpec {
	return []serviceSpec{
		{name: "catalog"},
		{name: "pricing"},
		{name: "inventory"},
		{name: "payment"},
		{name: "shipping"},
		{name: "accounts"},
		{name: "cart"},
		{name: "orders"},
		{name: "notifications"},
		{name: "recommendations"},
		{name: "storefront", edge: true},
	}
}

// upConfig is the settings of `bazaar up`.
type upConfig struct {
	data     string
	host     string
	port     int
	bin      string
	noBuild  bool
	logLevel string
	verbose  bool
	// consolePort is the console's port on 127.0.0.1.
	consolePort int
	// single runs every service in this process.
	single bool
	// postgres, when set, is the PostgreSQL server every stateful service
	// keeps its database on (postgres.go).
	postgres string
	// storefronts is how many storefront instances run behind the edge.
	storefronts int
}

func parseUp(args []string) (upConfig, error) {
	var c upConfig
	fs := config.NewFlagSet("bazaar up")
	fs.StringVar(&c.data, "data", ".bazaar", "data directory: every service's data, logs, binaries and the registry")
	fs.StringVar(&c.host, "host", "127.0.0.1", "address every service listens on")
	fs.IntVar(&c.port, "port", 8080, "the shop's public HTTP port: the edge in front of the storefront instances (0 picks a free one)")
	fs.IntVar(&c.storefronts, "storefronts", 2, "storefront instances behind the edge at start ('bazaar scale storefront=N' changes it later)")
	fs.StringVar(&c.bin, "bin", "", "directory of prebuilt service binaries (default DATA/bin, built from source)")
	fs.BoolVar(&c.noBuild, "no-build", false, "do not build: use the binaries already in -bin")
	fs.StringVar(&c.logLevel, "log-level", "info", "services' log level: debug, info, warn, error")
	fs.BoolVar(&c.verbose, "v", false, "print the supervisor's events")
	fs.IntVar(&c.consolePort, "console-port", 8090, "console port on 127.0.0.1 (0 picks a free one)")
	fs.BoolVar(&c.single, "single", false, "run every service in this one process over an in-memory network (the monolith baseline)")
	fs.StringVar(&c.postgres, "postgres", "", "PostgreSQL server (postgres://user:pass@host:5432/PREFIX?sslmode=disable) for every stateful service's database, PREFIX_<service> (default prefix bazaar), created when missing; default: SQLite files in the data directory")
	fs.Check("console-port", func() bool { return c.consolePort >= 0 && c.consolePort <= 65535 }, "must be in 0..65535")
	fs.Check("port", func() bool { return c.port >= 0 && c.port <= 65535 }, "must be in 0..65535")
	fs.Check("storefronts", func() bool { return c.storefronts >= 1 && c.storefronts <= supervisor.MaxReplicas },
		fmt.Sprintf("must be in 1..%d", supervisor.MaxReplicas))
	fs.Check("host", func() bool { return net.ParseIP(c.host) != nil }, "must be an IP address")
	err := fs.Parse(args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage(os.Stdout)
	}
	return c, err
}

// runUp is `bazaar up`.
func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseUp(args)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.data, 0o750); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	unlock, err := lockDataDir(c.data)
	if err != nil {
		return err
	}
	defer unlock()
	if c.single && c.postgres != "" {
		return errors.New("bazaar up: -postgres needs separate processes; drop -single")
	}
	if c.single {
		httpAddr, err := storefrontAddr(c)
		if err != nil {
			return err
		}
		return runSingle(ctx, c, httpAddr, stdout, stderr)
	}
	// The public port is taken first: a busy one stops `up` before it
	// builds anything.
	public, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.Itoa(c.port)))
	if err != nil {
		return fmt.Errorf("listen on the public port (-port): %w", err)
	}
	defer public.Close() // Serve closes it; this is for an early return

	bins, err := prepareBinaries(ctx, c, stdout)
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	pki, err := openPKI(c.data) // mTLS between every service (docs/security.md)
	if err != nil {
		return err
	}
	cfg := supervisor.Config{DataDir: c.data, Host: c.host, Logger: logger, PKI: pki}
	if bins.root != "" {
		cfg.Build = upgradeBuilder(bins.root, bins.dir)
	}
	sup, err := supervisor.New(cfg)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(stdout, "stopping…")
		if err := sup.StopAll(); err != nil {
			fmt.Fprintf(stderr, "bazaar up: stop: %v\n", err)
		}
		fmt.Fprintln(stdout, "stopped")
	}()
	// The control API serves `bazaar status`, `scale`, … until up stops:
	// closed before the instances stop, so no operation races the stop.
	ctl, err := control.Serve(sup, control.FilePath(c.data), logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := ctl.Close(); err != nil {
			fmt.Fprintf(stderr, "bazaar up: %v\n", err)
		}
	}()

	// The observer receives every service's spans and scrapes their
	// metrics for the console; it outlives the instances so their last
	// spans land.
	op := consoleOperator{sup: sup}
	obs, err := observe.New(observe.Config{
		Scrape: observe.ScraperConfig{Targets: console.ScrapeTargets(op)},
		Logs:   observe.LogConfig{Dir: filepath.Join(sup.DataDir(), "logs")},
		Logger: logger,
	})
	if err != nil {
		return err
	}
	obsCtx, stopObserver := context.WithCancel(context.WithoutCancel(ctx))
	obsDone := make(chan struct{})
	go func() { defer close(obsDone); _ = obs.Run(obsCtx) }()
	defer func() { stopObserver(); <-obsDone }()

	start := time.Now()
	publicURL := "http://" + public.Addr().String()
	if err := ctl.SetStorefront(publicURL); err != nil {
		return err
	}
	natsURL, err := startBus(ctx, sup, c.host, stdout)
	if err != nil {
		return err
	}
	dsns, err := postgresDatabases(ctx, c.postgres, services())
	if err != nil {
		return err
	}
	for _, s := range services() {
		spec := supervisor.Spec{
			Name:    s.name,
			Binary:  filepath.Join(bins.dir, s.name),
			Version: bins.version,
			Env: []string{"BAZAAR_LOG_LEVEL=" + c.logLevel, "BAZAAR_NATS_URL=" + natsURL,
				"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + obs.OTLPEndpoint()},
			Restart: true,
		}
		if dsn, ok := dsns[s.name]; ok {
			spec.Env = append(spec.Env, config.EnvName("dsn")+"="+dsn)
		}
		spec.HTTP = s.edge // each instance on a port of its own, behind the edge
		inst, err := sup.Start(ctx, spec)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %-16s %-18s pid %-7d grpc %s%s\n", s.name, inst.ID, inst.PID(), inst.GRPCAddr, httpNote(inst.HTTPAddr))
		if s.edge && c.storefronts > 1 {
			if err := scaleEdge(ctx, sup, s.name, c.storefronts, inst.ID, stdout); err != nil {
				return err
			}
		}
	}
	stopEdge, err := startEdge(ctx, sup, public, logger)
	if err != nil {
		return err
	}
	defer stopEdge() // before the instances stop (deferred earlier)
	fmt.Fprintf(stdout, "ready in %.1fs; data in %s, logs in %s\n", time.Since(start).Seconds(), sup.DataDir(), filepath.Join(sup.DataDir(), "logs"))
	fmt.Fprintf(stdout, "control: http://%s (token in %s)\n", ctl.Addr(), control.FilePath(c.data))
	consoleURL, stopConsole, err := startConsole(ctx, c, sup, op, obs, logger)
	if err != nil {
		return err
	}
	defer stopConsole()
	fmt.Fprintf(stdout, "storefront: %s\n", publicURL)
	fmt.Fprintf(stdout, "console: %s\n", consoleURL)
	fmt.Fprintln(stdout, "press Ctrl-C to stop")
	<-ctx.Done()
	return nil
}

// scaleEdge runs n instances of the storefront service and prints the
// ones started after first.
func scaleEdge(ctx context.Context, sup *supervisor.Supervisor, service string, n int, first string, stdout io.Writer) error {
	if err := sup.Scale(ctx, service, n); err != nil {
		return err
	}
	for _, in := range sup.Status() {
		if in.Service == service && in.ID != first {
			fmt.Fprintf(stdout, "  %-16s %-18s pid %-7d grpc %s%s\n", service, in.ID, in.PID, in.GRPCAddr, httpNote(in.HTTPAddr))
		}
	}
	return nil
}

func httpNote(addr string) string {
	if addr == "" {
		return ""
	}
	return " http " + addr
}

// startEdge serves the edge (internal/edge) on the public listener, in
// front of the storefront instances the supervisor has ready, and
// returns the function that stops it.
func startEdge(ctx context.Context, sup *supervisor.Supervisor, public net.Listener, logger *slog.Logger) (func(), error) {
	e, err := edge.New(edge.Config{Backends: storefronts(sup), Logger: logger})
	if err != nil {
		return nil, err
	}
	ectx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.Serve(ectx, public); err != nil {
			logger.Error("edge stopped", "err", err)
		}
	}()
	stop := func() { cancel(); <-done }
	// The shop is announced once the edge can route: the instances are
	// ready, so their first probes pass within milliseconds.
	wctx, cancelWait := context.WithTimeout(ctx, edgeRotationTimeout)
	defer cancelWait()
	if err := e.AwaitRotation(wctx, 10*time.Millisecond); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// edgeRotationTimeout bounds the wait for the edge's first storefront in
// rotation at start.
const edgeRotationTimeout = 10 * time.Second

// storefronts returns the edge's backends: the storefront instances the
// supervisor has ready. Starting, draining and exited ones are left out,
// so a rolling restart or a scale-down takes an instance out of the
// rotation before it gets SIGTERM.
func storefronts(sup *supervisor.Supervisor) func() []edge.Backend {
	return func() []edge.Backend {
		var out []edge.Backend
		for _, in := range sup.Status() {
			if in.Service == "storefront" && in.State == supervisor.StateReady && in.HTTPAddr != "" {
				out = append(out, edge.Backend{ID: in.ID, Addr: in.HTTPAddr})
			}
		}
		return out
	}
}

// storefrontAddr is the storefront's public address in -single mode:
// -port, or a free one.
func storefrontAddr(c upConfig) (string, error) {
	if c.port == 0 {
		return freePort(c.host)
	}
	return net.JoinHostPort(c.host, strconv.Itoa(c.port)), nil
}

// startConsole serves the console on loopback and returns its URL and a
// function that stops it.
func startConsole(ctx context.Context, c upConfig, sup *supervisor.Supervisor, op consoleOperator, obs *observe.Observer, logger *slog.Logger) (string, func(), error) {
	creds, err := operatorCredentials(c.data)
	if err != nil {
		return "", nil, err
	}
	mailOpts := client.Options{
		Registry: sup.RegistryPath(),
		Services: []protoreflect.ServiceDescriptor{notificationsv1.File_bazaar_notifications_v1_notifications_proto.Services().Get(0)},
	}
	if creds != nil {
		mailOpts.Credentials = creds("notifications")
	}
	mailConn, err := client.Dial(client.Target("notifications", ""), mailOpts)
	if err != nil {
		return "", nil, err
	}
	con, err := console.New(console.Config{
		Operator: op, Traces: obs.Traces, Metrics: obs.Metrics, Logs: obs.Logs,
		Mailbox: notificationsv1.NewNotificationsServiceClient(mailConn), Logger: logger,
	})
	if err != nil {
		_ = mailConn.Close()
		return "", nil, err
	}
	ln, err := console.Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(c.consolePort)))
	if err != nil {
		_ = mailConn.Close()
		return "", nil, err
	}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = con.Serve(cctx, ln) }()
	return "http://" + ln.Addr().String(), func() {
		cancel()
		<-done
		con.Close()
		_ = mailConn.Close()
	}, nil
}

// startBus starts the event bus, NATS JetStream, as its own process: this
// very binary's `nats` command, on a fixed port so that a restarted bus is
// where every service expects it. It returns the URL services connect to.
func startBus(ctx context.Context, sup *supervisor.Supervisor, host string, stdout io.Writer) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("start nats: find this binary: %w", err)
	}
	addr, err := freePort(host)
	if err != nil {
		return "", err
	}
	inst, err := sup.Start(ctx, supervisor.Spec{
		Name: "nats", Binary: self, Args: []string{"nats"}, GRPCAddr: addr, Restart: true, Version: version,
		Env: []string{"BAZAAR_NATS_ADDR=" + addr},
	})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(stdout, "  %-16s %-18s pid %-7d nats %s\n", "nats", inst.ID, inst.PID(), addr)
	return "nats://" + addr, nil
}

// binaries is where the service binaries are and what they were built
// from.
type binaries struct {
	dir     string // absolute directory of the binaries
	version string // stamped into them; "" when not built here
	root    string // the source tree; "" when not built here (-no-build)
}

// prepareBinaries builds the service binaries (unless told not to) and
// says where they are.
func prepareBinaries(ctx context.Context, c upConfig, stdout io.Writer) (binaries, error) {
	binDir := c.bin
	if binDir == "" {
		binDir = filepath.Join(c.data, "bin")
	}
	names := make([]string, len(services()))
	for i, s := range services() {
		names[i] = s.name
	}
	var b binaries
	if !c.noBuild {
		root, err := build.FindModuleRoot(".")
		if err != nil {
			return b, fmt.Errorf("build services: %w (run from the repository, or pass -no-build -bin DIR)", err)
		}
		b.root, b.version = root, build.Version(ctx, root)
		fmt.Fprintf(stdout, "building %d services…\n", len(names))
		if err := build.Binaries(ctx, root, binDir, b.version, names); err != nil {
			return b, err
		}
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(binDir, n)); err != nil {
			return b, fmt.Errorf("service binary: %w", err)
		}
	}
	dir, err := filepath.Abs(binDir)
	if err != nil {
		return b, fmt.Errorf("service binaries: %w", err)
	}
	b.dir = dir
	return b, nil
}

// lockDataDir takes an exclusive lock on the data directory, so two `up`
// never share one.
func lockDataDir(dir string) (func(), error) {
	path := filepath.Join(dir, "up.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another 'bazaar up' (%v)", dir, err)
	}
	return func() { _ = f.Close() }, nil
}

// freePort finds a free port on host (see supervisor.FreeAddr).
func freePort(host string) (string, error) { return supervisor.FreeAddr(host) }
