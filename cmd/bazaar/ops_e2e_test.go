package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// cli runs a bazaar command against the shop's data directory.
func (sh *shop) cli(bin string, args ...string) string {
	sh.t.Helper()
	out, err := exec.Command(bin, append(args, "-data", sh.data)...).CombinedOutput()
	if err != nil {
		sh.t.Fatalf("bazaar %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// statusOf is `bazaar status --json` for one service.
func (sh *shop) statusOf(bin, service string) []statusInstance {
	sh.t.Helper()
	var rep struct {
		Instances []statusInstance `json:"instances"`
	}
	if err := json.Unmarshal([]byte(sh.cli(bin, "status", "-json")), &rep); err != nil {
		sh.t.Fatal(err)
	}
	var out []statusInstance
	for _, in := range rep.Instances {
		if in.Service == service {
			out = append(out, in)
		}
	}
	return out
}

type statusInstance struct {
	ID        string `json:"id"`
	Service   string `json:"service"`
	PID       int    `json:"pid"`
	AdminAddr string `json:"admin_addr"`
	State     string `json:"state"`
	Restarts  int    `json:"restarts"`
}

// handled is how many catalog calls one instance's metrics count.
func handled(t *testing.T, admin string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var total float64
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "grpc_server_handled_total{") && strings.Contains(line, `grpc_service="bazaar.catalog.v1.CatalogService"`) {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
				total += v
			}
		}
	}
	return total
}

// TestOperationsFromTheCLI: `bazaar kill cart` shows as a restart in
// `bazaar status` within seconds, and `bazaar scale catalog=3` spreads the
// storefront's calls over three instances, as their own metrics show.
func TestOperationsFromTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; runs in the full suite")
	}
	bin := buildCLI(t)
	sh := startShop(t, bin, t.TempDir()+"/data")

	before := sh.statusOf(bin, "cart")[0]
	sh.cli(bin, "kill", "cart")
	waitFor(t, "cart restarted in bazaar status", func() bool {
		in := sh.statusOf(bin, "cart")
		return len(in) == 1 && in[0].Restarts == before.Restarts+1 && in[0].State == "ready" && in[0].PID != before.PID
	})

	sh.cli(bin, "scale", "catalog=3")
	cats := sh.statusOf(bin, "catalog")
	if len(cats) != 3 {
		t.Fatalf("after scale catalog=3, status lists %d catalog instances", len(cats))
	}
	base := map[string]float64{}
	for _, in := range cats {
		base[in.ID] = handled(t, in.AdminAddr)
	}
	// Different queries, so the storefront's cache does not answer them;
	// each storefront instance (two, behind the edge) picks the new
	// catalog instances up from the registry within a second or so.
	idle := func() []string {
		var out []string
		for _, in := range cats {
			if handled(t, in.AdminAddr) == base[in.ID] {
				out = append(out, in.ID)
			}
		}
		return out
	}
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; ; i++ {
		if code, _ := sh.get(fmt.Sprintf("/search?q=cup%d", i)); code != http.StatusOK {
			t.Fatalf("search answered %d", code)
		}
		if i%20 != 19 {
			continue
		}
		left := idle()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("catalog instances %v handled no calls after the scale-out (%d searches)", left, i+1)
		}
	}
	sh.cli(bin, "scale", "catalog=1")
	if n := len(sh.statusOf(bin, "catalog")); n != 1 {
		t.Errorf("after scale catalog=1, %d catalog instances remain", n)
	}
}

// TestSingleProcessShop: `bazaar up -single` serves the same shop from one
// process: a purchase completes.
func TestSingleProcessShop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; runs in the full suite")
	}
	bin := buildCLI(t)
	sh := startShop(t, bin, t.TempDir()+"/data", "-single")
	products := sh.products("")
	buyer := newShopper(t, sh.url)
	buyer.addToCart(products.Products[0].ID, 1)
	id := buyer.checkout("single-1", "single@example.com", "4242424242424242")
	if got := buyer.awaitOrder(id, 30*time.Second); got.GetStatus() != "CONFIRMED" {
		t.Fatalf("order in single-process mode = %s, want CONFIRMED", got.GetStatus())
	}
	sh.stop()
	if err := <-sh.exited; err != nil {
		t.Fatalf("single-process up exited with %v", err)
	}
}
