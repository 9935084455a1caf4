// Package registry is the local registry of ready service instances.
//
// In local mode the supervisor (`bazaar up`) starts every service instance
// as a process, polls its /readyz, and writes the instances that are ready to
// one JSON file. Clients in every service read that file through the gRPC
// resolver built by NewResolverBuilder (target "registry:///<service>").
//
// The file also carries fault-injection rules (Fault) that each client
// applies to its own outgoing calls.
//
// Only the supervisor writes the file, so there is no locking: Write replaces
// the file atomically (temporary file in the same directory, fsync, rename),
// and readers always see either the old or the new snapshot, never a mix.
// Two writers at once would not corrupt the file, but the last rename would
// silently win; do not run two supervisors on one registry file.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Instance is one ready instance of a service.
type Instance struct {
	ID        string    `json:"id"`         // "catalog-1"
	Service   string    `json:"service"`    // "catalog"
	GRPCAddr  string    `json:"grpc_addr"`  // "127.0.0.1:41234"
	AdminAddr string    `json:"admin_addr"` // /metrics /healthz /readyz
	HTTPAddr  string    `json:"http_addr,omitempty"`
	Version   string    `json:"version,omitempty"`
	PID       int       `json:"pid,omitempty"`
	Started   time.Time `json:"started"`
}

// Snapshot is the whole registry at one moment.
type Snapshot struct {
	Instances []Instance `json:"instances"`
	// Faults are the fault-injection rules in force (see Fault).
	Faults []Fault `json:"faults,omitempty"`
}

// Of returns the instances of service, in registry order.
func (s Snapshot) Of(service string) []Instance {
	var out []Instance
	for _, in := range s.Instances {
		if in.Service == service {
			out = append(out, in)
		}
	}
	return out
}

// Validate reports the first instance that lacks an id, a service or a valid
// gRPC host:port address, duplicate instance ids, and the first invalid or
// duplicate fault rule.
func (s Snapshot) Validate() error {
	seen := make(map[string]bool, len(s.Instances))
	for i, in := range s.Instances {
		switch {
		case in.ID == "":
			return fmt.Errorf("instance %d: empty id", i)
		case in.Service == "":
			return fmt.Errorf("instance %s: empty service", in.ID)
		case seen[in.ID]:
			return fmt.Errorf("instance %s: duplicate id", in.ID)
		}
		if _, _, err := net.SplitHostPort(in.GRPCAddr); err != nil {
			return fmt.Errorf("instance %s: grpc_addr: %w", in.ID, err)
		}
		seen[in.ID] = true
	}
	return validateFaults(s.Faults)
}

// Read loads the registry file at path. A missing file is an empty snapshot
// (no instance is ready yet); a file that is not valid JSON or fails Validate
// is an error.
func Read(path string) (Snapshot, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Snapshot{}, nil
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("read registry %s: %w", path, err)
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return Snapshot{}, fmt.Errorf("read registry %s: %w", path, err)
	}
	if err := s.Validate(); err != nil {
		return Snapshot{}, fmt.Errorf("read registry %s: %w", path, err)
	}
	return s, nil
}

// Write replaces the registry file at path with s atomically: it writes a
// temporary file in the same directory, fsyncs it, renames it over path and
// fsyncs the directory. It refuses a snapshot that fails Validate.
func Write(path string, s Snapshot) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("write registry %s: %w", path, err)
	}
	if s.Instances == nil {
		s.Instances = []Instance{} // "instances": [] rather than null
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("write registry %s: %w", path, err)
	}
	if err := writeAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("write registry %s: %w", path, err)
	}
	return nil
}

// writeAtomic writes data to a temporary file beside path and renames it
// over path, so readers never see a partial file.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}
