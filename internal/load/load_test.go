package load

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustMix(t *testing.T, ws []Weight) *Mix {
	t.Helper()
	m, err := NewMix(ws)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustShop(t *testing.T, url string, workers int) *Shop {
	t.Helper()
	s, err := NewShop(context.Background(), url, workers, 7)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rowOf(t *testing.T, r *Result, op Op) Stats {
	t.Helper()
	for _, s := range r.Operations {
		if s.Op == op.String() {
			return s
		}
	}
	t.Fatalf("no row for %s in %+v", op, r.Operations)
	return Stats{}
}

func TestRunKeepsTheRate(t *testing.T) {
	f := &fakeShop{}
	srv := newFakeShop(t, f)
	shop := mustShop(t, srv.URL, 8)
	const rate, dur = 200.0, time.Second
	r, err := Run(context.Background(), shop, mustMix(t, StandardMix()), Options{Rate: rate, Duration: dur, Workers: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := rate * dur.Seconds()
	if ratio := float64(r.Total.Count) / want; ratio < 0.95 || ratio > 1.05 {
		t.Errorf("ran %d ops, want about %.0f (ratio %.2f)", r.Total.Count, want, ratio)
	}
	if ratio := r.Achieved / rate; ratio < 0.8 || ratio > 1.05 {
		t.Errorf("achieved %.1f/s at rate %.0f/s (ratio %.2f)", r.Achieved, rate, ratio)
	}
	if r.Total.Errors != 0 {
		t.Errorf("errors = %d: %+v", r.Total.Errors, r.Operations)
	}
	var sum int64
	for _, s := range r.Series {
		sum += s.Count
	}
	if sum != r.Total.Count {
		t.Errorf("series sums to %d, total is %d", sum, r.Total.Count)
	}
}

func TestRunAccountsForCoordinatedOmission(t *testing.T) {
	// One worker, 100 ops/s for 1s; the first request after 200ms stalls
	// 300ms. Only one request is slow at the server, but the ~30 ops
	// intended during the stall wait behind it and their latency, from
	// their intended start, shows it.
	start := time.Now()
	var once sync.Once
	f := &fakeShop{home: func(w http.ResponseWriter, _ *http.Request) {
		if time.Since(start) > 200*time.Millisecond {
			once.Do(func() { time.Sleep(300 * time.Millisecond) })
		}
		io.WriteString(w, "home")
	}}
	srv := newFakeShop(t, f)
	shop := mustShop(t, srv.URL, 1)
	start = time.Now()
	r, err := Run(context.Background(), shop, mustMix(t, []Weight{{OpHome, 1}}), Options{Rate: 100, Duration: time.Second, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Total.P99Ms < 250 {
		t.Errorf("p99 = %.1fms, want >= 250ms: the stall's queueing is hidden", r.Total.P99Ms)
	}
	if r.Total.P90Ms < 50 {
		t.Errorf("p90 = %.1fms, want >= 50ms: the ops queued behind the stall are not counted", r.Total.P90Ms)
	}
	if r.Late < 15 {
		t.Errorf("late = %d, want >= 15", r.Late)
	}
	if r.Total.Count != 100 {
		t.Errorf("count = %d, want 100: no op may be skipped", r.Total.Count)
	}
}

func TestMixProportions(t *testing.T) {
	ws := StandardMix()
	m := mustMix(t, ws)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 220_000
	var got [numOps]int
	for range n {
		got[m.Pick(rng)]++
	}
	total := 0
	for _, w := range ws {
		total += w.Weight
	}
	for _, w := range ws {
		want := float64(w.Weight) / float64(total)
		share := float64(got[w.Op]) / n
		if share < want*0.95 || share > want*1.05 {
			t.Errorf("%s: share %.4f, want %.4f ± 5%%", w.Op, share, want)
		}
	}
}

func TestNewMixRejectsBadWeights(t *testing.T) {
	for _, ws := range [][]Weight{nil, {{OpHome, 0}}, {{OpHome, -1}}, {{Op(99), 1}}} {
		if _, err := NewMix(ws); err == nil {
			t.Errorf("NewMix(%v) succeeded, want an error", ws)
		}
	}
}

func TestShopOperations(t *testing.T) {
	f := &fakeShop{}
	srv := newFakeShop(t, f)
	shop := mustShop(t, srv.URL, 2)
	if got := len(shop.Products()); got != len(fakeProducts) {
		t.Fatalf("read %d products over two pages, want %d", got, len(fakeProducts))
	}
	ctx := context.Background()
	for op := range numOps {
		for w := range 2 {
			if err := shop.Do(ctx, w, op); err != nil {
				t.Errorf("%s as shopper %d: %v", op, w, err)
			}
		}
	}
	// Checkout twice in a row: the second adds an item first.
	if err := shop.Do(ctx, 0, OpCheckout); err != nil {
		t.Errorf("second checkout: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.orders != 3 || len(f.keys) != 3 {
		t.Errorf("orders = %d with %d keys, want 3 and 3", f.orders, len(f.keys))
	}
}

func TestErrorCounting(t *testing.T) {
	f := &fakeShop{cartStatus: http.StatusServiceUnavailable}
	srv := newFakeShop(t, f)
	shop := mustShop(t, srv.URL, 4)
	mix := mustMix(t, []Weight{{OpHome, 1}, {OpViewCart, 1}})
	r, err := Run(context.Background(), shop, mix, Options{Rate: 200, Duration: 300 * time.Millisecond, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	home, cart := rowOf(t, r, OpHome), rowOf(t, r, OpViewCart)
	if home.Errors != 0 || cart.Errors != cart.Count || cart.Count == 0 {
		t.Errorf("home %d/%d errors, cart %d/%d errors; want none and all", home.Errors, home.Count, cart.Errors, cart.Count)
	}
	if r.Total.Errors != cart.Errors {
		t.Errorf("total errors %d, want %d", r.Total.Errors, cart.Errors)
	}
	if n := len(cart.FirstErrors); n == 0 || n > maxErrorMessages || !strings.Contains(cart.FirstErrors[0], "503") {
		t.Errorf("first errors = %q, want 1..%d naming 503", cart.FirstErrors, maxErrorMessages)
	}
	var seriesErrs int64
	for _, s := range r.Series {
		seriesErrs += s.Errors
	}
	if seriesErrs != cart.Errors {
		t.Errorf("series errors %d, want %d", seriesErrs, cart.Errors)
	}
}

func TestTransportErrorsCount(t *testing.T) {
	d := DoerFunc(func(_ context.Context, _ int, op Op) error {
		if op == OpSearch {
			return errors.New("connection refused")
		}
		return nil
	})
	r, err := Run(context.Background(), d, mustMix(t, []Weight{{OpSearch, 1}}), Options{Rate: 100, Duration: 200 * time.Millisecond, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if s := rowOf(t, r, OpSearch); s.Errors != s.Count || s.Count != 20 {
		t.Errorf("search: %d errors of %d, want 20 of 20", s.Errors, s.Count)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	mix := mustMix(t, StandardMix())
	d := DoerFunc(func(context.Context, int, Op) error { return nil })
	for _, o := range []Options{
		{Rate: 0, Duration: time.Second, Workers: 1},
		{Rate: 1, Duration: 0, Workers: 1},
		{Rate: 1, Duration: time.Second, Workers: 0},
	} {
		if _, err := Run(context.Background(), d, mix, o); err == nil {
			t.Errorf("Run(%+v) succeeded, want an error", o)
		}
	}
}

func sampleResult(t *testing.T) *Result {
	t.Helper()
	d := DoerFunc(func(_ context.Context, _ int, op Op) error {
		if op == OpCheckout {
			return errors.New("checkout: 503")
		}
		return nil
	})
	r, err := Run(context.Background(), d, mustMix(t, StandardMix()), Options{Rate: 400, Duration: 1500 * time.Millisecond, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleResult(t)
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip changed the result:\n got %+v\nwant %+v", got, r)
	}
	if len(got.Series) != 2 || len(got.Operations) == 0 {
		t.Errorf("series %d points, %d operations; want 2 and some", len(got.Series), len(got.Operations))
	}
}

func TestSVGIsWellFormed(t *testing.T) {
	r := sampleResult(t)
	var buf bytes.Buffer
	if err := WriteSVG(&buf, r, []Mark{{Start: 0.5, End: 1}, {Start: 1, End: 99}}); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	var root string
	elems := map[string]int{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			elems[se.Name.Local]++
		}
	}
	if root != "svg" || elems["polyline"] != 2 || elems["rect"] < 4 {
		t.Errorf("root %q, elements %v; want svg with 2 polylines and the marks' rects", root, elems)
	}
}

func TestCheckTarget(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.0.0.2:8080", true},
		{"http://[::1]:8080", true},
		{"http://localhost:8080", true},
		{"https://127.0.0.1", true},
		{"http://10.0.0.1:8080", false},
		{"http://8.8.8.8", false},
		{"http://0.0.0.0:8080", false},
		{"http://[::ffff:192.168.1.1]:80", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8080", false},
		{"http://", false},
	} {
		_, err := CheckTarget(context.Background(), tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("CheckTarget(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
	if _, err := NewShop(context.Background(), "http://192.0.2.1:8080", 1, 1); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("NewShop on a remote address = %v, want a refusal naming loopback", err)
	}
}

func TestLoopbackOnlyDial(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:80": true, "[::1]:80": true, "10.1.2.3:80": false, "example.com:80": false} {
		if err := loopbackOnly("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}

func TestParseMark(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mark
		ok   bool
	}{
		{"10:20", Mark{10, 20}, true},
		{"0:0.5", Mark{0, 0.5}, true},
		{"20:10", Mark{}, false},
		{"5:5", Mark{}, false},
		{"-1:5", Mark{}, false},
		{"5", Mark{}, false},
		{"a:b", Mark{}, false},
		{"1:Inf", Mark{}, false},
	} {
		got, err := ParseMark(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseMark(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestSweep(t *testing.T) {
	d := DoerFunc(func(context.Context, int, Op) error { return nil })
	rows, err := Sweep(context.Background(), d, mustMix(t, StandardMix()), Options{Duration: 200 * time.Millisecond, Workers: 4}, []float64{50, 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Rate != 50 || rows[1].Rate != 100 {
		t.Fatalf("rows = %+v, want rates 50 and 100", rows)
	}
	var buf bytes.Buffer
	if err := WriteSweep(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "highest rate") {
		t.Errorf("sweep output lacks the highest rate:\n%s", buf.String())
	}
}

func TestBestRate(t *testing.T) {
	rows := []SweepRow{
		{Rate: 100, P99Ms: 10},
		{Rate: 200, P99Ms: 40, ErrorsPct: 0.05},
		{Rate: 400, P99Ms: 80},
		{Rate: 300, P99Ms: 20, ErrorsPct: 0.5},
	}
	if best, ok := BestRate(rows); !ok || best != 200 {
		t.Errorf("BestRate = %v, %v; want 200", best, ok)
	}
	if _, ok := BestRate(rows[2:]); ok {
		t.Errorf("BestRate found a rate where none meets the thresholds")
	}
}

// TestGroupsCollectTheirOperations: a group's row counts exactly the
// operations of its members, with their errors, and only theirs.
func TestGroupsCollectTheirOperations(t *testing.T) {
	d := DoerFunc(func(_ context.Context, _ int, op Op) error {
		if op == OpSearch {
			return errors.New("search is down")
		}
		return nil
	})
	mix := mustMix(t, []Weight{{OpHome, 1}, {OpSearch, 1}, {OpViewCart, 1}})
	o := Options{Rate: 300, Duration: 500 * time.Millisecond, Workers: 4, Seed: 3,
		Groups: []Group{{Name: "browse", Ops: []Op{OpHome, OpViewCart}}, {Name: "search", Ops: []Op{OpSearch}}, {Name: "none"}}}
	r, err := Run(context.Background(), d, mix, o)
	if err != nil {
		t.Fatal(err)
	}
	browse, _ := r.Group("browse")
	search, _ := r.Group("search")
	none, ok := r.Group("none")
	if want := rowOf(t, r, OpHome).Count + rowOf(t, r, OpViewCart).Count; browse.Count != want || browse.Errors != 0 {
		t.Errorf("browse group = %d ops, %d errors; want %d ops, 0 errors", browse.Count, browse.Errors, want)
	}
	if s := rowOf(t, r, OpSearch); search.Count != s.Count || search.Errors != s.Count {
		t.Errorf("search group = %d ops, %d errors; want %d of each", search.Count, search.Errors, s.Count)
	}
	if !ok || none.Count != 0 {
		t.Errorf("empty group = %+v (present %v), want a zero row", none, ok)
	}
	if _, ok := r.Group("missing"); ok {
		t.Error("Group found a group that was never asked for")
	}
}

// TestRunMeasuresCPU: with a CPU reader, a run reports the CPU used
// between its start and its end, and per 1,000 operations.
func TestRunMeasuresCPU(t *testing.T) {
	var mu sync.Mutex
	used := 10.0
	d := DoerFunc(func(context.Context, int, Op) error {
		mu.Lock()
		used += 0.002 // 2 ms of CPU per operation
		mu.Unlock()
		return nil
	})
	cpu := func() (float64, error) { mu.Lock(); defer mu.Unlock(); return used, nil }
	r, err := Run(context.Background(), d, mustMix(t, []Weight{{OpHome, 1}}), Options{Rate: 200, Duration: 500 * time.Millisecond, Workers: 4, CPU: cpu})
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.002 * float64(r.Total.Count); r.Total.Count == 0 || r.CPUSeconds < want-1e-9 || r.CPUSeconds > want+1e-9 {
		t.Errorf("CPUSeconds = %v for %d ops, want %v", r.CPUSeconds, r.Total.Count, want)
	}
	if r.CPUPer1000 < 1.999 || r.CPUPer1000 > 2.001 {
		t.Errorf("CPUPer1000 = %v, want 2", r.CPUPer1000)
	}
	if row := RowOf(r); row.CPUPer1000 != r.CPUPer1000 {
		t.Errorf("sweep row CPU %v, want %v", row.CPUPer1000, r.CPUPer1000)
	}
	var buf strings.Builder
	if err := r.WriteTable(&buf); err != nil || !strings.Contains(buf.String(), "per 1000 ops") {
		t.Errorf("table has no CPU line: %v\n%s", err, &buf)
	}
}

// Sign-in's deliberate hashing cost is judged apart: a sweep run with the
// ExceptSignIn group reports the p99 of the rest, and the best rate on it.
func TestSweepExceptSignIn(t *testing.T) {
	d := DoerFunc(func(ctx context.Context, _ int, op Op) error {
		if op == OpSignIn {
			select {
			case <-time.After(80 * time.Millisecond):
			case <-ctx.Done():
			}
		}
		return nil
	})
	o := Options{Duration: time.Second, Workers: 16, Groups: []Group{ExceptSignIn()}}
	rows, err := Sweep(context.Background(), d, mustMix(t, StandardMix()), o, []float64{100})
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.P99Ms < 50 || r.P99ExceptSignInMs <= 0 || r.P99ExceptSignInMs >= 50 {
		t.Fatalf("p99 = %v ms, except sign-in %v ms; want >= 50 with sign-in and (0, 50) without", r.P99Ms, r.P99ExceptSignInMs)
	}
	var buf bytes.Buffer
	if err := WriteSweep(&buf, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"p99 ms except sign-in", "no rate had p99 <= 50ms", "highest rate with p99 except sign-in <= 50ms and errors < 0.1%: 100/s"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("sweep output lacks %q:\n%s", want, buf.String())
		}
	}
	for _, op := range ExceptSignIn().Ops {
		if op == OpSignIn {
			t.Errorf("ExceptSignIn includes sign-in")
		}
	}
	if n := len(ExceptSignIn().Ops); n != int(numOps)-1 {
		t.Errorf("ExceptSignIn has %d operations, want %d", n, numOps-1)
	}
}
