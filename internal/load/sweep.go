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
}

// Sustained reports whether the row meets the sweep's thresholds.
func (r SweepRow) Sustained() bool {
	return r.P99Ms <= float64(SweepMaxP99)/float64(time.Millisecond) && r.ErrorsPct/100 < SweepMaxErrorRate
}

// RowOf summarises a run as a sweep row.
func RowOf(r *Result) SweepRow {
	return SweepRow{
		Rate: r.Rate, Achieved: r.Achieved, ErrorsPct: 100 * r.ErrorRate(),
		P50Ms: r.Total.P50Ms, P99Ms: r.Total.P99Ms, CPUPer1000: r.CPUPer1000,
	}
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
func BestRate(rows []SweepRow) (float64, bool) {
	best, ok := 0.0, false
	for _, r := range rows {
		if r.Sustained() && (!ok || r.Rate > best) {
			best, ok = r.Rate, true
		}
	}
	return best, ok
}

// WriteSweep writes one line per rate, then the highest sustained rate.
func WriteSweep(w io.Writer, rows []SweepRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rate/s\tachieved/s\terrors %\tp50 ms\tp99 ms\tcpu s/1000 ops\t")
	for _, r := range rows {
		cpu := "-"
		if r.CPUPer1000 > 0 {
			cpu = fmt.Sprintf("%.3f", r.CPUPer1000)
		}
		fmt.Fprintf(tw, "%.0f\t%.1f\t%.3f\t%.2f\t%.2f\t%s\t\n", r.Rate, r.Achieved, r.ErrorsPct, r.P50Ms, r.P99Ms, cpu)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	if best, ok := BestRate(rows); ok {
		_, err := fmt.Fprintf(w, "highest rate with p99 <= %v and errors < %.1f%%: %.0f/s\n", SweepMaxP99, 100*SweepMaxErrorRate, best)
		return err
	}
	_, err := fmt.Fprintf(w, "no rate had p99 <= %v and errors < %.1f%%\n", SweepMaxP99, 100*SweepMaxErrorRate)
	return err
}
