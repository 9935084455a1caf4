package registry

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// MaxFaultLatency bounds Fault.Latency: beyond it a rule is a blackhole in
// all but name.
const MaxFaultLatency = time.Minute

// CallerHeader is the gRPC metadata key in which a caller names its own
// service, so that the callee finds the rules meant for the pair.
const CallerHeader = "bazaar-caller"

// Fault is a rule that degrades the calls one service makes to another,
// with no proxy in the path. The supervisor writes the rules into the
// registry file. The network half (latency, blackhole) is applied by the
// caller's own client (platform/client) before a call leaves the process;
// the error rate by the callee's server (platform/server), so that the
// caller's retries and ejection meet real error answers.
type Fault struct {
	// From is the calling service; To the called one.
	From, To string
	// Latency is added before every call ("latency_ms" in JSON).
	Latency time.Duration
	// ErrorRate is the share of calls, 0..1, that the called service
	// answers with UNAVAILABLE before doing any work.
	ErrorRate float64
	// Blackhole makes every call wait for its deadline, unanswered.
	Blackhole bool
}

// faultJSON is the file form of a Fault.
type faultJSON struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	LatencyMS int64   `json:"latency_ms,omitempty"`
	ErrorRate float64 `json:"error_rate,omitempty"`
	Blackhole bool    `json:"blackhole,omitempty"`
}

// MarshalJSON writes the latency in whole milliseconds.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultJSON{
		From: f.From, To: f.To, LatencyMS: f.Latency.Milliseconds(),
		ErrorRate: f.ErrorRate, Blackhole: f.Blackhole,
	})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (f *Fault) UnmarshalJSON(data []byte) error {
	var j faultJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*f = Fault{
		From: j.From, To: j.To, Latency: time.Duration(j.LatencyMS) * time.Millisecond,
		ErrorRate: j.ErrorRate, Blackhole: j.Blackhole,
	}
	return nil
}

// String describes the rule: "cart->payment latency 200ms errors 30%".
func (f Fault) String() string {
	s := f.From + "->" + f.To
	if f.Blackhole {
		s += " blackhole"
	}
	if f.Latency > 0 {
		s += " latency " + f.Latency.String()
	}
	if f.ErrorRate > 0 {
		s += fmt.Sprintf(" errors %.3g%%", f.ErrorRate*100)
	}
	return s
}

// Validate reports a rule without both services, with an effect out of
// range, or with no effect at all.
func (f Fault) Validate() error {
	switch {
	case f.From == "" || f.To == "":
		return fmt.Errorf("fault %q->%q: both services are required", f.From, f.To)
	case f.Latency < 0 || f.Latency > MaxFaultLatency:
		return fmt.Errorf("fault %s->%s: latency %v is outside 0..%v", f.From, f.To, f.Latency, MaxFaultLatency)
	case math.IsNaN(f.ErrorRate) || f.ErrorRate < 0 || f.ErrorRate > 1:
		return fmt.Errorf("fault %s->%s: error rate %v is outside 0..1", f.From, f.To, f.ErrorRate)
	case f.Latency == 0 && f.ErrorRate == 0 && !f.Blackhole:
		return fmt.Errorf("fault %s->%s: no effect (set a latency, an error rate or blackhole)", f.From, f.To)
	}
	return nil
}

// Fault returns the rule for calls from service from to service to.
func (s Snapshot) Fault(from, to string) (Fault, bool) {
	for _, f := range s.Faults {
		if f.From == from && f.To == to {
			return f, true
		}
	}
	return Fault{}, false
}

// validateFaults checks every rule and that no pair of services has two.
func validateFaults(faults []Fault) error {
	seen := make(map[[2]string]bool, len(faults))
	for _, f := range faults {
		if err := f.Validate(); err != nil {
			return err
		}
		key := [2]string{f.From, f.To}
		if seen[key] {
			return fmt.Errorf("fault %s->%s: duplicate rule", f.From, f.To)
		}
		seen[key] = true
	}
	return nil
}
