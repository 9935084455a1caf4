package load

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Sweep thresholds: the highest rate a sweep reports as sustained is the
// highest whose p99 is at most SweepMaxP99 and whose errors are below
// SweepMaxErrorRate.
const (
	SweepMaxP99       = 50 * time.Millisecond
	SweepMaxErrorRate = 0.001
)

// SweepRow summarises the run at one rate of a sweep.
type SweepRow struct {
	Rate      float64 `json:"rate"`
	Achieved  float64 `json:"achieved_rate"`
	ErrorsPct float64 `json:"errors_pct"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	// CPUPer1000 is the CPU-seconds per 1,000 operations (0: not measured).
	CPUPer1000 float64 `json:"cpu_seconds_per_1000_ops,omitempty"`
	// P99ExceptSignInMs is the p99 of every operation but sign-in, when
	// the run recorded the ExceptSignIn group (0: not recorded).
	P99ExceptSignInMs float64 `json:"p99_except_sign_in_ms,omitempty"`
}

// Sustained reports whether the row meets the sweep's thresholds.
func (r SweepRow) Sustained() bool { return r.sustained(r.P99Ms) }

// SustainedExceptSignIn reports whether the row meets the thresholds
// with the p99 of every operation but sign-in (false when not recorded).
func (r SweepRow) SustainedExceptSignIn() bool {
	return r.P99ExceptSignInMs > 0 && r.sustained(r.P99ExceptSignInMs)
}

func (r SweepRow) sustained(p99Ms float64) bool {
	return p99Ms <= float64(SweepMaxP99)/float64(time.Millisecond) && r.ErrorsPct/100 < SweepMaxErrorRate
}

// ExceptSignInGroup names the group of every operation but sign-in.
const ExceptSignInGroup = "except sign-in"

// ExceptSignIn is the group of every operation but sign-in. Sign-in
// hashes a password with argon2id, tens of milliseconds of CPU on
// purpose, so the shop's own latency is also reported without it.
func ExceptSignIn() Group {
	g := Group{Name: ExceptSignInGroup}
	for op := range numOps {
		if op != OpSignIn {
			g.Ops = append(g.Ops, op)
		}
	}
	return g
}

// RowOf summarises a run as a sweep row.
func RowOf(r *Result) SweepRow {
	row := SweepRow{
		Rate: r.Rate, Achieved: r.Achieved, ErrorsPct: 100 * r.ErrorRate(),
		P50Ms: r.Total.P50Ms, P99Ms: r.Total.P99Ms, CPUPer1000: r.CPUPer1000,
	}
	if g, ok := r.Group(ExceptSignInGroup); ok {
		row.P99ExceptSignInMs = g.P99Ms
	}
	return row
}

// Sweep runs d at each rate in turn for o.Duration and returns one row
// per rate, stopping early when ctx is done.
func Sweep(ctx context.Context, d Doer, mix *Mix, o Options, rates []float64) ([]SweepRow, error) {
	var rows []SweepRow
	for _, rate := range rates {
		if ctx.Err() != nil {
			break
		}
		o.Rate = rate
		r, err := Run(ctx, d, mix, o)
		if err != nil {
			return rows, fmt.Errorf("sweep at %v/s: %w", rate, err)
		}
		rows = append(rows, RowOf(r))
	}
	return rows, nil
}

// BestRate returns the highest rate of rows meeting the thresholds, and
// false when none does.
func BestRate(rows []SweepRow) (float64, bool) { return bestRate(rows, SweepRow.Sustained) }

// BestRateExceptSignIn is BestRate judged on the p99 of every operation
// but sign-in.
func BestRateExceptSignIn(rows []SweepRow) (float64, bool) {
	return bestRate(rows, SweepRow.SustainedExceptSignIn)
}

func bestRate(rows []SweepRow, sustained func(SweepRow) bool) (float64, bool) {
	best, ok := 0.0, false
	for _, r := range rows {
		if sustained(r) && (!ok || r.Rate > best) {
			best, ok = r.Rate, true
		}
	}
	return best, ok
}

// WriteSweep writes one line per rate, then the highest sustained rate
// (and, when recorded, the same judged without sign-in).
func WriteSweep(w io.Writer, rows []SweepRow) error {
	exceptSignIn := false
	for _, r := range rows {
		exceptSignIn = exceptSignIn || r.P99ExceptSignInMs > 0
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "rate/s\tachieved/s\terrors %\tp50 ms\tp99 ms\t"
	if exceptSignIn {
		head += "p99 ms except sign-in\t"
	}
	fmt.Fprintln(tw, head+"cpu s/1000 ops\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%.0f\t%.1f\t%.3f\t%.2f\t%.2f\t", r.Rate, r.Achieved, r.ErrorsPct, r.P50Ms, r.P99Ms)
		if exceptSignIn {
			fmt.Fprintf(tw, "%.2f\t", r.P99ExceptSignInMs)
		}
		cpu := "-"
		if r.CPUPer1000 > 0 {
			cpu = fmt.Sprintf("%.3f", r.CPUPer1000)
		}
		fmt.Fprintf(tw, "%s\t\n", cpu)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	if err := writeBest(w, "p99", rows, BestRate); err != nil || !exceptSignIn {
		return err
	}
	return writeBest(w, "p99 except sign-in", rows, BestRateExceptSignIn)
}

// writeBest writes the highest rate best finds in rows, judged on what.
func writeBest(w io.Writer, what string, rows []SweepRow, best func([]SweepRow) (float64, bool)) error {
	var err error
	if rate, ok := best(rows); ok {
		_, err = fmt.Fprintf(w, "highest rate with %s <= %v and errors < %.1f%%: %.0f/s\n", what, SweepMaxP99, 100*SweepMaxErrorRate, rate)
	} else {
		_, err = fmt.Fprintf(w, "no rate had %s <= %v and errors < %.1f%%\n", what, SweepMaxP99, 100*SweepMaxErrorRate)
	}
	if err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	return nil
}
