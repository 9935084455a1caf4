package verify

import (
	"encoding/json"
	"fmt"
	"io"
)

// Invariant numbers the invariants of the order flow (BLUEPRINT §6), in
// the order the blueprint lists them.
type Invariant int

// The invariants verify checks.
const (
	// Settled: every accepted order ends CONFIRMED or CANCELLED.
	Settled Invariant = iota + 1
	// ChargedOnce: no order is charged twice, and its charge is its total.
	ChargedOnce
	// CancelledHoldsNothing: a CANCELLED order holds no charge and no stock.
	CancelledHoldsNothing
	// StockBalanced: on hand + reserved + sold equals what was loaded, and
	// sold equals the units of COMMITTED reservations.
	StockBalanced
	// FulfilledOnce: every CONFIRMED order has exactly one shipment and
	// one confirmation e-mail.
	FulfilledOnce
	// OneOrderPerKey: the same idempotency key never makes two orders.
	OneOrderPerKey
)

// String is the invariant in words.
func (i Invariant) String() string {
	switch i {
	case Settled:
		return "every accepted order ends CONFIRMED or CANCELLED"
	case ChargedOnce:
		return "no order is charged twice, and its charge equals its total"
	case CancelledHoldsNothing:
		return "a CANCELLED order holds no charge and no stock"
	case StockBalanced:
		return "stock on hand + reserved + sold equals what was loaded; sold equals the COMMITTED reservations"
	case FulfilledOnce:
		return "every CONFIRMED order has exactly one shipment and one confirmation e-mail"
	case OneOrderPerKey:
		return "the same idempotency key never makes two orders"
	}
	return fmt.Sprintf("invariant %d", int(i))
}

// subject names what the invariant's violations are about.
func (i Invariant) subject() string {
	if i == StockBalanced {
		return "product"
	}
	return "order"
}

// Violation is one breach of an invariant.
type Violation struct {
	Invariant Invariant `json:"invariant"`
	// Subject is the order id, or the product id for StockBalanced.
	Subject string `json:"subject"`
	// Detail says what is wrong, in words.
	Detail string `json:"detail"`
}

// Result is the outcome of checking one invariant.
type Result struct {
	Invariant  Invariant
	Violations []Violation
	// InFlight counts subjects (orders, products) that may still change
	// and were not judged: younger than the grace period, or changing
	// while verify read them.
	InFlight int
	// NotObservable is set when the services' APIs cannot show whether
	// the invariant holds; Note says why and what guards it instead.
	NotObservable bool
	// Note is a remark on how the invariant was checked.
	Note string
}

// Status is "OK", "VIOLATED" or "NOT OBSERVABLE".
func (r Result) Status() string {
	switch {
	case r.NotObservable:
		return "NOT OBSERVABLE"
	case len(r.Violations) > 0:
		return "VIOLATED"
	}
	return "OK"
}

// add records a violation of r's invariant.
func (r *Result) add(subject, format string, args ...any) {
	r.Violations = append(r.Violations, Violation{Invariant: r.Invariant, Subject: subject, Detail: fmt.Sprintf(format, args...)})
}

// MarshalJSON writes the result with its name and status.
func (r Result) MarshalJSON() ([]byte, error) {
	v := struct {
		Invariant  Invariant   `json:"invariant"`
		Name       string      `json:"name"`
		Status     string      `json:"status"`
		Violations []Violation `json:"violations"`
		InFlight   int         `json:"in_flight"`
		Note       string      `json:"note,omitempty"`
	}{r.Invariant, r.Invariant.String(), r.Status(), r.Violations, r.InFlight, r.Note}
	if v.Violations == nil {
		v.Violations = []Violation{}
	}
	return json.Marshal(v)
}

// Report is the outcome of a verify run: what was read and one Result per
// invariant, in order.
type Report struct {
	Orders   int      `json:"orders"`
	Charges  int      `json:"charges"`
	Products int      `json:"products"`
	Results  []Result `json:"results"`
}

// Violations returns every violation of every invariant.
func (r Report) Violations() []Violation {
	var out []Violation
	for _, res := range r.Results {
		out = append(out, res.Violations...)
	}
	return out
}

// InFlight returns how many subjects were not judged yet, over all
// invariants.
func (r Report) InFlight() int {
	n := 0
	for _, res := range r.Results {
		n += res.InFlight
	}
	return n
}

// Write prints a readable summary: each invariant with OK or its
// violations, then a verdict line.
func (r Report) Write(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("bazaar verify: %d orders, %d charges, %d products\n", r.Orders, r.Charges, r.Products)
	for _, res := range r.Results {
		ew.printf("%d. %s: %s", int(res.Invariant), res.Invariant, res.Status())
		if n := len(res.Violations); n > 0 {
			ew.printf(" (%d %s)", n, plural(n, "violation", "violations"))
		}
		if res.InFlight > 0 {
			ew.printf(", %d in flight", res.InFlight)
		}
		ew.printf("\n")
		for _, v := range res.Violations {
			ew.printf("     %s %s: %s\n", res.Invariant.subject(), v.Subject, v.Detail)
		}
		if res.Note != "" {
			ew.printf("     note: %s\n", res.Note)
		}
	}
	n, inFlight := len(r.Violations()), r.InFlight()
	switch {
	case n > 0:
		ew.printf("FAIL: %d %s\n", n, plural(n, "violation", "violations"))
	case inFlight > 0:
		ew.printf("PASS, with %d in flight (not judged yet: run with -wait to let them settle)\n", inFlight)
	default:
		ew.printf("PASS\n")
	}
	return ew.err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// errWriter keeps the first write error so Write can print without
// checking each line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// Exit statuses of `bazaar verify`.
const (
	// ExitOK: every invariant holds (some subjects may be in flight).
	ExitOK = 0
	// ExitViolation: at least one invariant is violated.
	ExitViolation = 1
	// ExitCannotCheck: verify could not read what it needs (a service is
	// down or answered with an error).
	ExitCannotCheck = 2
)

// ExitCode maps the outcome of Run to the exit status of `bazaar verify`:
// an error means the invariants could not be checked.
func ExitCode(r Report, err error) int {
	switch {
	case err != nil:
		return ExitCannotCheck
	case len(r.Violations()) > 0:
		return ExitViolation
	}
	return ExitOK
}

// ExitError is an error that asks for a specific exit status.
type ExitError struct {
	Code int
	Err  error
}

// Error is the message of the wrapped error.
func (e *ExitError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the exit status the error asks for.
func (e *ExitError) ExitCode() int { return e.Code }

// ServiceError is a failure to read from one service: verify cannot check
// the invariants while it lasts.
type ServiceError struct {
	// Service is the name of the service, "orders".
	Service string
	Err     error
}

// Error names the service first.
func (e *ServiceError) Error() string { return e.Service + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ServiceError) Unwrap() error { return e.Err }
