package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// sampleReport has an OK invariant with work in flight, a violated one, a
// note and the unobservable one.
func sampleReport() Report {
	return Report{
		Orders: 3, Charges: 2, Products: 1,
		Results: []Result{
			{Invariant: Settled, InFlight: 2},
			{Invariant: ChargedOnce, Violations: []Violation{{ChargedOnce, "o1", "charged 2 times: c1 (SUCCEEDED), c2 (SUCCEEDED)"}}},
			{Invariant: CancelledHoldsNothing},
			{Invariant: StockBalanced, Violations: []Violation{{StockBalanced, "p1", "on hand 1 + reserved 0 + sold 0 = 1, but 2 were loaded"}}},
			{Invariant: FulfilledOnce, Note: "a note"},
			checkOneOrderPerKey(),
		},
	}
}

func TestReportWrite(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().Write(&b); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bazaar verify: 3 orders, 2 charges, 1 products",
		"1. every accepted order ends CONFIRMED or CANCELLED: OK, 2 in flight",
		"2. no order is charged twice, and its charge equals its total: VIOLATED (1 violation)",
		"     order o1: charged 2 times: c1 (SUCCEEDED), c2 (SUCCEEDED)",
		"3. a CANCELLED order holds no charge and no stock: OK",
		"     product p1: on hand 1 + reserved 0 + sold 0 = 1, but 2 were loaded",
		"     note: a note",
		"6. the same idempotency key never makes two orders: NOT OBSERVABLE",
		"     note: not observable through the API",
		"FAIL: 2 violations",
	}
	for _, w := range want {
		if !strings.Contains(b.String(), w) {
			t.Errorf("report lacks %q:\n%s", w, b.String())
		}
	}
}

func TestReportWriteVerdict(t *testing.T) {
	tests := []struct {
		name string
		rep  Report
		want string
	}{
		{"clean", Report{Results: []Result{{Invariant: Settled}}}, "PASS\n"},
		{"in flight", Report{Results: []Result{{Invariant: Settled, InFlight: 3}}}, "PASS, with 3 in flight"},
		{"violated", Report{Results: []Result{{Invariant: Settled, Violations: []Violation{{Settled, "o1", "x"}}}}}, "FAIL: 1 violation\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := tt.rep.Write(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%s: report %q lacks %q", tt.name, b.String(), tt.want)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestReportWriteReturnsWriteError(t *testing.T) {
	if err := sampleReport().Write(failingWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write to a failing writer: %v, want the write error", err)
	}
}

func TestReportJSON(t *testing.T) {
	data, err := json.Marshal(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Orders  int `json:"orders"`
		Results []struct {
			Invariant  int         `json:"invariant"`
			Name       string      `json:"name"`
			Status     string      `json:"status"`
			Violations []Violation `json:"violations"`
			InFlight   int         `json:"in_flight"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
	if got.Orders != 3 || len(got.Results) != 6 {
		t.Fatalf("decoded %+v from %s", got, data)
	}
	r := got.Results
	checks := []struct {
		ok   bool
		what string
	}{
		{r[0].Status == "OK" && r[0].InFlight == 2 && r[0].Violations != nil, "result 1 OK with 2 in flight and an empty violation list"},
		{r[1].Status == "VIOLATED" && len(r[1].Violations) == 1 && r[1].Violations[0].Subject == "o1", "result 2 violated by o1"},
		{r[5].Status == "NOT OBSERVABLE" && r[5].Invariant == 6, "result 6 not observable"},
		{r[1].Name == ChargedOnce.String(), "results named"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("want %s; got %s", c.what, data)
		}
	}
}

func TestExitCode(t *testing.T) {
	violated := Report{Results: []Result{{Invariant: ChargedOnce, Violations: []Violation{{ChargedOnce, "o1", "x"}}}}}
	tests := []struct {
		name string
		rep  Report
		err  error
		want int
	}{
		{"every invariant holds", sampleReport().withoutViolations(), nil, ExitOK},
		{"in flight is not a violation", Report{Results: []Result{{Invariant: Settled, InFlight: 4}}}, nil, ExitOK},
		{"not observable is not a violation", Report{Results: []Result{checkOneOrderPerKey()}}, nil, ExitOK},
		{"a violation", violated, nil, ExitViolation},
		{"cannot check", Report{}, &ServiceError{Service: "payment", Err: errors.New("unavailable")}, ExitCannotCheck},
		{"an error wins over violations", violated, errors.New("boom"), ExitCannotCheck},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.rep, tt.err); got != tt.want {
			t.Errorf("%s: ExitCode = %d, want %d", tt.name, got, tt.want)
		}
	}
	if ExitOK != 0 || ExitViolation != 1 || ExitCannotCheck != 2 {
		t.Errorf("exit statuses %d/%d/%d, want 0/1/2", ExitOK, ExitViolation, ExitCannotCheck)
	}
}

// withoutViolations returns r with every violation removed.
func (r Report) withoutViolations() Report {
	out := r
	out.Results = nil
	for _, res := range r.Results {
		res.Violations = nil
		out.Results = append(out.Results, res)
	}
	return out
}

func TestExitErrorCarriesItsCode(t *testing.T) {
	inner := &ServiceError{Service: "orders", Err: errors.New("connection refused")}
	err := fmt.Errorf("bazaar verify: %w", &ExitError{Code: ExitCannotCheck, Err: inner})
	var coded interface{ ExitCode() int }
	if !errors.As(err, &coded) || coded.ExitCode() != ExitCannotCheck {
		t.Fatalf("%v: no ExitCode() of %d found", err, ExitCannotCheck)
	}
	var se *ServiceError
	if !errors.As(err, &se) || se.Service != "orders" {
		t.Errorf("%v: the ServiceError inside is lost", err)
	}
	if err.Error() != "bazaar verify: orders: connection refused" {
		t.Errorf("message %q", err.Error())
	}
}

func TestMissing(t *testing.T) {
	inst := func(id, service string) registry.Instance {
		return registry.Instance{ID: id, Service: service, GRPCAddr: "127.0.0.1:1"}
	}
	tests := []struct {
		name string
		snap registry.Snapshot
		want string
	}{
		{"empty registry", registry.Snapshot{}, "orders payment inventory shipping notifications"},
		{"some running", registry.Snapshot{Instances: []registry.Instance{
			inst("orders-1", "orders"), inst("catalog-1", "catalog"), inst("shipping-1", "shipping"), inst("shipping-2", "shipping"),
		}}, "payment inventory notifications"},
		{"all running", registry.Snapshot{Instances: []registry.Instance{
			inst("o", "orders"), inst("p", "payment"), inst("i", "inventory"), inst("s", "shipping"), inst("n", "notifications"),
		}}, ""},
	}
	for _, tt := range tests {
		if got := strings.Join(Missing(tt.snap), " "); got != tt.want {
			t.Errorf("%s: Missing = %q, want %q", tt.name, got, tt.want)
		}
	}
}
