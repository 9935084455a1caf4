package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/bazaar-shop/bazaar/internal/load"
)

// WriteText prints the outcome: each phase's journeys by group, then the
// checks.
func (o *Outcome) WriteText(w io.Writer) error {
	verdict := "PASS"
	if !o.Passed() {
		verdict = "FAIL"
	}
	hit := ""
	if o.Instance != "" {
		hit = " (instance " + o.Instance + "; the others kept running)"
	}
	fmt.Fprintf(w, "experiment %s%s: %s\n", o.Experiment, hit, verdict)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tjourneys\tops\terrors\tsuccess\tp50 ms\tp99 ms\tmax ms\t")
	for _, p := range []struct {
		name string
		r    *load.Result
	}{{"baseline", o.Baseline}, {"fault", o.During}, {"recovery", o.After}} {
		for _, s := range append(append([]load.Stats(nil), p.r.Groups...), p.r.Total) {
			if s.Count == 0 {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f%%\t%.1f\t%.1f\t%.1f\t\n",
				p.name, s.Op, s.Count, s.Errors, 100*success(s), s.P50Ms, s.P99Ms, s.MaxMs)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write outcome: %w", err)
	}
	for _, s := range o.During.Operations {
		for _, m := range s.FirstErrors {
			fmt.Fprintf(w, "  during the fault, %s: %s\n", s.Op, m)
		}
	}
	for _, c := range o.Checks {
		mark := "ok  "
		if !c.Pass {
			mark = "FAIL"
		}
		kind := ""
		if c.Timing {
			kind = " [latency]"
		}
		fmt.Fprintf(w, "%s %s%s: %s (want %s)\n", mark, c.Name, kind, c.Got, c.Want)
	}
	for _, v := range o.Violations {
		fmt.Fprintf(w, "  violation: %s\n", v)
	}
	return nil
}

// WriteJSON writes the outcome as indented JSON.
func (o *Outcome) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(o); err != nil {
		return fmt.Errorf("write outcome: %w", err)
	}
	return nil
}
