package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"syscall"
	"testing"
	"time"
)

// edgeRequest is one request of the steady load through the edge.
type edgeRequest struct {
	what       string
	start, end time.Time
	status     int
	err        error
}

// edgeLoad sends requests through the edge from a few shoppers until
// stopped: product reads, home pages and add-to-cart POSTs (no
// idempotency key: the edge must never send one twice).
type edgeLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu   sync.Mutex
	reqs []edgeRequest
}

func startEdgeLoad(t *testing.T, url string, products []string) *edgeLoad {
	t.Helper()
	l := &edgeLoad{stop: make(chan struct{})}
	transport := &http.Transport{MaxIdleConnsPerHost: 8}
	t.Cleanup(transport.CloseIdleConnections)
	for w := range 4 {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(40 * time.Millisecond):
				}
				id := products[(w+i)%len(products)]
				var req *http.Request
				switch i % 4 {
				case 0:
					req, _ = http.NewRequest(http.MethodGet, url+"/", nil)
				case 1:
					req, _ = http.NewRequest(http.MethodPost, url+"/api/v1/cart/items",
						bytes.NewReader(fmt.Appendf(nil, `{"product_id":%q,"quantity":1}`, id)))
					req.Header.Set("Content-Type", "application/json")
				default:
					req, _ = http.NewRequest(http.MethodGet, url+"/api/v1/products/"+id, nil)
				}
				r := edgeRequest{what: req.Method + " " + req.URL.Path, start: time.Now()}
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					r.status = resp.StatusCode
				}
				r.err, r.end = err, time.Now()
				l.mu.Lock()
				l.reqs = append(l.reqs, r)
				l.mu.Unlock()
			}
		})
	}
	return l
}

// finish stops the load and returns every request it sent.
func (l *edgeLoad) finish() []edgeRequest {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reqs
}

func (r edgeRequest) ok() bool { return r.err == nil && r.status < 400 }

// TestEdgeKeepsServingWhileAStorefrontHangs: `bazaar up` runs two
// storefronts behind the edge. Under steady load, one of them is frozen
// (SIGSTOP) for a few seconds: every request still succeeds (a request
// that cannot be sent again, in flight on the frozen instance at the
// instant of the pause, may wait for it), requests sent once the edge
// noticed do not wait for the frozen one, and after SIGCONT it serves
// again. Scaling the storefront out and back in under the same load
// fails nothing, and `bazaar verify` passes.
func TestEdgeKeepsServingWhileAStorefrontHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; runs in the full suite")
	}
	bin := buildCLI(t)
	sh := startShop(t, bin, t.TempDir()+"/data")
	fronts := sh.statusOf(bin, "storefront")
	if len(fronts) != 2 {
		t.Fatalf("bazaar up runs %d storefront instances, want 2 by default", len(fronts))
	}
	var products []string
	for _, p := range sh.products("").Products {
		products = append(products, p.ID)
	}

	l := startEdgeLoad(t, sh.url, products)
	time.Sleep(time.Second)
	frozen := fronts[0]
	paused := time.Now()
	if err := syscall.Kill(frozen.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(frozen.PID, syscall.SIGCONT) })
	time.Sleep(5 * time.Second)
	resumed := time.Now()
	if err := syscall.Kill(frozen.PID, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resumed storefront to be ready again", func() bool {
		for _, in := range sh.statusOf(bin, "storefront") {
			if in.ID == frozen.ID && in.State != "ready" {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second)

	// Scale out and back in under the same load.
	sh.cli(bin, "scale", "storefront=3")
	if n := len(sh.statusOf(bin, "storefront")); n != 3 {
		t.Errorf("after scale storefront=3, status lists %d storefront instances", n)
	}
	sh.cli(bin, "scale", "storefront=2")
	reqs := l.finish()

	var during, slow, failed int
	for _, r := range reqs {
		inFlightAtPause := r.start.Before(paused) && r.end.After(paused)
		if r.start.After(paused) && r.start.Before(resumed) {
			during++
		}
		if !r.ok() {
			if inFlightAtPause && r.what == "POST /api/v1/cart/items" {
				t.Logf("%s in flight on the frozen instance failed after it resumed: %d %v", r.what, r.status, r.err)
				continue
			}
			failed++
			t.Errorf("%s at %v after the pause: %d %v", r.what, r.start.Sub(paused).Round(time.Millisecond), r.status, r.err)
			continue
		}
		// Sent once the edge had ejected the frozen instance (well
		// within a second) and well before it resumed: it must not
		// have waited for it.
		if r.start.After(paused.Add(1500*time.Millisecond)) && r.start.Before(resumed.Add(-2*time.Second)) && r.end.After(resumed) {
			t.Errorf("%s sent %v after the pause waited for the frozen instance (answered %v after it resumed)",
				r.what, r.start.Sub(paused).Round(time.Millisecond), r.end.Sub(resumed).Round(time.Millisecond))
		}
		if r.end.After(resumed) && r.start.Before(resumed) && r.end.Sub(r.start) > time.Second {
			slow++
		}
	}
	t.Logf("%d requests through the edge, %d sent while %s was frozen (5 s), %d failed, %d waited for it to resume",
		len(reqs), during, frozen.ID, failed, slow)
	if during < 100 {
		t.Errorf("only %d requests were sent while a storefront was frozen; the load did not run", during)
	}
	sh.cli(bin, "verify")
}
