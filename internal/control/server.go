package control

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// Limits and timeouts of the control API.
const (
	maxBodyBytes = 64 << 10
	// OperationTimeout bounds one operation (an upgrade builds a binary).
	OperationTimeout = 15 * time.Minute
	// defaultTail is how many log lines GET /v1/logs sends first when the
	// request does not say.
	defaultTail = 100
)

// Server is the control API listening on loopback.
type Server struct {
	path   string
	token  string
	lis    net.Listener
	http   *http.Server
	cancel context.CancelFunc // ends the requests in flight (log streams)
	done   chan struct{}
}

// Serve starts the control API of op on 127.0.0.1 (a free port) with a
// new random token, and writes both to the control file at path (mode
// 0600). Close stops it and removes the file.
func Serve(op Operator, path string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("control API: token: %w", err)
	}
	token := hex.EncodeToString(raw)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("control API: listen: %w", err)
	}
	if err := writeFile(path, File{Addr: lis.Addr().String(), Token: token, PID: os.Getpid()}); err != nil {
		_ = lis.Close()
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Server{path: path, token: token, lis: lis, cancel: cancel, done: make(chan struct{})}
	s.http = &http.Server{
		Handler:           Handler(op, token),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second, // operations and log streams extend their own
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("control API stopped", "err", err)
		}
	}()
	return s, nil
}

// Addr is the address the API listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// SetStorefront records the shop's public URL in the control file, where
// the commands that drive the storefront (`bazaar load`, `chaos`,
// `status`) find it.
func (s *Server) SetStorefront(url string) error {
	return writeFile(s.path, File{Addr: s.Addr(), Token: s.token, PID: os.Getpid(), Storefront: url})
}

// Token is the bearer token requests must carry.
func (s *Server) Token() string { return s.token }

// Close ends the requests in flight, stops the server and removes the
// control file.
func (s *Server) Close() error {
	s.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.http.Close())
	}
	<-s.done
	if rmErr := os.Remove(s.path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	if err != nil {
		return fmt.Errorf("control API: close: %w", err)
	}
	return nil
}

// Handler returns the control API of op, for requests carrying token
// from loopback addresses.
func Handler(op Operator, token string) http.Handler {
	h := &handler{op: op}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/instances", h.status)
	mux.HandleFunc("POST /v1/services/{name}/scale", h.scale)
	mux.HandleFunc("POST /v1/services/{name}/restart", h.restart)
	mux.HandleFunc("POST /v1/services/{name}/upgrade", h.upgrade)
	mux.HandleFunc("POST /v1/kill", h.kill)
	mux.HandleFunc("GET /v1/logs", h.logs)
	mux.HandleFunc("GET /v1/faults", h.faults)
	mux.HandleFunc("PUT /v1/faults", h.setFault)
	mux.HandleFunc("DELETE /v1/faults", h.clearFaults)
	return guard(token, mux)
}

// guard lets through only requests from loopback that carry the token,
// compared in constant time.
func guard(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeError(w, http.StatusForbidden, "forbidden", "the control API answers loopback only")
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bazaar"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token (see control.json in the data directory)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type handler struct{ op Operator }

func (h *handler) status(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, Status{Instances: nonNil(h.op.Status()), Faults: nonNil(h.op.Faults())})
}

func (h *handler) scale(w http.ResponseWriter, r *http.Request) {
	var req ScaleRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Replicas == nil {
		writeError(w, http.StatusBadRequest, "bad_request", `the body needs "replicas"`)
		return
	}
	name := r.PathValue("name")
	h.operate(w, r, name, func(ctx context.Context) (string, error) { return "", h.op.Scale(ctx, name, *req.Replicas) })
}

func (h *handler) restart(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	h.operate(w, r, name, func(ctx context.Context) (string, error) { return "", h.op.Restart(ctx, name) })
}

func (h *handler) upgrade(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	h.operate(w, r, name, func(ctx context.Context) (string, error) { return h.op.Upgrade(ctx, name) })
}

// operate runs a long operation on one service and answers with the
// service's instances afterwards.
func (h *handler) operate(w http.ResponseWriter, r *http.Request, service string, do func(ctx context.Context) (string, error)) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(OperationTimeout + 10*time.Second))
	ctx, cancel := context.WithTimeout(r.Context(), OperationTimeout)
	defer cancel()
	version, err := do(ctx)
	if err != nil {
		writeOpError(w, err)
		return
	}
	res := ServiceResult{Service: service, Version: version, Instances: []supervisor.Info{}}
	for _, in := range h.op.Status() {
		if in.Service == service {
			res.Instances = append(res.Instances, in)
		}
	}
	writeJSON(w, res)
}

func (h *handler) kill(w http.ResponseWriter, r *http.Request) {
	var req KillRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Target == "" {
		writeError(w, http.StatusBadRequest, "bad_request", `the body needs "target": a service or an instance id`)
		return
	}
	killed, err := h.op.Kill(req.Target)
	if err != nil {
		writeOpError(w, err)
		return
	}
	writeJSON(w, KillResult{Killed: killed})
}

func (h *handler) faults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, FaultsResult{Faults: nonNil(h.op.Faults())})
}

func (h *handler) setFault(w http.ResponseWriter, r *http.Request) {
	var f registry.Fault
	if !readJSON(w, r, &f) {
		return
	}
	if err := h.op.SetFault(f); err != nil {
		writeOpError(w, err)
		return
	}
	h.faults(w, r)
}

func (h *handler) clearFaults(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := h.op.ClearFaults(q.Get("from"), q.Get("to")); err != nil {
		writeOpError(w, err)
		return
	}
	h.faults(w, r)
}

// logs streams log lines as NDJSON until the lines end (without follow),
// the client leaves or the server closes.
func (h *handler) logs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := supervisor.LogOptions{Service: q.Get("service"), Tail: defaultTail}
	if t := q.Get("tail"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("tail %q is not a number", t))
			return
		}
		opts.Tail = n
	}
	switch f := q.Get("follow"); f {
	case "", "0", "false":
	case "1", "true":
		opts.Follow = true
	default:
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("follow %q: want 1 or 0", f))
		return
	}
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	started := false
	err := h.op.Logs(r.Context(), opts, func(l supervisor.LogLine) error {
		if !started {
			w.Header().Set("Content-Type", "application/x-ndjson")
			started = true
		}
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) // a reader that stalls is cut off
		if err := enc.Encode(l); err != nil {
			return err
		}
		if opts.Follow {
			return rc.Flush()
		}
		return nil
	})
	switch {
	case err != nil && !started:
		writeOpError(w, err)
	case !started:
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
	}
}

// readJSON decodes a small JSON body into v, answering 400 (or 413) and
// returning false when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", maxBodyBytes))
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "bad_request", "the body is empty: JSON expected")
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "bad JSON body: "+err.Error())
	}
	return false
}

// writeOpError answers an operation's error with the status its kind
// calls for.
func writeOpError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, supervisor.ErrUnknown):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, supervisor.ErrInvalid):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, supervisor.ErrStopping):
		writeError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "timeout", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var body errorBody
	body.Error.Code, body.Error.Message = code, strings.TrimSpace(msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
