package client

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func TestServiceConfigJSON(t *testing.T) {
	sd := testServiceDescriptor(t)
	got, err := ServiceConfig(Options{Services: []protoreflect.ServiceDescriptor{sd}})
	if err != nil {
		t.Fatalf("ServiceConfig: %v", err)
	}
	policy := `"retryPolicy":{"maxAttempts":3,"initialBackoff":"0.05s","maxBackoff":"1s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}`
	want := `{"loadBalancingConfig":[{"bazaar_ejecting_round_robin":{}},{"round_robin":{}}],` +
		`"healthCheckConfig":{"serviceName":""},` +
		`"methodConfig":[` +
		`{"name":[{"service":"bazaar.clienttest.v1.Counter","method":"Get"}],` + policy + `},` +
		`{"name":[{"service":"bazaar.clienttest.v1.Counter","method":"Put"}],` + policy + `}],` +
		`"retryThrottling":{"maxTokens":100,"tokenRatio":0.1}}`
	if got != want {
		t.Errorf("ServiceConfig =\n%s\nwant\n%s", got, want)
	}
}

func TestServiceConfigRetries(t *testing.T) {
	sd := testServiceDescriptor(t)
	tests := []struct {
		name         string
		opts         Options
		wantRetried  []string // "Service/Method"
		wantAttempts int
	}{
		{"no services", Options{}, nil, 0},
		{"default attempts", Options{Services: []protoreflect.ServiceDescriptor{sd}},
			[]string{testService + "/Get", testService + "/Put"}, 3},
		{"five attempts", Options{Services: []protoreflect.ServiceDescriptor{sd}, RetryMaxAttempts: 5},
			[]string{testService + "/Get", testService + "/Put"}, 5},
		{"one attempt disables retries", Options{Services: []protoreflect.ServiceDescriptor{sd}, RetryMaxAttempts: 1}, nil, 0},
		{"service listed twice", Options{Services: []protoreflect.ServiceDescriptor{sd, sd}},
			[]string{testService + "/Get", testService + "/Put"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js, err := ServiceConfig(tt.opts)
			if err != nil {
				t.Fatalf("ServiceConfig: %v", err)
			}
			var sc serviceConfig
			if err := json.Unmarshal([]byte(js), &sc); err != nil {
				t.Fatalf("unmarshal %s: %v", js, err)
			}
			var retried []string
			for _, mc := range sc.MethodConfig {
				for _, n := range mc.Name {
					retried = append(retried, n.Service+"/"+n.Method)
				}
				if mc.RetryPolicy.MaxAttempts != tt.wantAttempts {
					t.Errorf("maxAttempts = %d, want %d", mc.RetryPolicy.MaxAttempts, tt.wantAttempts)
				}
				if codes := mc.RetryPolicy.RetryableStatusCodes; !reflect.DeepEqual(codes, []string{"UNAVAILABLE"}) {
					t.Errorf("retryableStatusCodes = %v, want only UNAVAILABLE", codes)
				}
			}
			if !reflect.DeepEqual(retried, tt.wantRetried) {
				t.Errorf("retried methods = %v, want %v", retried, tt.wantRetried)
			}
			if strings.Contains(js, `"timeout"`) {
				t.Errorf("service config sets a per-method timeout: %s", js)
			}
			// grpc-go itself must accept the config: NewClient validates
			// the default service config.
			cc, err := grpc.NewClient("passthrough:///unused",
				grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithDefaultServiceConfig(js))
			if err != nil {
				t.Fatalf("grpc rejects the service config: %v", err)
			}
			_ = cc.Close()
		})
	}
}

func TestServiceConfigRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"negative timeout", Options{DefaultTimeout: -time.Second}, "DefaultTimeout"},
		{"negative attempts", Options{RetryMaxAttempts: -1}, "RetryMaxAttempts"},
		{"too many attempts", Options{RetryMaxAttempts: 6}, "RetryMaxAttempts"},
		{"negative message size", Options{MaxMsgBytes: -1}, "MaxMsgBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ServiceConfig(tt.opts); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ServiceConfig error = %v, want one naming %s", err, tt.wantErr)
			}
			if _, err := Dial("127.0.0.1:1", tt.opts); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Dial error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}
