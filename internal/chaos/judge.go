package chaos

import (
	"fmt"
	"time"

	"github.com/bazaar-shop/bazaar/internal/load"
	"github.com/bazaar-shop/bazaar/platform/client"
)

// judge turns an outcome's measurements into its checks.
func judge(out *Outcome, e Experiment, o Options) []Check {
	var checks []Check
	if e.Kind == Overload {
		checks = append(checks, judgeOverload(out)...)
	} else {
		checks = append(checks, judgeGroups(out)...)
	}
	if r := out.Retries; r != nil {
		allowed := client.RetryShare*r.Calls + client.RetryBurst
		checks = append(checks, Check{
			Name: "retries stay inside the budget",
			Want: fmt.Sprintf("extra attempts <= %.0f%% of calls + %d (the budget's burst): <= %.0f", 100*client.RetryShare, client.RetryBurst, allowed),
			Got: fmt.Sprintf("%.0f calls, %.0f attempts: %.0f extra, %.3f attempts per call (%.3f before the fault)",
				r.Calls, r.Attempts, r.Attempts-r.Calls, r.Amplification(), (&Retries{Calls: r.BaselineCalls, Attempts: r.BaselineAttempts}).Amplification()),
			Pass: r.Calls > 0 && r.Attempts-r.Calls <= allowed,
		})
	}
	within := min(MaxRecovery, o.Recover)
	checks = append(checks,
		Check{
			Name: "answers without errors again after the fault",
			Want: fmt.Sprintf("within %v (no error for %d s in a row)", within, healthyRun),
			Got:  seconds(out.ErrorFreeSeconds),
			Pass: out.ErrorFreeSeconds >= 0 && time.Duration(out.ErrorFreeSeconds)*time.Second <= within,
		},
		Check{
			Name:   "back to baseline latency after the fault",
			Want:   fmt.Sprintf("within %v (no error and p99 <= %dx baseline for %d s in a row)", within, MaxSlowdown, healthyRun),
			Got:    seconds(out.RecoverySeconds),
			Pass:   out.RecoverySeconds >= 0 && time.Duration(out.RecoverySeconds)*time.Second <= within,
			Timing: true,
		},
		Check{
			Name: "no order lost or charged twice",
			Want: "bazaar verify: no violation",
			Got:  fmt.Sprintf("%d violations", len(out.Violations)),
			Pass: len(out.Violations) == 0,
		})
	return checks
}

// judgeGroups checks each group of journeys against what it must keep.
func judgeGroups(out *Outcome) []Check {
	var checks []Check
	if g, ok := group(out.During, groupIndependent); ok {
		base, _ := group(out.Baseline, groupIndependent)
		limit := slowdownLimit(base.P99Ms)
		checks = append(checks,
			successCheck("journeys off the fault's path keep succeeding", g),
			Check{
				Name:   "journeys off the fault's path keep their latency",
				Want:   fmt.Sprintf("p99 <= %.1f ms (%dx baseline %.1f ms, floor %v)", limit, MaxSlowdown, base.P99Ms, LatencyFloor),
				Got:    fmt.Sprintf("p99 %.1f ms", g.P99Ms),
				Pass:   g.P99Ms <= limit,
				Timing: true,
			})
	}
	if g, ok := group(out.During, groupDegraded); ok {
		checks = append(checks, successCheck("journeys that can do without it degrade, not fail", g))
	}
	if g, ok := group(out.During, groupDependent); ok {
		checks = append(checks, Check{
			Name:   "journeys that need it fail fast or complete",
			Want:   fmt.Sprintf("p99 <= %v", FailFast),
			Got:    fmt.Sprintf("p99 %.1f ms, %d of %d failed", g.P99Ms, g.Errors, g.Count),
			Pass:   g.P99Ms <= float64(FailFast.Milliseconds()),
			Timing: true,
		})
	}
	return checks
}

// judgeOverload checks that overload sheds browsing before checkout and
// that what is refused is refused fast.
func judgeOverload(out *Outcome) []Check {
	crit, _ := group(out.During, groupCritical)
	browse, _ := group(out.During, groupBrowsing)
	return []Check{
		{
			Name: "checkout is shed last",
			Want: "checkout success >= browsing success",
			Got:  fmt.Sprintf("checkout %.2f%%, browsing %.2f%%", 100*success(crit), 100*success(browse)),
			Pass: crit.Count > 0 && success(crit) >= success(browse),
		},
		{
			Name:   "the shop keeps answering",
			Want:   fmt.Sprintf("p99 <= %v", FailFast),
			Got:    fmt.Sprintf("p99 %.1f ms", out.During.Total.P99Ms),
			Pass:   out.During.Total.Count > 0 && out.During.Total.P99Ms <= float64(FailFast.Milliseconds()),
			Timing: true,
		},
	}
}

func successCheck(name string, g load.Stats) Check {
	return Check{
		Name: name,
		Want: fmt.Sprintf(">= %.1f%% success", 100*MinSuccess),
		Got:  fmt.Sprintf("%.2f%% (%d of %d failed)", 100*success(g), g.Errors, g.Count),
		Pass: success(g) >= MinSuccess,
	}
}

// group returns the row of a group that had operations.
func group(r *load.Result, name string) (load.Stats, bool) {
	g, ok := r.Group(name)
	return g, ok && g.Count > 0
}

func success(s load.Stats) float64 {
	if s.Count == 0 {
		return 1
	}
	return 1 - float64(s.Errors)/float64(s.Count)
}

// slowdownLimit is the highest p99 (ms) allowed against a baseline p99.
func slowdownLimit(baseMs float64) float64 {
	return MaxSlowdown * max(baseMs, float64(LatencyFloor.Milliseconds()))
}

func seconds(n int) string {
	if n < 0 {
		return "not by the end of the run"
	}
	return fmt.Sprintf("%d s", n)
}

// recovery is how many seconds after the fault ended the workload was
// healthy again for healthyRun seconds in a row (or to the end of the
// run); -1 if never. A killed process's fault ends at once: what follows
// is its recovery.
func recovery(out *Outcome, e Experiment, healthy func(load.Second) bool) int {
	series := append(append([]load.Second(nil), out.During.Series...), out.After.Series...)
	end := len(out.During.Series)
	if e.Kind == Kill {
		end = 0
	}
	for t := end; t < len(series); t++ {
		n := 0
		for n < healthyRun && t+n < len(series) && healthy(series[t+n]) {
			n++
		}
		if n == healthyRun || (n > 0 && t+n == len(series)) {
			return t - end
		}
	}
	return -1
}
