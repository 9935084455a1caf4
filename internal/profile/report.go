package profile

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"
)

// topKinds is how many kinds the report names per process.
const topKinds = 3

// WriteReport writes the CPU time of every profiled process together by
// kind of work, then each process's total and its largest kinds, then
// the processes that could not be profiled.
func WriteReport(w io.Writer, results []Result) error {
	all := Breakdown{}
	type proc struct {
		name string
		b    Breakdown
	}
	var procs []proc
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		b, err := Classify(r.Profile)
		if err != nil {
			return fmt.Errorf("report %s: %w", r.Target.Name, err)
		}
		all.Add(b)
		procs = append(procs, proc{r.Target.Name, b})
	}
	total := all.Total()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind of work\tcpu ms\tshare\t")
	for _, k := range Kinds() {
		if all[k] > 0 {
			fmt.Fprintf(tw, "%s\t%d\t%s\t\n", k, all[k].Milliseconds(), share(all[k], total))
		}
	}
	fmt.Fprintf(tw, "all processes\t%d\t%s\t\n", total.Milliseconds(), share(total, total))
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	sort.Slice(procs, func(i, j int) bool { return procs[i].b.Total() > procs[j].b.Total() })
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "process\tcpu ms\tlargest kinds")
	for _, p := range procs {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", p.name, p.b.Total().Milliseconds(), largest(p.b))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(w, "not profiled: %v\n", r.Err)
		}
	}
	return nil
}

// largest names b's largest kinds with their shares.
func largest(b Breakdown) string {
	kinds := Kinds()
	sort.SliceStable(kinds, func(i, j int) bool { return b[kinds[i]] > b[kinds[j]] })
	out := ""
	for _, k := range kinds[:topKinds] {
		if b[k] == 0 {
			break
		}
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%s %s", k, share(b[k], b.Total()))
	}
	return out
}

func share(d, total time.Duration) string {
	if total <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(d)/float64(total))
}
