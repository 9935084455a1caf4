package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"

	"github.com/bazaar-shop/bazaar/internal/observe"
)

// assets holds the page templates, the style sheet and the script.
//
//go:embed templates/*.tmpl static
var assets embed.FS

// pageNames are the pages, each templates/<name>.tmpl defining "content".
func pageNames() []string {
	return []string{"overview", "topology", "signals", "traces", "trace", "logs", "mailbox", "faults", "notfound"}
}

// pages are the parsed page templates by name.
type pages struct {
	byName map[string]*template.Template
}

func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames() {
		t, err := template.New("layout.tmpl").Funcs(funcs()).ParseFS(assets, "templates/layout.tmpl", "templates/partials.tmpl", "templates/"+name+".tmpl")
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// navItem is one link of the navigation bar.
type navItem struct {
	Path, Label string
	Active      bool
}

// pageData is what every page template gets.
type pageData struct {
	Page  string // the page's name: body[data-page], the script's switch
	Title string
	Token string
	Nav   []navItem
	// Data is the page's own content.
	Data any
}

// render writes page name with data, or a plain 500 when it fails.
func (c *Console) render(w http.ResponseWriter, status int, name, title string, data any) {
	pd := pageData{Page: name, Title: title, Token: c.token, Data: data}
	for _, n := range [][2]string{{"/", "overview"}, {"/topology", "topology"}, {"/signals", "signals"},
		{"/traces", "traces"}, {"/logs", "logs"}, {"/mailbox", "mailbox"}, {"/faults", "faults"}} {
		pd.Nav = append(pd.Nav, navItem{Path: n[0], Label: n[1], Active: n[1] == name || (name == "trace" && n[1] == "traces")})
	}
	var buf bytes.Buffer
	if err := c.pages.byName[name].ExecuteTemplate(&buf, "layout.tmpl", pd); err != nil {
		c.cfg.Logger.Error("console render", "page", name, "err", err)
		http.Error(w, "console: cannot render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (c *Console) pageOverview(w http.ResponseWriter, _ *http.Request) {
	c.render(w, http.StatusOK, "overview", "overview", c.overview())
}

func (c *Console) pageTopology(w http.ResponseWriter, _ *http.Request) {
	c.render(w, http.StatusOK, "topology", "topology", c.topology())
}

func (c *Console) pageSignals(w http.ResponseWriter, _ *http.Request) {
	c.render(w, http.StatusOK, "signals", "signals", c.services(false))
}

// tracesPage is the traces page's content.
type tracesPage struct {
	Query    traceQuery
	Services []string
	Traces   []observe.TraceSummary
	Kept     int
}

func (c *Console) pageTraces(w http.ResponseWriter, r *http.Request) {
	q, err := parseTraceQuery(r)
	if err != nil {
		c.render(w, http.StatusBadRequest, "notfound", "bad request", err.Error())
		return
	}
	c.render(w, http.StatusOK, "traces", "traces", tracesPage{Query: q, Services: c.serviceNames(), Traces: c.traces(q), Kept: c.cfg.Traces.Len()})
}

// tracePage is one trace's page content.
type tracePage struct {
	Waterfall waterfall
	Logs      []observe.LogLine
}

func (c *Console) pageTrace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validTraceID(id) {
		c.render(w, http.StatusBadRequest, "notfound", "bad trace id", fmt.Sprintf("%q is not a trace id (32 hex digits).", id))
		return
	}
	spans, ok := c.cfg.Traces.Trace(id)
	if !ok {
		c.render(w, http.StatusNotFound, "notfound", "trace not found",
			fmt.Sprintf("Trace %s has not been received, or is no longer kept. Spans arrive a few seconds after they end; reload in a moment.", id))
		return
	}
	c.render(w, http.StatusOK, "trace", "trace "+id[:8], tracePage{
		Waterfall: layoutWaterfall(id, spans),
		Logs:      c.cfg.Logs.Lines(observe.LogFilter{TraceID: id}, 200),
	})
}

// logsPage is the logs page's content.
type logsPage struct {
	Services []string
	Lines    []observe.LogLine
	LastSeq  int64
}

func (c *Console) pageLogs(w http.ResponseWriter, _ *http.Request) {
	last := c.cfg.Logs.LastSeq()
	c.render(w, http.StatusOK, "logs", "logs", logsPage{Services: c.serviceNames(), Lines: c.cfg.Logs.Lines(observe.LogFilter{}, 300), LastSeq: last})
}

func (c *Console) pageMailbox(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, "mailbox", "mailbox", c.mailbox(r.Context(), ""))
}

// faultsPage is the faults page's content.
type faultsPage struct {
	Services []string
	Faults   []faultJSON
}

func (c *Console) pageFaults(w http.ResponseWriter, _ *http.Request) {
	var names []string
	for _, v := range c.services(false) {
		if v.Kind != "bus" {
			names = append(names, v.Name)
		}
	}
	slices.Sort(names)
	var list []faultJSON
	for _, f := range c.cfg.Operator.Faults() {
		list = append(list, toFaultJSON(f))
	}
	c.render(w, http.StatusOK, "faults", "faults", faultsPage{Services: names, Faults: list})
}
