package console

import (
	"crypto/subtle"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"
)

// tokenHeader carries the console's token on requests that change
// something; the pages hold the token in a meta tag.
const tokenHeader = "X-Console-Token"

// routes builds the console's handler.
func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", c.pageOverview)
	mux.HandleFunc("GET /topology", c.pageTopology)
	mux.HandleFunc("GET /signals", c.pageSignals)
	mux.HandleFunc("GET /traces", c.pageTraces)
	mux.HandleFunc("GET /traces/{id}", c.pageTrace)
	mux.HandleFunc("GET /logs", c.pageLogs)
	mux.HandleFunc("GET /mailbox", c.pageMailbox)
	mux.HandleFunc("GET /faults", c.pageFaults)
	static, _ := fs.Sub(assets, "static") // cannot fail: the directory is embedded
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))

	mux.HandleFunc("GET /api/overview", c.handleOverview)
	mux.HandleFunc("GET /api/topology", c.handleTopology)
	mux.HandleFunc("GET /api/signals", c.handleSignals)
	mux.HandleFunc("GET /api/traces", c.handleTraces)
	mux.HandleFunc("GET /api/traces/{id}", c.handleTrace)
	mux.HandleFunc("GET /api/logs", c.handleLogs)
	mux.HandleFunc("GET /api/mailbox", c.handleMailbox)
	mux.HandleFunc("GET /api/actions", c.handleActions)
	mux.HandleFunc("GET /api/faults", c.handleFaults)
	mux.HandleFunc("POST /api/faults", c.handleSetFault)
	mux.HandleFunc("DELETE /api/faults", c.handleClearFaults)
	mux.HandleFunc("POST /api/instances/{id}/kill", c.handleKill)
	mux.HandleFunc("POST /api/services/{name}/restart", c.handleRestart)
	mux.HandleFunc("POST /api/services/{name}/scale", c.handleScale)
	mux.HandleFunc("GET /api/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
	})
	return c.guard(mux)
}

// guard protects next: requests must name a loopback (or allowed) host,
// against DNS rebinding; requests that change something must come from
// the console's own pages (same origin, with the token); every answer
// carries headers that keep it out of frames and other sites.
func (c *Console) guard(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if !c.allowedHost(r.Host) {
			http.Error(w, "console: host not allowed (open it through localhost or 127.0.0.1)", http.StatusMisdirectedRequest)
			return
		}
		if !safeMethod(r.Method) {
			if err := cop.Check(r); err != nil {
				writeError(w, http.StatusForbidden, "cross_origin", "cross-origin request refused")
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.Header.Get(tokenHeader)), []byte(c.token)) != 1 {
				writeError(w, http.StatusForbidden, "bad_token", "missing or wrong "+tokenHeader+": reload the page")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// allowedHost reports whether the Host header names this machine's
// loopback or one of the configured hosts.
func (c *Console) allowedHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return loopbackHost(host) || slices.Contains(c.cfg.AllowedHosts, host)
}
