package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/internal/observe"
)

// maxBodyBytes limits request bodies of the JSON API.
const maxBodyBytes = 64 << 10

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers {"error":{"code","message"}} with status.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// readJSON decodes the body into v, answering 400 when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_argument", "bad JSON body: "+err.Error())
		return false
	}
	return true
}

// queryInt reads an integer query parameter in lo..hi, def when absent.
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be a number in %d..%d", name, lo, hi)
	}
	return n, nil
}

// handleOverview is GET /api/overview: services, instances, signals.
func (c *Console) handleOverview(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.overview())
}

// topoNode is a topology node with the health of its instances.
type topoNode struct {
	observe.Node
	Health string `json:"health"`
	Ready  int    `json:"ready"`
	Total  int    `json:"total"`
}

type topoView struct {
	Nodes []topoNode     `json:"nodes"`
	Edges []observe.Edge `json:"edges"`
}

func (c *Console) topology() topoView {
	topo := c.cfg.Metrics.Topology()
	ready, total := map[string]int{}, map[string]int{}
	for _, in := range c.instances() {
		total[in.Service]++
		if in.Ready {
			ready[in.Service]++
		}
	}
	v := topoView{Nodes: []topoNode{}, Edges: topo.Edges}
	if v.Edges == nil {
		v.Edges = []observe.Edge{}
	}
	for _, n := range topo.Nodes {
		h := health(ready[n.Name], total[n.Name])
		if n.Kind == "edge" {
			h = "ok"
		}
		v.Nodes = append(v.Nodes, topoNode{Node: n, Health: h, Ready: ready[n.Name], Total: total[n.Name]})
	}
	return v
}

// handleTopology is GET /api/topology.
func (c *Console) handleTopology(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.topology())
}

// handleSignals is GET /api/signals?minutes=N: every service's series.
func (c *Console) handleSignals(w http.ResponseWriter, r *http.Request) {
	minutes, err := queryInt(r, "minutes", 10, 1, 60)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_argument", err.Error())
		return
	}
	since := c.cfg.Now().Add(-time.Duration(minutes) * time.Minute)
	type serviceSeries struct {
		Name     string        `json:"name"`
		Measured bool          `json:"measured"`
		Signals  observe.Point `json:"signals"`
		Series   series        `json:"series"`
	}
	out := []serviceSeries{}
	for _, v := range c.services(false) {
		if v.Kind == "bus" {
			continue
		}
		out = append(out, serviceSeries{Name: v.Name, Measured: v.Measured, Signals: v.Signals, Series: toSeries(c.cfg.Metrics.Series(v.Name, since))})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"every_ms": c.cfg.Metrics.Every().Milliseconds(), "since": since, "now": c.cfg.Now(), "services": out,
	})
}

// traceQuery reads the list parameters of /traces and /api/traces.
type traceQuery struct {
	Sort    string // "recent" or "slowest"
	Service string
	Errors  bool
	Limit   int
}

func parseTraceQuery(r *http.Request) (traceQuery, error) {
	q := traceQuery{Sort: r.URL.Query().Get("sort"), Service: r.URL.Query().Get("service"), Errors: r.URL.Query().Get("errors") == "1"}
	switch q.Sort {
	case "":
		q.Sort = "recent"
	case "recent", "slowest":
	default:
		return q, errors.New("sort must be recent or slowest")
	}
	if q.Service != "" && !validName(q.Service) {
		return q, fmt.Errorf("%q is not a service name", q.Service)
	}
	var err error
	q.Limit, err = queryInt(r, "limit", 50, 1, 500)
	return q, err
}

func (c *Console) traces(q traceQuery) []observe.TraceSummary {
	f := observe.TraceFilter{Service: q.Service, ErrorsOnly: q.Errors}
	list := c.cfg.Traces.Recent(f, q.Limit)
	if q.Sort == "slowest" {
		list = c.cfg.Traces.Slowest(f, q.Limit)
	}
	if list == nil {
		list = []observe.TraceSummary{}
	}
	return list
}

// handleTraces is GET /api/traces?sort=&service=&errors=1&limit=.
func (c *Console) handleTraces(w http.ResponseWriter, r *http.Request) {
	q, err := parseTraceQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_argument", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"traces": c.traces(q)})
}

// validTraceID reports whether id is 32 lower-case hex digits.
func validTraceID(id string) bool {
	if len(id) != 32 {
		return false
	}
	return strings.Trim(id, "0123456789abcdef") == ""
}

// handleTrace is GET /api/traces/{id}: one trace's spans.
func (c *Console) handleTrace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validTraceID(id) {
		writeError(w, http.StatusBadRequest, "invalid_argument", fmt.Sprintf("%q is not a trace id (32 hex digits)", id))
		return
	}
	spans, ok := c.cfg.Traces.Trace(id)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("trace %s not received (or no longer kept)", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"trace_id": id, "spans": spans})
}

// logQuery reads the parameters of /logs and /api/logs.
func parseLogQuery(r *http.Request) (observe.LogFilter, int, error) {
	q := r.URL.Query()
	f := observe.LogFilter{Service: q.Get("service"), MinLevel: strings.ToUpper(q.Get("level")), TraceID: q.Get("trace"), Contains: q.Get("q")}
	switch {
	case f.Service != "" && !validName(f.Service):
		return f, 0, fmt.Errorf("%q is not a service name", f.Service)
	case f.TraceID != "" && !validTraceID(f.TraceID):
		return f, 0, fmt.Errorf("%q is not a trace id", f.TraceID)
	case f.MinLevel != "" && f.MinLevel != "DEBUG" && f.MinLevel != "INFO" && f.MinLevel != "WARN" && f.MinLevel != "ERROR":
		return f, 0, errors.New("level must be debug, info, warn or error")
	case len(f.Contains) > 200:
		return f, 0, errors.New("q is longer than 200 characters")
	}
	if s := q.Get("after"); s != "" {
		after, err := strconv.ParseInt(s, 10, 64)
		if err != nil || after < 0 {
			return f, 0, errors.New("after must be a line number")
		}
		f.After = after
	}
	limit, err := queryInt(r, "limit", 300, 1, 2000)
	return f, limit, err
}

// handleLogs is GET /api/logs?after=&service=&level=&trace=&q=&limit=.
func (c *Console) handleLogs(w http.ResponseWriter, r *http.Request) {
	f, limit, err := parseLogQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_argument", err.Error())
		return
	}
	last := c.cfg.Logs.LastSeq()
	lines := c.cfg.Logs.Lines(f, limit)
	if lines == nil {
		lines = []observe.LogLine{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"last_seq": last, "lines": lines})
}

// message is a mailbox message for display.
type message struct {
	ID      string    `json:"id"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Kind    string    `json:"kind"`
	OrderID string    `json:"order_id"`
	Time    time.Time `json:"time"`
}

// mailbox is the mailbox's messages, or why there are none.
type mailbox struct {
	Available bool      `json:"available"`
	Error     string    `json:"error,omitempty"`
	Messages  []message `json:"messages"`
}

func (c *Console) mailbox(ctx context.Context, to string) mailbox {
	mb := mailbox{Messages: []message{}}
	if c.cfg.Mailbox == nil {
		mb.Error = "no notifications client configured"
		return mb
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.cfg.Mailbox.ListMessages(ctx, &notificationsv1.ListMessagesRequest{To: to, PageSize: 100})
	if err != nil {
		mb.Error = err.Error()
		return mb
	}
	mb.Available = true
	for _, m := range resp.GetMessages() {
		mb.Messages = append(mb.Messages, message{
			ID: m.GetId(), To: m.GetTo(), Subject: m.GetSubject(), Body: m.GetBody(),
			Kind:    strings.ToLower(strings.TrimPrefix(m.GetKind().String(), "MESSAGE_KIND_")),
			OrderID: m.GetOrderId(), Time: m.GetCreateTime().AsTime(),
		})
	}
	return mb
}

// handleMailbox is GET /api/mailbox?to=.
func (c *Console) handleMailbox(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	if len(to) > 254 {
		writeError(w, http.StatusBadRequest, "invalid_argument", "to is longer than an e-mail address can be")
		return
	}
	writeJSON(w, http.StatusOK, c.mailbox(r.Context(), to))
}
