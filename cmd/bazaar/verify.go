package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/internal/verify"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// verifyConfig is the settings of `bazaar verify`.
type verifyConfig struct {
	data   string
	grace  time.Duration
	wait   time.Duration
	asJSON bool
	port   int
}

func parseVerify(args []string, stdout io.Writer) (verifyConfig, error) {
	var c verifyConfig
	fs := config.NewFlagSet("bazaar verify")
	fs.StringVar(&c.data, "data", ".bazaar", "data directory of the running shop")
	fs.DurationVar(&c.grace, "grace", verify.DefaultGrace, "how long an order may stay PENDING, or wait for its shipment and e-mail, before it is a violation")
	fs.DurationVar(&c.wait, "wait", 0, "keep checking while orders are in flight, up to this long")
	fs.BoolVar(&c.asJSON, "json", false, "print JSON")
	fs.IntVar(&c.port, "grpc-port", 0, "dial each service as dns:///SERVICE:PORT (containers) instead of through the registry of -data")
	fs.Check("grpc-port", func() bool { return c.port >= 0 && c.port < 65536 }, "must be a port number")
	fs.Check("grace", func() bool { return c.grace > 0 }, "must be positive")
	fs.Check("wait", func() bool { return c.wait >= 0 }, "must not be negative")
	err := fs.Parse(args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage(stdout)
	}
	return c, err
}

// runVerify is `bazaar verify`: it checks the invariants of the order flow
// through the services' APIs and prints what it found. The error it
// returns carries the exit status (verify.ExitError): 1 for a violation,
// 2 when the invariants cannot be checked.
func runVerify(ctx context.Context, args []string, stdout, _ io.Writer) error {
	c, err := parseVerify(args, stdout)
	if err != nil {
		return err
	}
	clients, closeAll, err := verifyClients(c)
	if err != nil {
		return cannotCheck(err)
	}
	defer closeAll()
	rep, err := verify.Run(ctx, clients, verify.Options{Grace: c.grace, Wait: c.wait})
	if err != nil {
		return cannotCheck(err)
	}
	if c.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.Write(stdout)
	}
	if err != nil {
		return err
	}
	if n := len(rep.Violations()); n > 0 {
		return &verify.ExitError{Code: verify.ExitViolation, Err: fmt.Errorf("invariants violated: %d (see the report)", n)}
	}
	return nil
}

// verifyClients dials the services by DNS with -grpc-port, else through
// the local registry, which must list every service unless -wait allows
// them time to come back.
func verifyClients(c verifyConfig) (verify.Clients, func(), error) {
	if c.port != 0 {
		return verify.DialDNS(c.port, nil) // containers run without mTLS (docs/deploy.md)
	}
	path := supervisor.RegistryPath(c.data)
	snap, err := registry.Read(path)
	if err != nil {
		return verify.Clients{}, nil, err
	}
	// With -wait, a service missing now may be back before the wait
	// ends: Run reads again until then.
	if down := verify.Missing(snap); len(down) > 0 && c.wait == 0 {
		return verify.Clients{}, nil, fmt.Errorf("not running (no ready instance in %s): %s", path, strings.Join(down, ", "))
	}
	creds, err := operatorCredentials(c.data)
	if err != nil {
		return verify.Clients{}, nil, err
	}
	return verify.Dial(path, creds)
}

func cannotCheck(err error) error {
	return &verify.ExitError{Code: verify.ExitCannotCheck, Err: fmt.Errorf("cannot check: %w", err)}
}
