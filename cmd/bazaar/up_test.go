package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// shop is one `bazaar up` process started by a test.
type shop struct {
	t       *testing.T
	cmd     *exec.Cmd
	url     string
	console string
	data    string
	output  *logBuffer
	exited  chan error
}

// buildCLI compiles the bazaar command once per test binary run.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bazaar")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build bazaar: %v\n%s", err, out)
	}
	return bin
}

// startShop runs `bazaar up` on data (with extra flags) and waits for the
// storefront URL.
func startShop(t *testing.T, bin, data string, extra ...string) *shop {
	t.Helper()
	args := append([]string{"up", "-data", data, "-port", "0", "-console-port", "0", "-v"}, extra...)
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	output := &logBuffer{}
	cmd.Stderr = output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start bazaar up: %v", err)
	}
	s := &shop{t: t, cmd: cmd, data: data, output: output, exited: make(chan error, 1)}
	urls := make(chan string, 1)
	consoles := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			t.Logf("up: %s", line)
			if u, ok := strings.CutPrefix(line, "storefront: "); ok {
				urls <- u
			}
			if u, ok := strings.CutPrefix(line, "console: "); ok {
				consoles <- u
			}
		}
		s.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { s.stop() })
	select {
	case s.url = <-urls:
		select {
		case s.console = <-consoles:
		case <-time.After(2 * time.Second): // -single has no console
		}
	case err := <-s.exited:
		s.exited <- err
		t.Fatalf("bazaar up exited before the shop was ready: %v\n%s", err, output.String())
	case <-time.After(5 * time.Minute):
		t.Fatalf("bazaar up printed no storefront URL in 5 minutes\n%s", output.String())
	}
	return s
}

// stop interrupts `up` like Ctrl-C and waits for it to exit.
func (s *shop) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.exited:
		s.exited <- err
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		s.t.Errorf("bazaar up did not stop within 60s of SIGINT")
	}
}

func (s *shop) registry() registry.Snapshot {
	s.t.Helper()
	snap, err := registry.Read(filepath.Join(s.data, "registry.json"))
	if err != nil {
		s.t.Fatalf("read registry: %v", err)
	}
	return snap
}

// get fetches path as a shopper who chose the currency EUR.
func (s *shop) get(path string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "currency", Value: "EUR"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// apiProducts is the part of GET /api/v1/products the test checks.
type apiProducts struct {
	Products []struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Price struct {
			CurrencyCode string `json:"currency_code"`
			Units        string `json:"units"`
			Nanos        int64  `json:"nanos"`
		} `json:"price"`
		PriceDisplay string `json:"price_display"`
	} `json:"products"`
	Currency string `json:"currency"`
	Notice   string `json:"notice"`
}

func (s *shop) products(query string) apiProducts {
	s.t.Helper()
	code, body := s.get("/api/v1/products?" + query)
	if code != http.StatusOK {
		s.t.Fatalf("GET /api/v1/products?%s = %d: %s", query, code, body)
	}
	var p apiProducts
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		s.t.Fatalf("decode products: %v\n%s", err, body)
	}
	if len(p.Products) == 0 {
		s.t.Fatalf("GET /api/v1/products?%s listed no products: %s", query, body)
	}
	return p
}

func instanceOf(t *testing.T, snap registry.Snapshot, service string) registry.Instance {
	t.Helper()
	ins := snap.Of(service)
	if len(ins) != 1 {
		t.Fatalf("registry lists %d instances of %s, want 1: %+v", len(ins), service, snap)
	}
	return ins[0]
}

// setRate sets a rate as the operator, over mTLS with the operator's
// identity from the shop's authority in data; the same call in plaintext
// must be refused.
func setRate(t *testing.T, data, addr, code, rate string) {
	t.Helper()
	creds, err := operatorCredentials(data)
	if err != nil || creds == nil {
		t.Fatalf("operator credentials of %s: %v (nil: no authority)", data, err)
	}
	req := &pricingv1.SetRateRequest{CurrencyCode: code, Rate: &typesv1.Decimal{Value: rate}}
	call := func(c credentials.TransportCredentials) error {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(c))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = pricingv1.NewPricingServiceClient(conn).SetRate(ctx, req)
		return err
	}
	if err := call(insecure.NewCredentials()); err == nil {
		t.Fatalf("SetRate in plaintext succeeded; mTLS must refuse it")
	}
	if err := call(creds("pricing")); err != nil {
		t.Fatalf("SetRate %s=%s: %v", code, rate, err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// TestUpRunsTheShopAsSeparateProcesses is the walking skeleton end to end:
// `bazaar up` builds and starts every service as its own process; the
// storefront serves products in the chosen currency; a hung pricing or
// catalog degrades the shop instead of breaking it; a killed service is
// restarted; Ctrl-C leaves no process behind; a second `up` keeps the data.
func TestUpRunsTheShopAsSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; runs in the full suite")
	}
	bin := buildCLI(t)
	data := filepath.Join(t.TempDir(), "data")
	// The storefront reuses converted prices for ConversionFreshFor
	// (10 s by default); 1 s keeps this test's waits short. Every
	// process of the shop inherits the setting.
	t.Setenv("BAZAAR_CONVERSION_FRESH_FOR", "1s")

	s := startShop(t, bin, data)
	snap := s.registry()
	pids := map[string]int{}
	seen := map[int]string{}
	for _, svc := range []string{"nats", "catalog", "pricing", "inventory", "payment", "shipping", "accounts", "cart", "orders", "notifications", "recommendations"} {
		pid := instanceOf(t, snap, svc).PID
		if other, dup := seen[pid]; dup {
			t.Fatalf("%s and %s share process %d", svc, other, pid)
		}
		pids[svc], seen[pid] = pid, svc
	}
	// Two storefront instances by default, each on an HTTP port of its
	// own, behind the edge on the public port.
	fronts := snap.Of("storefront")
	if len(fronts) != 2 {
		t.Fatalf("registry lists %d storefront instances, want 2: %+v", len(fronts), fronts)
	}
	for _, in := range fronts {
		if other, dup := seen[in.PID]; dup {
			t.Fatalf("%s and %s share process %d", in.ID, other, in.PID)
		}
		if in.HTTPAddr == "" || "http://"+in.HTTPAddr == s.url {
			t.Errorf("%s listens on HTTP %q, want a port of its own behind the edge (%s)", in.ID, in.HTTPAddr, s.url)
		}
		pids[in.ID], seen[in.PID] = in.PID, in.ID
	}

	eur := s.products("currency=EUR")
	for _, p := range eur.Products {
		if p.Price.CurrencyCode != "EUR" || !strings.Contains(p.PriceDisplay, "€") {
			t.Fatalf("product %s priced %+v %q, want EUR", p.ID, p.Price, p.PriceDisplay)
		}
	}
	if eur.Notice != "" {
		t.Errorf("notice %q with every service up", eur.Notice)
	}
	if code, body := s.get("/"); code != http.StatusOK || !strings.Contains(body, html.EscapeString(eur.Products[0].Name)) {
		t.Fatalf("home = %d, want 200 listing %q", code, eur.Products[0].Name)
	}
	if code, body := s.get("/products/" + eur.Products[0].ID); code != http.StatusOK {
		t.Fatalf("product page = %d: %.300s", code, body)
	}
	if code, _ := s.get("/readyz"); code != http.StatusOK {
		t.Fatalf("storefront /readyz = %d", code)
	}

	// State that must survive a restart of the whole shop.
	setRate(t, data, instanceOf(t, snap, "pricing").GRPCAddr, "EUR", "0.5")
	var halfRate apiProducts
	waitFor(t, "the new rate on the storefront (within its conversion freshness)", func() bool {
		halfRate = s.products("currency=EUR")
		return fmt.Sprint(halfRate.Products[0].Price) != fmt.Sprint(eur.Products[0].Price)
	})

	if _, body := s.get("/"); !strings.Contains(body, "€") {
		t.Fatalf("home for a shopper who chose EUR shows no euro prices")
	}

	// Pricing hangs (SIGSTOP): once the storefront's converted prices
	// are older than their freshness, the home page still answers 200,
	// in dollars, with a notice.
	if err := syscall.Kill(pids["pricing"], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // BAZAAR_CONVERSION_FRESH_FOR
	code, body := s.get("/")
	if code != http.StatusOK {
		t.Fatalf("home with pricing hung = %d", code)
	}
	if !strings.Contains(body, "$") || !strings.Contains(strings.ToLower(body), "currency conversion is unavailable") {
		t.Errorf("home with pricing hung lacks dollar prices or the notice:\n%.2000s", body)
	}
	degraded := s.products("currency=EUR")
	if degraded.Notice == "" || degraded.Products[0].Price.CurrencyCode != "USD" {
		t.Errorf("API with pricing hung: notice %q, currency %s; want a notice and USD", degraded.Notice, degraded.Products[0].Price.CurrencyCode)
	}
	if err := syscall.Kill(pids["pricing"], syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}

	// Catalog hangs: the storefront serves its last good copy.
	if err := syscall.Kill(pids["catalog"], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if code, body := s.get("/"); code != http.StatusOK || !strings.Contains(body, html.EscapeString(eur.Products[0].Name)) {
		t.Errorf("home with catalog hung = %d, want 200 with the last good copy", code)
	}
	if err := syscall.Kill(pids["catalog"], syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}

	// kill -9 pricing: the supervisor restarts it and euro prices return.
	if err := syscall.Kill(pids["pricing"], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pricing to be restarted", func() bool {
		ins := s.registry().Of("pricing")
		return len(ins) == 1 && ins[0].PID != pids["pricing"]
	})
	pids["pricing"] = instanceOf(t, s.registry(), "pricing").PID
	waitFor(t, "euro prices again", func() bool { return s.products("currency=EUR").Notice == "" })

	// Ctrl-C: up exits cleanly and no service process is left.
	s.stop()
	if err := <-s.exited; err != nil {
		t.Fatalf("bazaar up exited with %v\n%s", err, s.output.String())
	}
	for svc, pid := range pids {
		if !processGone(pid) {
			t.Errorf("%s (pid %d) still runs after up stopped", svc, pid)
		}
	}
	if left := s.registry().Instances; len(left) != 0 {
		t.Errorf("registry still lists %d instances after stop", len(left))
	}

	// A second up on the same data keeps it: EUR is still at 0.5.
	s2 := startShop(t, bin, data)
	again := s2.products("currency=EUR")
	if fmt.Sprint(again.Products[0].Price) != fmt.Sprint(halfRate.Products[0].Price) {
		t.Errorf("after restart %s costs %+v, before %+v: pricing lost its data", again.Products[0].ID, again.Products[0].Price, halfRate.Products[0].Price)
	}
	if len(again.Products) != len(eur.Products) {
		t.Errorf("after restart %d products, before %d", len(again.Products), len(eur.Products))
	}
}

// TestUpRefusesABusyDataDirectory checks the data-directory lock.
func TestUpRefusesABusyDataDirectory(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := lockDataDir(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second lock = %v, want 'in use' error", err)
	}
}

func TestParseUpRejectsBadSettings(t *testing.T) {
	for _, args := range [][]string{{"-port", "70000"}, {"-host", "not-an-ip"}, {"stray"}, {"-storefronts", "0"}, {"-storefronts", "17"}} {
		if _, err := parseUp(args); err == nil {
			t.Errorf("parseUp(%q) succeeded, want error", args)
		}
	}
}
