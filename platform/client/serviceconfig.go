package client

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/bazaar-shop/bazaar/platform/resilience/ejection"
)

// Retry policy of idempotent methods.
const (
	retryInitialBackoff    = 50 * time.Millisecond
	retryMaxBackoff        = time.Second
	retryBackoffMultiplier = 2
)

// Retry budget ("retryThrottling", one per ClientConn, so per upstream
// service per process). Every attempt of a retried method that fails
// UNAVAILABLE costs 1 token, every successful call on the connection earns
// tokenRatio, and grpc-go refuses ALL retries while the count is at or below
// maxTokens/2 (BLUEPRINT §11). Sizing:
//   - Starting full at 100, about 50 UNAVAILABLE attempts in a row are
//     absorbed before retries stop: enough for one dead instance's share of
//     calls until round_robin and health checking eject it, so a single crash
//     does not switch retries off just when they help.
//   - With a ratio of 0.1 the budget holds while under about 1 call in 11
//     fails (0.1 per success balances 1 per failure at ~9%); above that it
//     drains to half and retries stop, so a broad outage adds at most a
//     trickle of retries instead of multiplying load by RetryMaxAttempts.
//   - Tokens never drop below 0, so after a long outage retries come back
//     after at most ~500 successful calls.
const (
	throttleMaxTokens  = 100
	throttleTokenRatio = 0.1
)

// RetryBurst is how many failed attempts one connection's retry budget
// absorbs before it throttles retries; RetryShare how many retries per
// successful call it allows from then on. Together they bound what a
// failing upstream sees: at most RetryShare extra attempts per call plus
// RetryBurst per caller connection.
const (
	RetryBurst = throttleMaxTokens / 2
	RetryShare = throttleTokenRatio
)

// serviceConfig is the JSON service config understood by grpc-go
// (https://github.com/grpc/grpc/blob/master/doc/service_config.md).
type serviceConfig struct {
	LoadBalancingConfig []map[string]struct{} `json:"loadBalancingConfig"`
	HealthCheckConfig   healthCheckConfig     `json:"healthCheckConfig"`
	MethodConfig        []methodConfig        `json:"methodConfig,omitempty"`
	RetryThrottling     retryThrottling       `json:"retryThrottling"`
}

// healthCheckConfig turns on client-side health checking: an instance whose
// grpc.health.v1 status for ServiceName ("" = the whole server) is not
// SERVING gets no calls.
type healthCheckConfig struct {
	ServiceName string `json:"serviceName"`
}

type methodConfig struct {
	Name        []methodName `json:"name"`
	RetryPolicy retryPolicy  `json:"retryPolicy"`
}

type methodName struct {
	Service string `json:"service"`
	Method  string `json:"method"`
}

type retryPolicy struct {
	MaxAttempts          int      `json:"maxAttempts"`
	InitialBackoff       string   `json:"initialBackoff"`
	MaxBackoff           string   `json:"maxBackoff"`
	BackoffMultiplier    float64  `json:"backoffMultiplier"`
	RetryableStatusCodes []string `json:"retryableStatusCodes"`
}

type retryThrottling struct {
	MaxTokens  int     `json:"maxTokens"`
	TokenRatio float64 `json:"tokenRatio"`
}

// ServiceConfig returns the service config JSON that Dial installs for opts:
// round robin with outlier ejection (package ejection), client-side
// health checking, the retry budget, and a retry policy (on UNAVAILABLE only) for every method of opts.Services whose
// idempotency_level is NO_SIDE_EFFECTS or IDEMPOTENT. There is no
// per-method timeout: Dial's interceptor sets the default deadline.
func ServiceConfig(opts Options) (string, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return "", fmt.Errorf("service config: %w", err)
	}
	sc := serviceConfig{
		// The first registered policy wins: the ejecting round robin where
		// the program registered it (ejection.Register), else round_robin.
		LoadBalancingConfig: []map[string]struct{}{{ejection.Name: {}}, {"round_robin": {}}},
		RetryThrottling:     retryThrottling{MaxTokens: throttleMaxTokens, TokenRatio: throttleTokenRatio},
	}
	if opts.RetryMaxAttempts > 1 {
		sc.MethodConfig = retryConfigs(opts.Services, opts.RetryMaxAttempts)
	}
	data, err := json.Marshal(sc)
	if err != nil {
		return "", fmt.Errorf("service config: %w", err)
	}
	return string(data), nil
}

// retryConfigs returns one methodConfig per distinct idempotent method.
func retryConfigs(services []protoreflect.ServiceDescriptor, maxAttempts int) []methodConfig {
	policy := retryPolicy{
		MaxAttempts:          maxAttempts,
		InitialBackoff:       seconds(retryInitialBackoff),
		MaxBackoff:           seconds(retryMaxBackoff),
		BackoffMultiplier:    retryBackoffMultiplier,
		RetryableStatusCodes: []string{"UNAVAILABLE"},
	}
	var out []methodConfig
	seen := make(map[protoreflect.FullName]bool)
	for _, sd := range services {
		methods := sd.Methods()
		for i := range methods.Len() {
			md := methods.Get(i)
			if seen[md.FullName()] || !idempotent(md) {
				continue
			}
			seen[md.FullName()] = true
			out = append(out, methodConfig{
				Name:        []methodName{{Service: string(sd.FullName()), Method: string(md.Name())}},
				RetryPolicy: policy,
			})
		}
	}
	return out
}

// idempotent reports whether md is declared safe to retry.
func idempotent(md protoreflect.MethodDescriptor) bool {
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	if !ok {
		return false
	}
	switch opts.GetIdempotencyLevel() {
	case descriptorpb.MethodOptions_NO_SIDE_EFFECTS, descriptorpb.MethodOptions_IDEMPOTENT:
		return true
	default:
		return false
	}
}

// seconds formats d as a service config duration: "0.05s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}
