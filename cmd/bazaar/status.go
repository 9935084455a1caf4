package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// runStatus is `bazaar status`: the ready instances of the shop running on
// a data directory, read from its registry.
func runStatus(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := config.NewFlagSet("bazaar status")
	var data string
	var asJSON bool
	fs.StringVar(&data, "data", ".bazaar", "data directory of the running shop")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := fs.Parse(args, os.LookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage(stdout)
		}
		return err
	}
	snap, err := registry.Read(supervisor.RegistryPath(data))
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	if len(snap.Instances) == 0 {
		_, err := fmt.Fprintf(stdout, "no instance is running on %s (start the shop with 'bazaar up')\n", data)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tINSTANCE\tPID\tGRPC\tADMIN\tHTTP\tUPTIME")
	for _, in := range snap.Instances {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", in.Service, in.ID, in.PID, in.GRPCAddr, in.AdminAddr, in.HTTPAddr,
			time.Since(in.Started).Round(time.Second))
	}
	return tw.Flush()
}
