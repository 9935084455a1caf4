package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bazaar-shop/bazaar/internal/control"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// This file holds what the commands that operate a running shop (status,
// scale, kill, restart, upgrade, logs, fault) share: their flags and
// arguments, the control API client, error messages, the instance table.

// opFlags returns the flag set of an operating command, with -data.
func opFlags(name string, data *string) *config.FlagSet {
	fs := config.NewFlagSet("bazaar " + name)
	fs.StringVar(data, "data", ".bazaar", "data directory of the running shop")
	return fs
}

// parseArgs parses args, flags and positional arguments in any order
// ("bazaar fault 'a->b' -latency 1s" as well as "-latency 1s 'a->b'"),
// and returns the positional ones. -h prints the usage to stdout.
func parseArgs(fs *config.FlagSet, args []string, stdout io.Writer, usage string) ([]string, error) {
	flags, positional := splitArgs(fs.FlagSet, args)
	if err := fs.Parse(flags, os.LookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: %s\n\n", usage)
			fs.Usage(stdout)
		}
		return nil, err
	}
	return positional, nil
}

// splitArgs separates flags (with their values) from positional
// arguments. A flag that is not boolean and has no "=value" takes the next
// argument as its value; everything after "--" is positional.
func splitArgs(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(positional, args[i+1:]...)
		case !strings.HasPrefix(a, "-") || a == "-":
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // Parse reports the unknown flag
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, positional
}

// usageError is a command line that does not say what to do.
func usageError(usage, format string, args ...any) error {
	return fmt.Errorf("%s\nusage: %s", fmt.Sprintf(format, args...), usage)
}

// openShop returns a control API client for the shop running on data.
func openShop(data string) (*control.Client, error) {
	c, err := control.Open(data)
	if err != nil {
		return nil, explain(err, data)
	}
	return c, nil
}

// publicURL is the public URL of the shop running on data: the edge in
// front of its storefront instances, from the control file.
func publicURL(data string) (string, error) {
	f, err := control.ReadFile(control.FilePath(data))
	if err != nil {
		return "", fmt.Errorf("find the storefront: %w", explain(err, data))
	}
	if f.Storefront == "" {
		return "", fmt.Errorf("find the storefront: the shop on %s is still starting (no public URL in %s yet)", data, control.FilePath(data))
	}
	return f.Storefront, nil
}

// explain turns a control API error into what the user should read: how
// to start a shop that is not running; the server's own message, without
// the operation name the command already shows.
func explain(err error, data string, ops ...string) error {
	if errors.Is(err, control.ErrNotRunning) {
		return fmt.Errorf("%w; start it with 'bazaar up -data %s'", err, data)
	}
	var apiErr *control.APIError
	if errors.As(err, &apiErr) {
		for _, op := range ops {
			if msg, ok := strings.CutPrefix(apiErr.Message, op+": "); ok {
				return errors.New(msg)
			}
		}
	}
	return err
}

// writeInstances prints instances as a table.
func writeInstances(w io.Writer, instances []supervisor.Info, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tINSTANCE\tPID\tSTATE\tVERSION\tUPTIME\tRESTARTS\tADDRESS")
	for _, in := range instances {
		uptime := "-"
		if in.State != supervisor.StateExited && !in.Started.IsZero() {
			uptime = now.Sub(in.Started).Round(time.Second).String()
		}
		addr := in.GRPCAddr
		if in.HTTPAddr != "" {
			addr += " http://" + in.HTTPAddr
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s\n", in.Service, in.ID, in.PID, in.State,
			orDash(in.Version), uptime, in.Restarts, addr)
	}
	return tw.Flush()
}

// writeFaults prints the fault rules in force, if any.
func writeFaults(w io.Writer, faults []registry.Fault) {
	if len(faults) == 0 {
		return
	}
	fmt.Fprintln(w, "\nfaults in force:")
	for _, f := range faults {
		fmt.Fprintf(w, "  %s\n", f)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
