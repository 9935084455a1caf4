// Package console is Bazaar's live operations console: a small web
// application, served on loopback by `bazaar up`, that shows every service
// and instance with its health and golden signals, the live call topology,
// traces with a waterfall, the tail of the logs and the notifications
// mailbox, and that kills, restarts and scales instances and injects faults
// between services.
//
// Pages are rendered on the server with html/template; a small embedded
// script polls JSON endpoints every two seconds to keep them live. The data
// comes from package observe; the operations go through an Operator.
package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/internal/observe"
)

// Operator runs and changes the instances the console shows. The
// supervisor of `bazaar up` implements it through an adapter.
type Operator interface {
	// Instances lists the running instances.
	Instances() []InstanceInfo
	// Kill kills the instance with id at once (SIGKILL), as a crash would.
	Kill(id string) error
	// Restart replaces the instances of service one at a time.
	Restart(ctx context.Context, service string) error
	// Scale starts or stops instances of service until n run.
	Scale(ctx context.Context, service string, n int) error
	// SetFault adds a fault rule to the calls from f.From to f.To,
	// replacing the rule already set between them.
	SetFault(ctx context.Context, f Fault) error
	// ClearFaults removes every fault rule.
	ClearFaults(ctx context.Context) error
	// Faults lists the fault rules in force.
	Faults() []Fault
}

// InstanceInfo is one running instance as the Operator sees it.
type InstanceInfo struct {
	ID       string    `json:"id"`
	Service  string    `json:"service"`
	Version  string    `json:"version,omitempty"`
	PID      int       `json:"pid"`
	Started  time.Time `json:"started"`
	Restarts int       `json:"restarts"`
	// Ready reports that the instance answers its readiness probe.
	Ready     bool   `json:"ready"`
	GRPCAddr  string `json:"grpc_addr,omitempty"`
	AdminAddr string `json:"admin_addr,omitempty"`
	HTTPAddr  string `json:"http_addr,omitempty"`
}

// Fault is a fault rule on the calls from one service to another.
type Fault struct {
	// From and To are service names: the rule applies to From's calls to To.
	From, To string
	// Latency is added to every call.
	Latency time.Duration
	// ErrorRate is the share of calls failed at once, 0..1.
	ErrorRate float64
	// Blackhole makes calls hang until their deadline.
	Blackhole bool
}

// Config configures New.
type Config struct {
	// Operator runs the instances; required.
	Operator Operator
	// Traces, Metrics and Logs are the observer's data; required.
	Traces  *observe.TraceStore
	Metrics *observe.Scraper
	Logs    *observe.LogTail
	// Mailbox reads the notifications service's messages; nil shows the
	// mailbox as unavailable.
	Mailbox notificationsv1.NotificationsServiceClient
	// AllowedHosts are host names, besides localhost and loopback
	// addresses, that requests may name in their Host header.
	AllowedHosts []string
	// ActionTimeout bounds one kill, restart or scale (default 3m).
	ActionTimeout time.Duration
	// Logger receives the operations done and their failures.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Console serves the console's pages and JSON endpoints.
type Console struct {
	cfg     Config
	pages   *pages
	token   string // required on every request that changes something
	actions *actionLog
	ctx     context.Context // ends with Close: stops running actions
	cancel  context.CancelFunc

	mu    sync.Mutex
	known map[string]bool // every service seen, so a service scaled to 0 stays listed
}

// New returns a console over cfg's data and operator.
func New(cfg Config) (*Console, error) {
	switch {
	case cfg.Operator == nil:
		return nil, errors.New("new console: no Operator")
	case cfg.Traces == nil || cfg.Metrics == nil || cfg.Logs == nil:
		return nil, errors.New("new console: Traces, Metrics and Logs are required")
	}
	if cfg.ActionTimeout <= 0 {
		cfg.ActionTimeout = 3 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("new console: %w", err)
	}
	token := make([]byte, 24)
	if _, err := rand.Read(token); err != nil {
		return nil, fmt.Errorf("new console: token: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Console{
		cfg: cfg, pages: p, token: hex.EncodeToString(token),
		actions: newActionLog(50), ctx: ctx, cancel: cancel,
		known: map[string]bool{},
	}, nil
}

// Close cancels the operations still running.
func (c *Console) Close() { c.cancel() }

// Handler serves the console: pages, static files and the JSON API.
func (c *Console) Handler() http.Handler { return c.routes() }

// ScrapeTargets returns the function the observer's scraper calls to find
// what to scrape: the admin address of every instance of op.
func ScrapeTargets(op Operator) func() []observe.Target {
	return func() []observe.Target {
		var out []observe.Target
		for _, in := range op.Instances() {
			if in.AdminAddr == "" {
				continue
			}
			out = append(out, observe.Target{Instance: in.ID, Service: in.Service, Addr: in.AdminAddr, Public: in.HTTPAddr != ""})
		}
		return out
	}
}
