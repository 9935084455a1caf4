package dockertest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/internal/build"
	"github.com/bazaar-shop/bazaar/internal/load"
)

// The multi-host tests: the shop deployed as containers (each its own
// host) on a private network per test, under load, with `bazaar verify`
// afterwards. TestMain builds the images once, with
// deploy/docker/build-images.sh, under a tag of their own, and removes
// them at the end.

// testImages are the images built for this run (zero in -short mode).
var testImages Images

// rolledTag is the catalog image the rolling upgrade moves to: the same
// code stamped with another version, so another image.
var rolledTag string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	code, err := withImages(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "multi-host tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func withImages(m *testing.M) (int, error) {
	ctx := context.Background()
	if err := (Docker{}).Available(ctx); err != nil {
		return 0, fmt.Errorf("no Docker engine (these tests need one): %w", err)
	}
	wd, _ := os.Getwd()
	root, err := build.FindModuleRoot(wd)
	if err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp("", "bazaar-images-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	tag := UniqueName("t")
	testImages = Images{Prefix: "bazaar-test", Tag: tag}
	rolledTag = tag + "-v2"
	var built []string
	defer func() {
		if len(built) > 0 {
			_, _ = (Docker{}).Run(ctx, append([]string{"rmi", "-f"}, built...)...)
		}
	}()
	for _, b := range []struct{ env []string }{
		{[]string{"TAG=" + tag, "VERSION=" + tag, "OUT=" + filepath.Join(tmp, "all")}},
		{[]string{"TAG=" + rolledTag, "VERSION=" + rolledTag, "NAMES=catalog", "OUT=" + filepath.Join(tmp, "v2")}},
	} {
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "deploy", "docker", "build-images.sh"))
		cmd.Env = append(os.Environ(), append(b.env, "PREFIX=bazaar-test")...)
		out, err := cmd.Output()
		built = append(built, strings.Fields(string(out))...)
		if err != nil {
			return 0, fmt.Errorf("build images: %w", err)
		}
	}
	return m.Run(), nil
}

// startShop deploys a shop in a fresh sandbox for t.
func startShop(t *testing.T, prefix string) *Shop {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-host test: needs the Docker engine and built images")
	}
	sb := NewSandbox(t, prefix)
	start := time.Now()
	shop, err := StartShop(context.Background(), sb, testImages)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("shop of %d containers healthy in %s", sb.Count(), time.Since(start).Round(time.Second))
	return shop
}

// step is something done to the shop a given time into the load.
type step struct {
	at   time.Duration
	what string
	do   func(ctx context.Context) error
}

// underLoad drives the storefronts with the standard mix at rate for d,
// running steps at their times, and returns the load's result.
func underLoad(t *testing.T, shop *Shop, storefronts []string, rate float64, d time.Duration, steps ...step) *load.Result {
	t.Helper()
	ctx := context.Background()
	urls, err := shop.StorefrontURLs(ctx, storefronts...)
	if err != nil {
		t.Fatal(err)
	}
	const workers = 16
	// Preparing the shoppers signs them up; a shop that just became
	// healthy on a busy machine may still shed those calls, so setup
	// retries (the load itself never does).
	var doer *Storefronts
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(2 * time.Second) {
		if doer, err = NewStorefronts(ctx, urls, workers, 1); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		t.Logf("preparing shoppers (will retry): %.200v", err)
	}
	mix, err := load.NewMix(load.StandardMix())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *load.Result, 1)
	start := time.Now()
	go func() {
		res, err := load.Run(ctx, doer, mix, load.Options{Rate: rate, Duration: d, Workers: workers, Seed: 1})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	for _, s := range steps {
		time.Sleep(time.Until(start.Add(s.at)))
		t.Logf("%5.1fs %s", time.Since(start).Seconds(), s.what)
		if err := s.do(ctx); err != nil {
			t.Errorf("%s: %v", s.what, err)
		}
	}
	res := <-done
	if res == nil {
		t.FailNow()
	}
	t.Logf("load: %d operations, %d failed (%.2f%%), p50 %.0f ms, p99 %.0f ms",
		res.Total.Count, res.Total.Errors, 100*res.ErrorRate(), res.Total.P50Ms, res.Total.P99Ms)
	for _, op := range res.Operations {
		for _, e := range op.FirstErrors {
			t.Logf("  %s error: %.200s", op.Op, e)
		}
	}
	return res
}

// verifyShop runs bazaar verify and fails t unless every invariant holds.
func verifyShop(t *testing.T, shop *Shop) {
	t.Helper()
	rep, err := shop.Verify(context.Background(), 90*time.Second)
	if err != nil || !strings.Contains(rep, "PASS") {
		t.Fatalf("bazaar verify: %v\n%s", err, rep)
	}
	first, _, _ := strings.Cut(rep, "\n")
	t.Logf("bazaar verify: PASS (%s)", first)
}

// servedAtTheEnd fails t unless operations still succeeded in the last
// seconds of the load: the shop kept serving after what was done to it.
func servedAtTheEnd(t *testing.T, res *load.Result, last int) {
	t.Helper()
	var ok int64
	for _, s := range res.Series[max(0, len(res.Series)-last):] {
		ok += s.Count - s.Errors
	}
	if ok == 0 {
		t.Fatalf("no operation succeeded in the last %d s of the load", last)
	}
}

// restartWhenDown returns a step starting the stopped container name
// again, after it has been down for at least downFor (a late step must
// not shorten the outage), and waiting until it is healthy.
func (s *Shop) restartWhenDown(name string) func(context.Context) error {
	return func(ctx context.Context) error {
		time.Sleep(downFor)
		if err := s.Restart(ctx, name); err != nil {
			return err
		}
		return s.WaitHealthy(ctx, time.Minute, name)
	}
}

// downFor is the shortest time a killed stateful container or NATS node
// stays down before it is started again.
const downFor = 5 * time.Second

// Lose a host of each kind, one after another, under load: a storefront
// replica, a stateless replica (catalog), a stateful service (inventory,
// restarted on its volume), a NATS node (restarted). The shop keeps
// serving and the invariants hold.
func TestLosingAHostOfEachKind(t *testing.T) {
	shop := startShop(t, "bzt-kill")
	kill := func(name string) func(context.Context) error {
		return func(ctx context.Context) error { return shop.Kill(ctx, name) }
	}
	res := underLoad(t, shop, []string{"storefront-1", "storefront-2"}, 8, 50*time.Second,
		step{5 * time.Second, "kill storefront-2", kill("storefront-2")},
		step{12 * time.Second, "kill catalog-2", kill("catalog-2")},
		step{19 * time.Second, "kill inventory", kill("inventory")},
		step{20 * time.Second, "start inventory again", shop.restartWhenDown("inventory")},
		step{30 * time.Second, "kill nats-3", kill("nats-3")},
		step{31 * time.Second, "start nats-3 again", shop.restartWhenDown("nats-3")},
	)
	if rate := res.ErrorRate(); rate > 0.05 {
		t.Errorf("%.1f%% of operations failed, want at most 5%%", 100*rate)
	}
	servedAtTheEnd(t, res, 5)
	verifyShop(t, shop)
}

// Partition payment's container from every other (network disconnect)
// under load, then heal it: checkouts are accepted meanwhile and
// confirmed after, and the invariants hold.
func TestPartitionedServiceHeals(t *testing.T) {
	shop := startShop(t, "bzt-part")
	res := underLoad(t, shop, []string{"storefront-1", "storefront-2"}, 8, 35*time.Second,
		step{5 * time.Second, "partition payment", func(ctx context.Context) error { return shop.Disconnect(ctx, "payment") }},
		step{20 * time.Second, "heal payment", func(ctx context.Context) error { return shop.Connect(ctx, "payment", "") }},
	)
	if rate := res.ErrorRate(); rate > 0.05 {
		t.Errorf("%.1f%% of operations failed, want at most 5%%", 100*rate)
	}
	servedAtTheEnd(t, res, 5)
	verifyShop(t, shop)
}

// Roll the catalog onto a new image one container at a time under load:
// start a new container, wait until it is healthy, stop an old one
// gracefully; not one operation fails.
func TestRollingUpgradeFailsNothing(t *testing.T) {
	shop := startShop(t, "bzt-roll")
	image := testImages.Prefix + "/catalog:" + rolledTag
	var steps []step
	for i, at := range []time.Duration{5 * time.Second, 18 * time.Second} {
		old, next := fmt.Sprintf("catalog-%d", i+1), fmt.Sprintf("catalog-%d", i+3)
		steps = append(steps, step{at, "replace " + old + " by " + next + " (" + rolledTag + ")", func(ctx context.Context) error {
			if err := shop.StartInstance(ctx, "catalog", next, image); err != nil {
				return err
			}
			if err := shop.WaitHealthy(ctx, time.Minute, next); err != nil {
				return err
			}
			return shop.Stop(ctx, old, 15*time.Second)
		}})
	}
	res := underLoad(t, shop, []string{"storefront-1", "storefront-2"}, 8, 40*time.Second, steps...)
	if res.Total.Errors != 0 {
		t.Errorf("%d of %d operations failed during the roll, want none", res.Total.Errors, res.Total.Count)
	}
	for _, n := range []string{"catalog-3", "catalog-4"} {
		v, err := shop.Run(context.Background(), "inspect", "-f", `{{index .Config.Labels "org.opencontainers.image.version"}}`, shop.FullName(n))
		if err != nil || v != rolledTag {
			t.Errorf("%s runs version %q (%v), want %q", n, v, err, rolledTag)
		}
		if h, err := shop.Handled(context.Background(), n); err != nil || h == 0 {
			t.Errorf("%s answered %v calls (%v), want some", n, h, err)
		}
	}
	verifyShop(t, shop)
}

// Scale the catalog from 2 to 4 containers under load: clients find the
// new ones by DNS once their connections age out (MaxConnectionAge 10s),
// and from then on the calls spread over all four (per-instance counts
// from each container's /metrics, over the last 25 s of the load).
func TestScaleOutSpreadsTheLoad(t *testing.T) {
	shop := startShop(t, "bzt-scale")
	names := []string{"catalog-1", "catalog-2", "catalog-3", "catalog-4"}
	before := make(map[string]float64)
	scale := func(ctx context.Context) error {
		for _, n := range names[2:] {
			if err := shop.StartInstance(ctx, "catalog", n, testImages.Of("catalog")); err != nil {
				return err
			}
		}
		return shop.WaitHealthy(ctx, time.Minute, names[2:]...)
	}
	snapshot := func(ctx context.Context) error {
		for _, n := range names {
			h, err := shop.Handled(ctx, n)
			if err != nil {
				return err
			}
			before[n] = h
		}
		return nil
	}
	res := underLoad(t, shop, []string{"storefront-1", "storefront-2"}, 8, 60*time.Second,
		step{8 * time.Second, "scale catalog 2 -> 4", scale},
		step{35 * time.Second, "count each catalog's calls from now", snapshot},
	)
	if rate := res.ErrorRate(); rate > 0.01 {
		t.Errorf("%.1f%% of operations failed, want at most 1%%", 100*rate)
	}
	var total float64
	served := make(map[string]float64)
	for _, n := range names {
		h, err := shop.Handled(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		served[n] = h - before[n]
		total += served[n]
	}
	t.Logf("catalog calls in the last 25 s: %v (total %.0f)", served, total)
	for _, n := range names {
		if share := served[n] / total; total == 0 || share < 0.10 {
			t.Errorf("%s answered %.0f of %.0f calls (%.0f%%), want at least 10%% (fair share 25%%)", n, served[n], total, 100*share)
		}
	}
	verifyShop(t, shop)
}
