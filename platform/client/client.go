// Package client dials the gRPC services of Bazaar with the shared client
// policy: discovery through the local registry (registry:///<service>) or any
// other gRPC target, round_robin balancing over instances that pass
// client-side health checks, retries of idempotent methods only, inside a
// retry budget, a default deadline for calls that carry none, keepalive,
// message size limits, and the fault rules of the local registry
// (latency, errors, blackhole) injected into the caller's own calls.
package client

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	// Registers the client-side health checking function that the
	// service config's healthCheckConfig turns on; without this import
	// grpc-go silently skips health checks.
	_ "google.golang.org/grpc/health"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// Defaults applied by Dial and ServiceConfig to zero Options fields.
const (
	DefaultTimeout          = 2 * time.Second
	DefaultRetryMaxAttempts = 3
	DefaultMaxMsgBytes      = 4 << 20 // matches the servers' receive limit
	DefaultMaxInFlight      = 128     // calls in flight per connection (bulkhead)
)

// maxAttemptsCap is grpc-go's limit on attempts per call; a higher
// maxAttempts in the service config is silently lowered to it.
const maxAttemptsCap = 5

// Options configures Dial. The zero value works for non-registry targets.
type Options struct {
	// Registry is the path of the local registry file that resolves
	// registry:/// targets; "" makes the registry scheme unavailable.
	Registry string
	// DefaultTimeout is the deadline given to unary calls whose context
	// has none (default 2s). A caller's own deadline, longer or shorter,
	// always wins.
	DefaultTimeout time.Duration
	// Services lists the descriptors of the services called over this
	// connection, from generated code, for example
	// catalogv1.File_bazaar_catalog_v1_catalog_proto.Services().Get(0).
	// Their methods marked idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT
	// are retried on UNAVAILABLE; no other method is ever retried.
	Services []protoreflect.ServiceDescriptor
	// RetryMaxAttempts is the most attempts (first try included) of a
	// retried call: default 3, 1 disables retries, at most 5 (grpc-go's cap).
	RetryMaxAttempts int
	// MaxMsgBytes limits the size of messages sent and received
	// (default 4 MiB).
	MaxMsgBytes int
	// Credentials secures the transport; nil means plaintext (insecure)
	// until mTLS is configured.
	Credentials credentials.TransportCredentials
	// From is the calling service's own name. It travels with every call
	// (metadata bazaar-caller, for the callee's fault rules), and with a
	// registry target it turns on the registry's latency and blackhole
	// rules (registry.Fault) whose From it is and whose To is the target
	// service; "" applies none.
	From string
	// MaxInFlight caps the calls in flight on the connection, the
	// bulkhead of this upstream: a call over it fails at once with
	// RESOURCE_EXHAUSTED (default 128; negative for no cap).
	MaxInFlight int
}

// withDefaults returns o with zero fields defaulted, or an error naming the
// first invalid field.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.DefaultTimeout < 0:
		return o, fmt.Errorf("client options: DefaultTimeout %v is negative", o.DefaultTimeout)
	case o.RetryMaxAttempts < 0 || o.RetryMaxAttempts > maxAttemptsCap:
		return o, fmt.Errorf("client options: RetryMaxAttempts %d is outside 0..%d", o.RetryMaxAttempts, maxAttemptsCap)
	case o.MaxInFlight < -1:
		return o, fmt.Errorf("client options: MaxInFlight %d is invalid (-1 for no cap)", o.MaxInFlight)
	case o.MaxMsgBytes < 0:
		return o, fmt.Errorf("client options: MaxMsgBytes %d is negative", o.MaxMsgBytes)
	}
	if o.DefaultTimeout == 0 {
		o.DefaultTimeout = DefaultTimeout
	}
	if o.RetryMaxAttempts == 0 {
		o.RetryMaxAttempts = DefaultRetryMaxAttempts
	}
	if o.MaxMsgBytes == 0 {
		o.MaxMsgBytes = DefaultMaxMsgBytes
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.Credentials == nil {
		o.Credentials = insecure.NewCredentials()
	}
	return o, nil
}

// receiveWindow is the HTTP/2 flow-control window a client grants each
// stream and connection (1 MiB: several of the largest messages).
const receiveWindow = 1 << 20

// Dial returns a client connection to target: "registry:///catalog" (needs
// opts.Registry), "dns:///catalog:9000" or "127.0.0.1:9000". Like
// grpc.NewClient it does not connect until the first call. extra options
// (telemetry stats handlers, interceptors) are applied after Bazaar's own.
func Dial(target string, opts Options, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	sc, err := ServiceConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(opts.Credentials),
		grpc.WithDefaultServiceConfig(sc),
		// The service config is ours, from the contracts: never one a
		// resolver finds. This also keeps grpc's DNS resolver from asking
		// for a TXT record before every resolution, which on a private
		// network without an upstream DNS server hangs for seconds.
		grpc.WithDisableServiceConfig(),
		// A fixed receive window turns off grpc-go's bandwidth-delay
		// estimator and the PING it sends after received data: see
		// receiveWindow.
		grpc.WithInitialWindowSize(receiveWindow),
		grpc.WithInitialConnWindowSize(receiveWindow),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                30 * time.Second,
			Timeout:             10 * time.Second,
			PermitWithoutStream: false,
		}),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(opts.MaxMsgBytes),
			grpc.MaxCallSendMsgSize(opts.MaxMsgBytes),
		),
		grpc.WithChainUnaryInterceptor(callPolicy(opts, serviceName(target))),
	}
	if opts.Registry != "" {
		file := registry.NewWatcher(opts.Registry)
		dialOpts = append(dialOpts, grpc.WithResolvers(file.ResolverBuilder(0)))
		if to, ok := strings.CutPrefix(target, registry.Scheme+":///"); ok && opts.From != "" {
			// Read the rules now, so the first call sees them: the
			// resolver reads the file only once the channel connects.
			_, _ = file.Load() // an unreadable file is the resolver's to report
			dialOpts = append(dialOpts, grpc.WithChainUnaryInterceptor(injectFaults(file, opts.From, to)))
		}
	} else if strings.HasPrefix(target, registry.Scheme+":") {
		return nil, fmt.Errorf("dial %s: registry target but no registry file configured (Options.Registry)", target)
	}
	dialOpts = append(dialOpts, extra...)
	cc, err := grpc.NewClient(target, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return cc, nil
}

// serviceName is the last path element of a target, for messages:
// "registry:///catalog" is "catalog", "dns:///catalog:9000" "catalog:9000".
func serviceName(target string) string {
	if i := strings.LastIndex(target, "/"); i >= 0 {
		return target[i+1:]
	}
	return target
}

// Target returns override when it is set, else the registry target of the
// service name: Target("catalog", "") == "registry:///catalog".
func Target(name, override string) string {
	if override != "" {
		return override
	}
	return registry.Scheme + ":///" + name
}
