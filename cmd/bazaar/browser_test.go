package main

import (
	"context"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts Debian's headless chromium for a test; scripts/install-deps.sh
// (run by `make test`) installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (run scripts/install-deps.sh): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs browser actions with a time limit, failing the test with what
// was being done.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// pageText is the visible text of the page, or "" while it is loading.
func pageText(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	text, err := chromedp.Run(sctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		return ""
	}
	return text
}

// awaitText waits until the page (which may reload itself) shows want.
func awaitText(t *testing.T, ctx context.Context, want string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		text := pageText(ctx)
		if strings.Contains(strings.ToLower(text), strings.ToLower(want)) {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("page never showed %q; it shows:\n%.1500s", want, text)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// awaitPath waits until the browser has navigated to a URL whose path
// starts with prefix (a form post and its redirect have finished).
func awaitPath(t *testing.T, ctx context.Context, prefix string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		loc, err := chromedp.Run(sctx, chromedp.Location())
		cancel()
		if u, perr := url.Parse(loc); err == nil && perr == nil && strings.HasPrefix(u.Path, prefix) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("browser never reached %s; it is at %s (%v)", prefix, loc, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestBrowserPurchase is a shopper in a real browser: sign up, search,
// add to cart, check out with a test card, see the order CONFIRMED and
// find the confirmation e-mail in the mailbox.
func TestBrowserPurchase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes and chromium; runs in the full suite")
	}
	bin := buildCLI(t)
	sh := startShop(t, bin, t.TempDir()+"/data")
	ctx := browser(t)

	step(t, ctx, "sign up",
		chromedp.Navigate(sh.url+"/signup"),
		chromedp.WaitVisible("#f-email"),
		chromedp.SendKeys("#f-email", "grace@example.com"),
		chromedp.SendKeys("#f-name", "Grace Hopper"),
		chromedp.SendKeys("#f-password", "cobol-forever-1959"),
		chromedp.Submit("#f-password"),
	)
	awaitText(t, ctx, "Sign out", 15*time.Second)

	step(t, ctx, "search",
		chromedp.WaitVisible("#search-q"),
		chromedp.SendKeys("#search-q", "espresso"),
		chromedp.Submit("#search-q"),
		chromedp.WaitVisible(`main a[href^="/products/"]`),
		chromedp.Click(`main a[href^="/products/"]`),
	)
	step(t, ctx, "add to cart",
		chromedp.WaitVisible("form.add-to-cart button[type=submit]"),
		chromedp.Click("form.add-to-cart button[type=submit]"),
	)
	awaitPath(t, ctx, "/cart")
	awaitText(t, ctx, "Espresso", 15*time.Second)

	step(t, ctx, "fill the checkout form",
		chromedp.Navigate(sh.url+"/checkout"),
		chromedp.WaitVisible("#f-card_number"),
		chromedp.SetValue("#f-email", "grace@example.com"),
		chromedp.SendKeys("#f-name", "Grace Hopper"),
		chromedp.SendKeys("#f-street", "1 Navy Yard"),
		chromedp.SendKeys("#f-city", "Arlington"),
		chromedp.SendKeys("#f-postal_code", "22202"),
		chromedp.SetValue("#f-country", "US"),
		chromedp.SendKeys("#f-card_number", "4242 4242 4242 4242"),
		chromedp.SendKeys("#f-exp_month", "12"),
		chromedp.SendKeys("#f-exp_year", "2035"),
		chromedp.SendKeys("#f-cvv", "123"),
		chromedp.Submit("#f-cvv"),
	)
	awaitPath(t, ctx, "/orders/")
	// The order page reloads itself while the order is PENDING.
	order := awaitText(t, ctx, "CONFIRMED", 60*time.Second)
	if !strings.Contains(order, "4242") {
		t.Errorf("order page does not show the card's last four digits:\n%.1000s", order)
	}
	step(t, ctx, "open the mailbox", chromedp.Navigate(sh.url+"/messages"))
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(pageText(ctx), "is confirmed") {
		if time.Now().After(deadline) {
			t.Fatalf("no confirmation e-mail in the mailbox:\n%.1500s", pageText(ctx))
		}
		time.Sleep(500 * time.Millisecond)
		step(t, ctx, "reload the mailbox", chromedp.Navigate(sh.url+"/messages"))
	}
	if n := strings.Count(pageText(ctx), "is confirmed"); n != 1 {
		t.Errorf("mailbox holds %d confirmation e-mails, want exactly 1", n)
	}

	checkConsole(t, ctx, sh.console)
}

// checkConsole opens the live console after a purchase: the topology shows
// who calls whom, and the checkout's trace spans the storefront, orders,
// inventory, payment and the event consumers.
func checkConsole(t *testing.T, ctx context.Context, consoleURL string) {
	t.Helper()
	step(t, ctx, "open the topology",
		chromedp.Navigate(consoleURL+"/topology"),
		chromedp.WaitVisible(`#topology g.edge[data-from="storefront"]`),
	)
	edges, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#topology g.edge')].map(e => e.dataset.from + '->' + e.dataset.to)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"storefront->orders", "orders->payment", "orders->inventory"} {
		if !slices.Contains(edges, want) {
			t.Errorf("topology lacks the edge %s; it has %v", want, edges)
		}
	}

	// The checkout's trace, found in the list and opened.
	deadline := time.Now().Add(30 * time.Second)
	var traceID string
	for traceID == "" {
		step(t, ctx, "open the traces", chromedp.Navigate(consoleURL+"/traces"), chromedp.WaitReady("#traces"))
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`([...document.querySelectorAll('#traces tr.trace')].find(r => r.innerText.includes('POST /checkout')) || {dataset: {}}).dataset.traceId || ''`))
		if err != nil {
			t.Fatal(err)
		}
		traceID = id
		if traceID == "" && time.Now().After(deadline) {
			t.Fatalf("no checkout trace in the console:\n%.1500s", pageText(ctx))
		}
		if traceID == "" {
			time.Sleep(time.Second)
		}
	}
	var services []string
	for {
		step(t, ctx, "open the checkout trace", chromedp.Navigate(consoleURL+"/traces/"+traceID), chromedp.WaitVisible("#waterfall details.span"))
		services, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`[...new Set([...document.querySelectorAll('#waterfall details.span')].map(s => s.dataset.service))]`))
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(services, "payment") && slices.Contains(services, "notifications") || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second) // late spans (the saga, the consumers) are still arriving
	}
	for _, want := range []string{"storefront", "orders", "inventory", "payment", "shipping", "notifications"} {
		if !slices.Contains(services, want) {
			t.Errorf("checkout trace %s has no %s span; services: %v", traceID, want, services)
		}
	}
}
