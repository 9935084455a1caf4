package main

import (
	"context"

	"github.com/bazaar-shop/bazaar/internal/console"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// consoleOperator lets the console drive the supervisor.
type consoleOperator struct{ sup *supervisor.Supervisor }

// Instances lists the supervisor's instances for the console.
func (o consoleOperator) Instances() []console.InstanceInfo {
	st := o.sup.Status()
	out := make([]console.InstanceInfo, 0, len(st))
	for _, in := range st {
		out = append(out, console.InstanceInfo{
			ID: in.ID, Service: in.Service, Version: in.Version, PID: in.PID, Started: in.Started,
			Restarts: in.Restarts, Ready: in.State == supervisor.StateReady,
			GRPCAddr: in.GRPCAddr, AdminAddr: in.AdminAddr, HTTPAddr: in.HTTPAddr,
		})
	}
	return out
}

// Kill kills one instance, as a crash would.
func (o consoleOperator) Kill(id string) error {
	_, err := o.sup.Kill(id)
	return err
}

// Restart rolls a service's instances.
func (o consoleOperator) Restart(ctx context.Context, service string) error {
	return o.sup.Restart(ctx, service)
}

// Scale sets a service's instance count.
func (o consoleOperator) Scale(ctx context.Context, service string, n int) error {
	return o.sup.Scale(ctx, service, n)
}

// SetFault sets a fault rule between two services.
func (o consoleOperator) SetFault(_ context.Context, f console.Fault) error {
	return o.sup.SetFault(registry.Fault(f))
}

// ClearFaults removes every fault rule.
func (o consoleOperator) ClearFaults(context.Context) error { return o.sup.ClearFaults("", "") }

// Faults lists the fault rules in force.
func (o consoleOperator) Faults() []console.Fault {
	fs := o.sup.Faults()
	out := make([]console.Fault, 0, len(fs))
	for _, f := range fs {
		out = append(out, console.Fault(f))
	}
	return out
}
