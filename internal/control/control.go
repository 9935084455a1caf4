// Package control is the control API of a running shop: a small JSON API
// over HTTP that `bazaar up` serves on loopback, so that other commands
// (`bazaar status`, `scale`, `kill`, `restart`, `upgrade`, `logs`,
// `fault`) operate the supervisor of the running shop. Its address and a
// random bearer token are in DATA/control.json, readable by the owner only;
// every request must carry the token.
//
// Endpoints (JSON in and out; errors are {"error":{"code","message"}}):
//
//	GET    /v1/instances                   Status: every instance and the fault rules
//	POST   /v1/services/{name}/scale       {"replicas":N} → ServiceResult
//	POST   /v1/services/{name}/restart     rolling restart → ServiceResult
//	POST   /v1/services/{name}/upgrade     rebuild, rolling restart → ServiceResult
//	POST   /v1/kill                        {"target":"cart" or "cart-2"} → {"killed":[…]}
//	GET    /v1/logs?service=&tail=&follow= NDJSON stream of supervisor.LogLine
//	GET    /v1/faults                      {"faults":[…]}
//	PUT    /v1/faults                      a registry.Fault → {"faults":[…]}
//	DELETE /v1/faults?from=&to=            one rule, or all without from/to → {"faults":[…]}
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// ErrNotRunning reports that no shop answers on the data directory: no
// control file, or nothing listening at its address.
var ErrNotRunning = errors.New("the shop is not running")

// Operator is what the control API operates; *supervisor.Supervisor is one.
type Operator interface {
	Status() []supervisor.Info
	Faults() []registry.Fault
	Scale(ctx context.Context, service string, n int) error
	Kill(target string) ([]string, error)
	Restart(ctx context.Context, service string) error
	Upgrade(ctx context.Context, service string) (string, error)
	SetFault(f registry.Fault) error
	ClearFaults(from, to string) error
	Logs(ctx context.Context, opts supervisor.LogOptions, fn func(supervisor.LogLine) error) error
}

// Status is the answer of GET /v1/instances.
type Status struct {
	Instances []supervisor.Info `json:"instances"`
	Faults    []registry.Fault  `json:"faults"`
}

// ServiceResult is the answer of the operations on one service: its
// instances once the operation is done, and for an upgrade the new
// version.
type ServiceResult struct {
	Service   string            `json:"service"`
	Version   string            `json:"version,omitempty"`
	Instances []supervisor.Info `json:"instances"`
}

// ScaleRequest is the body of POST /v1/services/{name}/scale.
type ScaleRequest struct {
	Replicas *int `json:"replicas"`
}

// KillRequest is the body of POST /v1/kill.
type KillRequest struct {
	Target string `json:"target"`
}

// KillResult is the answer of POST /v1/kill.
type KillResult struct {
	Killed []string `json:"killed"`
}

// FaultsResult is the answer of the /v1/faults endpoints: the rules in
// force afterwards.
type FaultsResult struct {
	Faults []registry.Fault `json:"faults"`
}

// errorBody is the JSON form of an error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// File is the content of the control file.
type File struct {
	// Addr is where the control API listens (127.0.0.1:port).
	Addr string `json:"addr"`
	// Token is the bearer token every request must carry.
	Token string `json:"token"`
	// PID is the process id of `bazaar up`.
	PID int `json:"pid"`
	// Storefront is the shop's public URL, the edge in front of the
	// storefront's instances ("http://127.0.0.1:8080"); empty until
	// SetStorefront.
	Storefront string `json:"storefront,omitempty"`
}

// FilePath is the control file of the data directory dir.
func FilePath(dir string) string { return filepath.Join(dir, "control.json") }

// ReadFile reads the control file at path; a missing file is ErrNotRunning.
func ReadFile(path string) (File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, fmt.Errorf("%w: no control file %s", ErrNotRunning, path)
	}
	if err != nil {
		return File{}, fmt.Errorf("read control file: %w", err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return File{}, fmt.Errorf("read control file %s: %w", path, err)
	}
	if f.Addr == "" || f.Token == "" {
		return File{}, fmt.Errorf("read control file %s: no address or token", path)
	}
	return f, nil
}

// writeFile writes the control file readable by its owner only, replacing
// any file at path atomically.
func writeFile(path string, f File) (err error) {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("write control file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".control.json.*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("write control file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write control file: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("write control file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write control file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write control file: %w", err)
	}
	return nil
}
