package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// maxAnswerBytes bounds a JSON answer the client reads.
const maxAnswerBytes = 16 << 20

// The supervisor is what `bazaar up` serves.
var _ Operator = (*supervisor.Supervisor)(nil)

// APIError is an error answer of the control API.
type APIError struct {
	Status  int    // HTTP status
	Code    string // "not_found", "bad_request", "unauthorized", …
	Message string
}

// Error returns the server's message.
func (e *APIError) Error() string { return e.Message }

// Client calls the control API of a running shop. Calls have no timeout of
// their own: give them a context (a log stream may last for hours).
type Client struct {
	base  string
	token string
	http  *http.Client
}

// Open returns a client for the shop running on the data directory dir,
// from its control file; ErrNotRunning when there is none.
func Open(dir string) (*Client, error) {
	f, err := ReadFile(FilePath(dir))
	if err != nil {
		return nil, err
	}
	return NewClient(f.Addr, f.Token), nil
}

// NewClient returns a client for the control API at addr (host:port).
func NewClient(addr, token string) *Client {
	return &Client{base: "http://" + addr, token: token, http: &http.Client{}}
}

// Status returns every instance and the fault rules in force.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var out Status
	err := c.call(ctx, http.MethodGet, "/v1/instances", nil, &out)
	return out, err
}

// Scale runs n instances of service and returns them once ready.
func (c *Client) Scale(ctx context.Context, service string, n int) (ServiceResult, error) {
	var out ServiceResult
	err := c.call(ctx, http.MethodPost, "/v1/services/"+url.PathEscape(service)+"/scale", ScaleRequest{Replicas: &n}, &out)
	return out, err
}

// Restart replaces every instance of service, one at a time.
func (c *Client) Restart(ctx context.Context, service string) (ServiceResult, error) {
	var out ServiceResult
	err := c.call(ctx, http.MethodPost, "/v1/services/"+url.PathEscape(service)+"/restart", nil, &out)
	return out, err
}

// Upgrade rebuilds service and rolls its instances onto the new binary.
func (c *Client) Upgrade(ctx context.Context, service string) (ServiceResult, error) {
	var out ServiceResult
	err := c.call(ctx, http.MethodPost, "/v1/services/"+url.PathEscape(service)+"/upgrade", nil, &out)
	return out, err
}

// Kill sends SIGKILL to a service's instances or to one instance, and
// returns the ids of those killed.
func (c *Client) Kill(ctx context.Context, target string) ([]string, error) {
	var out KillResult
	err := c.call(ctx, http.MethodPost, "/v1/kill", KillRequest{Target: target}, &out)
	return out.Killed, err
}

// Faults returns the fault rules in force.
func (c *Client) Faults(ctx context.Context) ([]registry.Fault, error) {
	var out FaultsResult
	err := c.call(ctx, http.MethodGet, "/v1/faults", nil, &out)
	return out.Faults, err
}

// SetFault puts a rule in force and returns the rules in force.
func (c *Client) SetFault(ctx context.Context, f registry.Fault) ([]registry.Fault, error) {
	var out FaultsResult
	err := c.call(ctx, http.MethodPut, "/v1/faults", f, &out)
	return out.Faults, err
}

// ClearFaults removes the rule from→to, or every rule when both are "",
// and returns the rules still in force.
func (c *Client) ClearFaults(ctx context.Context, from, to string) ([]registry.Fault, error) {
	q := url.Values{}
	if from != "" || to != "" {
		q.Set("from", from)
		q.Set("to", to)
	}
	path := "/v1/faults"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out FaultsResult
	err := c.call(ctx, http.MethodDelete, path, nil, &out)
	return out.Faults, err
}

// Logs calls fn with each log line the shop sends (see supervisor.Logs)
// until the stream ends, ctx ends (Logs returns nil) or fn returns an
// error.
func (c *Client) Logs(ctx context.Context, opts supervisor.LogOptions, fn func(supervisor.LogLine) error) error {
	q := url.Values{"tail": {strconv.Itoa(opts.Tail)}}
	if opts.Service != "" {
		q.Set("service", opts.Service)
	}
	if opts.Follow {
		q.Set("follow", "1")
	}
	resp, err := c.send(ctx, http.MethodGet, "/v1/logs?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var l supervisor.LogLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("logs: bad line from the control API: %w", err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs: %w", err)
	}
	return nil
}

// call sends a JSON request and decodes the JSON answer into out.
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswerBytes)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: bad answer: %w", method, path, err)
	}
	return nil
}

// send makes a request and returns a 2xx response; any other is an
// *APIError, and no answer at all is ErrNotRunning.
func (c *Client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return nil, fmt.Errorf("%w: nothing answers at %s", ErrNotRunning, c.base)
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var eb errorBody
	if json.Unmarshal(raw, &eb) != nil || eb.Error.Message == "" {
		eb.Error.Message = fmt.Sprintf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(raw))
	}
	return nil, &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
}
