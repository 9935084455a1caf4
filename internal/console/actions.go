package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// maxReplicas bounds Scale: this is one machine.
const maxReplicas = 10

// validName reports whether s looks like a service name or an instance
// id: a lower-case letter, then up to 62 lower-case letters, digits and
// dashes.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// Action is one kill, restart or scale, run in the background.
type Action struct {
	ID int64 `json:"id"`
	// Op is "kill", "restart" or "scale".
	Op     string `json:"op"`
	Target string `json:"target"`
	Detail string `json:"detail,omitempty"`
	// State is "running", "done" or "failed" (Error says why).
	State    string    `json:"state"`
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
}

// actionLog keeps the last actions.
type actionLog struct {
	mu   sync.Mutex
	next int64
	list []Action // oldest first
	max  int
}

func newActionLog(max int) *actionLog { return &actionLog{max: max} }

func (l *actionLog) start(op, target, detail string, now time.Time) Action {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	a := Action{ID: l.next, Op: op, Target: target, Detail: detail, State: "running", Started: now}
	l.list = append(l.list, a)
	if len(l.list) > l.max {
		l.list = slices.Clone(l.list[len(l.list)-l.max:])
	}
	return a
}

func (l *actionLog) finish(id int64, err error, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.list {
		if l.list[i].ID != id {
			continue
		}
		l.list[i].State, l.list[i].Finished = "done", now
		if err != nil {
			l.list[i].State, l.list[i].Error = "failed", err.Error()
		}
	}
}

// recent returns the actions, newest first.
func (l *actionLog) recent() []Action {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Action, len(l.list))
	copy(out, l.list)
	slices.Reverse(out)
	return out
}

// run starts fn in the background as a new action and returns it.
func (c *Console) run(op, target, detail string, fn func(context.Context) error) Action {
	a := c.actions.start(op, target, detail, c.cfg.Now())
	c.cfg.Logger.Info("console action", "op", op, "target", target, "detail", detail)
	go func() {
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.ActionTimeout)
		defer cancel()
		err := fn(ctx)
		if err != nil {
			c.cfg.Logger.Warn("console action failed", "op", op, "target", target, "err", err)
		}
		c.actions.finish(a.ID, err, c.cfg.Now())
	}()
	return a
}

// handleKill kills one instance: POST /api/instances/{id}/kill.
func (c *Console) handleKill(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validName(id) {
		writeError(w, http.StatusBadRequest, "invalid_argument", fmt.Sprintf("%q is not an instance id", id))
		return
	}
	if !slices.ContainsFunc(c.cfg.Operator.Instances(), func(in InstanceInfo) bool { return in.ID == id }) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no running instance %s", id))
		return
	}
	a := c.run("kill", id, "", func(context.Context) error { return c.cfg.Operator.Kill(id) })
	writeJSON(w, http.StatusAccepted, map[string]any{"action": a})
}

// handleRestart restarts a service's instances: POST
// /api/services/{name}/restart.
func (c *Console) handleRestart(w http.ResponseWriter, r *http.Request) {
	name, ok := c.serviceParam(w, r)
	if !ok {
		return
	}
	a := c.run("restart", name, "", func(ctx context.Context) error { return c.cfg.Operator.Restart(ctx, name) })
	writeJSON(w, http.StatusAccepted, map[string]any{"action": a})
}

// scaleRequest is the body of a scale.
type scaleRequest struct {
	Replicas *int `json:"replicas"`
}

// handleScale sets a service's instance count: POST
// /api/services/{name}/scale {"replicas": n}.
func (c *Console) handleScale(w http.ResponseWriter, r *http.Request) {
	name, ok := c.serviceParam(w, r)
	if !ok {
		return
	}
	var req scaleRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Replicas == nil || *req.Replicas < 0 || *req.Replicas > maxReplicas {
		writeError(w, http.StatusBadRequest, "invalid_argument", fmt.Sprintf("replicas must be a number in 0..%d", maxReplicas))
		return
	}
	n := *req.Replicas
	a := c.run("scale", name, fmt.Sprintf("to %d", n), func(ctx context.Context) error { return c.cfg.Operator.Scale(ctx, name, n) })
	writeJSON(w, http.StatusAccepted, map[string]any{"action": a})
}

// serviceParam reads the {name} of the path: a service the console knows.
func (c *Console) serviceParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if !validName(name) {
		writeError(w, http.StatusBadRequest, "invalid_argument", fmt.Sprintf("%q is not a service name", name))
		return "", false
	}
	c.instances() // refresh the known services
	c.mu.Lock()
	known := c.known[name]
	c.mu.Unlock()
	if !known {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no service %s", name))
		return "", false
	}
	return name, true
}

// handleActions lists the recent actions: GET /api/actions.
func (c *Console) handleActions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"actions": c.actions.recent()})
}

// faultJSON is a Fault on the wire.
type faultJSON struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	LatencyMS float64 `json:"latency_ms"`
	ErrorRate float64 `json:"error_rate"`
	Blackhole bool    `json:"blackhole"`
}

func toFaultJSON(f Fault) faultJSON {
	return faultJSON{From: f.From, To: f.To, LatencyMS: ms(f.Latency), ErrorRate: f.ErrorRate, Blackhole: f.Blackhole}
}

// fault validates a fault from the wire.
func (j faultJSON) fault() (Fault, error) {
	f := Fault{From: j.From, To: j.To, Latency: time.Duration(j.LatencyMS * float64(time.Millisecond)), ErrorRate: j.ErrorRate, Blackhole: j.Blackhole}
	switch {
	case !validName(f.From) || !validName(f.To):
		return f, errors.New("from and to must be service names")
	case j.LatencyMS < 0 || j.LatencyMS > 60000:
		return f, errors.New("latency_ms must be in 0..60000")
	case f.ErrorRate < 0 || f.ErrorRate > 1:
		return f, errors.New("error_rate must be in 0..1")
	case f.Latency == 0 && f.ErrorRate == 0 && !f.Blackhole:
		return f, errors.New("a fault needs latency, an error rate or a blackhole")
	}
	return f, nil
}

// handleFaults lists the fault rules: GET /api/faults.
func (c *Console) handleFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.faultsView())
}

func (c *Console) faultsView() map[string]any {
	list := []faultJSON{}
	for _, f := range c.cfg.Operator.Faults() {
		list = append(list, toFaultJSON(f))
	}
	return map[string]any{"faults": list}
}

// handleSetFault adds a fault rule: POST /api/faults.
func (c *Console) handleSetFault(w http.ResponseWriter, r *http.Request) {
	var req faultJSON
	if !readJSON(w, r, &req) {
		return
	}
	f, err := req.fault()
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_argument", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := c.cfg.Operator.SetFault(ctx, f); err != nil {
		writeError(w, http.StatusBadGateway, "operation_failed", err.Error())
		return
	}
	c.cfg.Logger.Info("console fault set", "from", f.From, "to", f.To, "latency", f.Latency, "error_rate", f.ErrorRate, "blackhole", f.Blackhole)
	writeJSON(w, http.StatusOK, c.faultsView())
}

// handleClearFaults removes every fault rule: DELETE /api/faults.
func (c *Console) handleClearFaults(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := c.cfg.Operator.ClearFaults(ctx); err != nil {
		writeError(w, http.StatusBadGateway, "operation_failed", err.Error())
		return
	}
	c.cfg.Logger.Info("console faults cleared")
	writeJSON(w, http.StatusOK, c.faultsView())
}
