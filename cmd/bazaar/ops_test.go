package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/internal/control"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

func TestSplitArgsSeparatesFlagsFromArguments(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.String("data", "", "")
	fs.Duration("latency", 0, "")
	fs.Bool("blackhole", false, "")
	tests := []struct {
		args            []string
		flags, position []string
	}{
		{[]string{"a->b", "-latency", "1s"}, []string{"-latency", "1s"}, []string{"a->b"}},
		{[]string{"-latency", "1s", "a->b"}, []string{"-latency", "1s"}, []string{"a->b"}},
		{[]string{"-blackhole", "a->b"}, []string{"-blackhole"}, []string{"a->b"}},
		{[]string{"--data=x", "cart=3"}, []string{"--data=x"}, []string{"cart=3"}},
		{[]string{"-data", "x", "--", "-weird"}, []string{"-data", "x"}, []string{"-weird"}},
		{[]string{"-nope", "cart"}, []string{"-nope"}, []string{"cart"}},
	}
	for _, tt := range tests {
		flags, pos := splitArgs(fs, tt.args)
		if !reflect.DeepEqual(flags, tt.flags) || !reflect.DeepEqual(pos, tt.position) {
			t.Errorf("splitArgs(%q) = %q, %q; want %q, %q", tt.args, flags, pos, tt.flags, tt.position)
		}
	}
}

func TestParseScale(t *testing.T) {
	tests := []struct {
		arg     string
		service string
		n       int
		wantErr bool
	}{
		{"cart=3", "cart", 3, false},
		{"cart=0", "cart", 0, false},
		{"cart", "", 0, true},
		{"cart=", "", 0, true},
		{"=3", "", 0, true},
		{"cart=-1", "", 0, true},
		{"cart=three", "", 0, true},
	}
	for _, tt := range tests {
		service, n, err := parseScale(tt.arg)
		if (err != nil) != tt.wantErr || service != tt.service || n != tt.n {
			t.Errorf("parseScale(%q) = %q, %d, %v; want %q, %d, error %v", tt.arg, service, n, err, tt.service, tt.n, tt.wantErr)
		}
	}
}

func TestParseKillTarget(t *testing.T) {
	tests := []struct {
		arg, want string
		wantErr   bool
	}{
		{"cart", "cart", false},
		{"cart-2", "cart-2", false},
		{"cart/cart-2", "cart-2", false},
		{"cart/2", "cart-2", false},
		{"cart/pricing-1", "", true},
		{"cart/", "", true},
		{"/cart-1", "", true},
		{"cart/cart-1/x", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := parseKillTarget(tt.arg)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseKillTarget(%q) = %q, %v; want %q, error %v", tt.arg, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		args    []string
		want    faultCommand
		wantErr string
	}{
		{[]string{"cart->payment", "-latency", "200ms"},
			faultCommand{data: ".bazaar", rule: registry.Fault{From: "cart", To: "payment", Latency: 200 * time.Millisecond}}, ""},
		{[]string{"-errors", "0.3", "-data", "d", "orders->inventory"},
			faultCommand{data: "d", rule: registry.Fault{From: "orders", To: "inventory", ErrorRate: 0.3}}, ""},
		{[]string{"orders", "payment", "-blackhole"},
			faultCommand{data: ".bazaar", rule: registry.Fault{From: "orders", To: "payment", Blackhole: true}}, ""},
		{[]string{"clear"}, faultCommand{data: ".bazaar", clear: true}, ""},
		{[]string{"clear", "cart->payment"}, faultCommand{data: ".bazaar", clear: true, rule: registry.Fault{From: "cart", To: "payment"}}, ""},
		{nil, faultCommand{data: ".bazaar", list: true}, ""},
		{[]string{"cart->payment"}, faultCommand{}, "no effect"},
		{[]string{"cart->payment", "-errors", "1.5"}, faultCommand{}, "error rate"},
		{[]string{"cart-payment", "-blackhole"}, faultCommand{}, "not FROM->TO"},
		{[]string{"cart->", "-blackhole"}, faultCommand{}, "two service names"},
		{[]string{"-blackhole"}, faultCommand{}, "which calls"},
		{[]string{"clear", "-blackhole"}, faultCommand{}, "clear takes no"},
		{[]string{"a", "b", "c", "-blackhole"}, faultCommand{}, "3 arguments"},
		{[]string{"cart->payment", "-latency", "soon"}, faultCommand{}, "invalid value"},
	}
	for _, tt := range tests {
		got, err := parseFault(tt.args, &bytes.Buffer{})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFault(%q) = %+v, %v; want an error containing %q", tt.args, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseFault(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

func TestParseLogs(t *testing.T) {
	tests := []struct {
		args    []string
		want    logsConfig
		wantErr bool
	}{
		{nil, logsConfig{data: ".bazaar", tail: 100}, false},
		{[]string{"cart", "-f"}, logsConfig{data: ".bazaar", service: "cart", follow: true, tail: 100}, false},
		{[]string{"-n", "5", "-data", "d", "orders"}, logsConfig{data: "d", service: "orders", tail: 5}, false},
		{[]string{"cart", "orders"}, logsConfig{}, true},
		{[]string{"-n", "-1"}, logsConfig{}, true},
	}
	for _, tt := range tests {
		got, err := parseLogs(tt.args, &bytes.Buffer{})
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("parseLogs(%q) = %+v, %v; want %+v, error %v", tt.args, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLogLinesAreColouredOnlyOnATerminal(t *testing.T) {
	l := supervisor.LogLine{Instance: "cart-2", Service: "cart", Line: `{"msg":"hi"}`}
	if got, want := formatLogLine(l, false), "cart-2            | {\"msg\":\"hi\"}\n"; got != want {
		t.Errorf("plain line = %q, want %q", got, want)
	}
	if got := formatLogLine(l, true); !strings.HasPrefix(got, "\x1b[") || !strings.Contains(got, "cart-2") || !strings.Contains(got, "\x1b[0m") {
		t.Errorf("coloured line = %q", got)
	}
	seen := map[string]string{}
	for _, s := range append([]string{"nats"}, names()...) {
		c := serviceColour(s)
		if other, dup := seen[c]; dup {
			t.Errorf("%s and %s share colour %s", s, other, c)
		}
		seen[c] = s
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}

func names() []string {
	var out []string
	for _, s := range services() {
		out = append(out, s.name)
	}
	return out
}

// shopOp is a hand-written Operator: a shop with one cart instance.
type shopOp struct {
	mu    sync.Mutex
	calls []string
	fault []registry.Fault
}

func (f *shopOp) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *shopOp) Status() []supervisor.Info {
	return []supervisor.Info{{ID: "cart-1", Service: "cart", PID: 4242, GRPCAddr: "127.0.0.1:5000",
		Version: "v9", State: supervisor.StateReady, Restarts: 1, Started: time.Now().Add(-time.Minute)}}
}
func (f *shopOp) Faults() []registry.Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fault
}
func (f *shopOp) Scale(_ context.Context, s string, n int) error {
	if s != "cart" {
		return fmt.Errorf("scale: %w service %q (known: cart)", supervisor.ErrUnknown, s)
	}
	f.record(fmt.Sprintf("scale %s %d", s, n))
	return nil
}
func (f *shopOp) Kill(target string) ([]string, error) {
	f.record("kill " + target)
	return []string{target}, nil
}
func (f *shopOp) Restart(_ context.Context, s string) error { f.record("restart " + s); return nil }
func (f *shopOp) Upgrade(_ context.Context, s string) (string, error) {
	f.record("upgrade " + s)
	return "v10", nil
}
func (f *shopOp) SetFault(r registry.Fault) error {
	f.record("fault " + r.String())
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = []registry.Fault{r}
	return nil
}
func (f *shopOp) ClearFaults(from, to string) error {
	f.record("clear " + from + " " + to)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = nil
	return nil
}
func (f *shopOp) Logs(_ context.Context, o supervisor.LogOptions, fn func(supervisor.LogLine) error) error {
	f.record(fmt.Sprintf("logs %s %d %v", o.Service, o.Tail, o.Follow))
	return fn(supervisor.LogLine{Instance: "cart-1", Service: "cart", Line: "hello"})
}

func TestCommandsOperateTheRunningShop(t *testing.T) {
	data := t.TempDir()
	op := &shopOp{}
	srv, err := control.Serve(op, control.FilePath(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
		wantCall string
	}{
		{[]string{"status"}, 0, "cart-1", ""},
		{[]string{"status", "--json"}, 0, `"source": "control"`, ""},
		{[]string{"scale", "cart=3"}, 0, "cart: 1 instance(s)", "scale cart 3"},
		{[]string{"scale", "carts=3"}, 1, `unknown service "carts" (known: cart)`, ""},
		{[]string{"kill", "cart/2"}, 0, "killed cart-2", "kill cart-2"},
		{[]string{"restart", "cart"}, 0, "READY", "restart cart"},
		{[]string{"upgrade", "cart"}, 0, "cart runs version v10", "upgrade cart"},
		{[]string{"logs", "cart", "-n", "7"}, 0, "cart-1            | hello", "logs cart 7 false"},
		{[]string{"fault", "cart->payment", "-errors", "0.5"}, 0, "cart->payment errors 50%", "fault cart->payment errors 50%"},
		{[]string{"status"}, 0, "faults in force", ""},
		{[]string{"fault", "clear"}, 0, "no fault rule in force", "clear  "},
		{[]string{"scale", "cart"}, 1, "usage: bazaar scale", ""},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		op.mu.Lock()
		before := len(op.calls)
		op.mu.Unlock()
		code := run(context.Background(), append(tt.args, "-data", data), &stdout, &stderr)
		out := stdout.String() + stderr.String()
		t.Logf("bazaar %s:\n%s", strings.Join(tt.args, " "), out)
		if code != tt.wantCode || !strings.Contains(strings.ToUpper(out), strings.ToUpper(tt.wantOut)) {
			t.Errorf("bazaar %s: exit %d, output:\n%s\nwant exit %d and %q", strings.Join(tt.args, " "), code, out, tt.wantCode, tt.wantOut)
		}
		op.mu.Lock()
		calls := op.calls[before:]
		op.mu.Unlock()
		if tt.wantCall != "" && (len(calls) != 1 || calls[0] != tt.wantCall) {
			t.Errorf("bazaar %s called %q, want %q", strings.Join(tt.args, " "), calls, tt.wantCall)
		}
	}
}

func TestCommandsSayHowToStartAShopThatIsNotRunning(t *testing.T) {
	data := filepath.Join(t.TempDir(), "shop")
	for _, args := range [][]string{{"scale", "cart=2"}, {"kill", "cart"}, {"restart", "cart"}, {"upgrade", "cart"}, {"logs"}, {"fault"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(args, "-data", data), &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "not running") || !strings.Contains(stderr.String(), "bazaar up -data "+data) {
			t.Errorf("bazaar %s with no shop: exit %d, stderr %q; want 1 and how to start it", args[0], code, stderr.String())
		}
	}
}

func TestStatusFallsBackToTheRegistry(t *testing.T) {
	data := t.TempDir()
	snap := registry.Snapshot{Instances: []registry.Instance{{ID: "cart-1", Service: "cart", GRPCAddr: "127.0.0.1:5000", PID: 77, Version: "v1"}}}
	if err := registry.Write(supervisor.RegistryPath(data), snap); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"status", "-data", data}, &stdout, &stderr); code != 0 {
		t.Fatalf("status exit %d: %s", code, stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "cart-1") || !strings.Contains(out, "from the registry") {
		t.Errorf("status from the registry:\n%s", out)
	}
	_, err := readStatus(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := control.Open(data); !errors.Is(err, control.ErrNotRunning) {
		t.Errorf("control.Open = %v", err)
	}
}
