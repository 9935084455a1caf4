package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bazaar-shop/bazaar/internal/control"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

const statusUsage = "bazaar status [-data DIR] [--json]"

// statusReport is what `bazaar status --json` prints. Source is "control"
// when the running shop answered (every supervised instance, with its
// state and restarts), "registry" when no shop runs its control API and
// the registry file was read instead (ready instances only, no restart
// counts).
type statusReport struct {
	Source string `json:"source"`
	// Storefront is the shop's public URL (the edge), when the control
	// API answered.
	Storefront string            `json:"storefront,omitempty"`
	Instances  []supervisor.Info `json:"instances"`
	Faults     []registry.Fault  `json:"faults"`
}

// runStatus is `bazaar status`: the instances of the shop running on a
// data directory, from its control API; without one (no control.json),
// the ready instances its registry lists.
func runStatus(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var data string
	var asJSON bool
	fs := opFlags("status", &data)
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	pos, err := parseArgs(fs, args, stdout, statusUsage)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(statusUsage, "unexpected argument %q", pos[0])
	}
	rep, err := readStatus(ctx, data)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if len(rep.Instances) == 0 {
		_, err := fmt.Fprintf(stdout, "no instance is running on %s (start the shop with 'bazaar up -data %s')\n", data, data)
		return err
	}
	if err := writeInstances(stdout, rep.Instances, time.Now()); err != nil {
		return err
	}
	writeFaults(stdout, rep.Faults)
	if rep.Storefront != "" {
		fmt.Fprintf(stdout, "\nstorefront: %s (the edge, in front of the ready storefront instances)\n", rep.Storefront)
	}
	if rep.Source == "registry" {
		fmt.Fprintln(stdout, "\n(from the registry: the shop's control API is not running, so only ready instances are listed)")
	}
	return nil
}

// readStatus asks the running shop, or reads the registry when there is no
// control file.
func readStatus(ctx context.Context, data string) (statusReport, error) {
	c, err := control.Open(data)
	if err == nil {
		st, err := c.Status(ctx)
		if err != nil {
			return statusReport{}, explain(err, data)
		}
		url, _ := publicURL(data) // "" while the shop starts
		return statusReport{Source: "control", Storefront: url, Instances: st.Instances, Faults: st.Faults}, nil
	}
	if !errors.Is(err, control.ErrNotRunning) {
		return statusReport{}, err
	}
	snap, err := registry.Read(supervisor.RegistryPath(data))
	if err != nil {
		return statusReport{}, err
	}
	rep := statusReport{Source: "registry", Instances: []supervisor.Info{}, Faults: snap.Faults}
	if rep.Faults == nil {
		rep.Faults = []registry.Fault{}
	}
	for _, in := range snap.Instances {
		rep.Instances = append(rep.Instances, supervisor.Info{
			ID: in.ID, Service: in.Service, PID: in.PID,
			GRPCAddr: in.GRPCAddr, AdminAddr: in.AdminAddr, HTTPAddr: in.HTTPAddr,
			Version: in.Version, State: supervisor.StateReady, Started: in.Started,
		})
	}
	return rep, nil
}
