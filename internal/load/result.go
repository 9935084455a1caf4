package load

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Result is the outcome of one run at one rate.
type Result struct {
	// Rate is the intended arrival rate, operations per second.
	Rate float64 `json:"rate"`
	// DurationSeconds is how long arrivals were scheduled for.
	DurationSeconds float64 `json:"duration_seconds"`
	// ElapsedSeconds is from the first intended start to the last answer
	// (at least DurationSeconds).
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// Workers is the size of the worker pool.
	Workers int `json:"workers"`
	// Achieved is operations completed per elapsed second.
	Achieved float64 `json:"achieved_rate"`
	// Late counts operations that started more than LateAfter after their
	// intended start because every worker was busy (their latency
	// includes the wait).
	Late int64 `json:"late"`
	// Operations holds one row per operation that ran, in mix order.
	Operations []Stats `json:"operations"`
	// Total sums every operation.
	Total Stats `json:"total"`
	// Groups has one row per Options.Groups entry, in order (present
	// even when none of its operations ran).
	Groups []Stats `json:"groups,omitempty"`
	// CPUSeconds is the CPU time the system under load used during the
	// run, and CPUPer1000 the same per 1,000 operations (when
	// Options.CPU was set).
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	CPUPer1000 float64 `json:"cpu_seconds_per_1000_ops,omitempty"`
	// Series has one point per second of intended start time.
	Series []Second `json:"series"`
}

// Stats is the count, errors and latency percentiles of one operation.
// Latencies are from the intended start, in milliseconds.
type Stats struct {
	Op          string   `json:"op"`
	Count       int64    `json:"count"`
	Errors      int64    `json:"errors"`
	P50Ms       float64  `json:"p50_ms"`
	P90Ms       float64  `json:"p90_ms"`
	P99Ms       float64  `json:"p99_ms"`
	P999Ms      float64  `json:"p999_ms"`
	MaxMs       float64  `json:"max_ms"`
	FirstErrors []string `json:"first_errors,omitempty"`
}

// Second is one second of the run's time series.
type Second struct {
	// T is the second, from the start of the run.
	T      int     `json:"t"`
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
}

// Group returns the row of the group named name, and whether there is one.
func (r *Result) Group(name string) (Stats, bool) {
	for _, g := range r.Groups {
		if g.Op == name {
			return g, true
		}
	}
	return Stats{}, false
}

// ErrorRate returns the fraction of operations that failed (0 when none ran).
func (r *Result) ErrorRate() float64 {
	if r.Total.Count == 0 {
		return 0
	}
	return float64(r.Total.Errors) / float64(r.Total.Count)
}

// WriteJSON writes r as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// ReadJSON reads a Result written by WriteJSON.
func ReadJSON(rd io.Reader) (*Result, error) {
	var r Result
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	return &r, nil
}

// WriteTable writes the per-operation table, then each operation's first
// error messages.
func (r *Result) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "rate %.0f/s for %.0fs: achieved %.1f/s, %d ops, %d errors, %d late\n",
		r.Rate, r.DurationSeconds, r.Achieved, r.Total.Count, r.Total.Errors, r.Late)
	if r.CPUSeconds > 0 {
		fmt.Fprintf(w, "cpu: %.2f core-seconds, %.3f per 1000 ops\n", r.CPUSeconds, r.CPUPer1000)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tcount\terrors\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\t")
	for _, s := range append(append([]Stats(nil), r.Operations...), r.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
			s.Op, s.Count, s.Errors, s.P50Ms, s.P90Ms, s.P99Ms, s.P999Ms, s.MaxMs)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	for _, s := range r.Operations {
		for _, m := range s.FirstErrors {
			fmt.Fprintf(w, "  %s error: %s\n", s.Op, m)
		}
	}
	return nil
}
