// Command bazaar runs and operates the Bazaar shop: `bazaar up` starts
// every service as its own process on this machine; `bazaar status`,
// `scale`, `kill`, `restart`, `upgrade`, `logs` and `fault` operate the
// running shop through its control API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/resilience/ejection"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ejection.Register() // the client policy of every connection (single-process shop, verify)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand of the CLI.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"up", "build and start every service, print the storefront URL, run until interrupted", runUp},
		{"status", "list the running instances (--json for machines)", runStatus},
		{"scale", "run N instances of a service: scale SERVICE=N", runScale},
		{"kill", "kill -9 a service's instances, or one: kill SERVICE[/INSTANCE]", runKill},
		{"restart", "restart a service's instances one at a time, without downtime", runRestart},
		{"upgrade", "rebuild a service and roll its instances onto the new binary", runUpgrade},
		{"logs", "print the instances' merged logs: logs [SERVICE] [-f]", runLogs},
		{"fault", "inject latency, errors or a blackhole between services: fault 'FROM->TO' …", runFault},
		{"nats", "run the event bus (NATS JetStream) in the foreground; 'up' runs it for you", runNATS},
		{"probe", "exit 0 if the process whose admin port is -admin-addr is ready (container health checks)", runProbe},
		{"load", "drive the storefront with the standard workload, open-loop, and report latencies", runLoad},
		{"profile", "CPU-profile every running instance at once and tell where the time goes", runProfile},
		{"chaos", "run one fault experiment under load and report what held: chaos EXPERIMENT (chaos list)", runChaos},
		{"verify", "check the order flow's invariants through the services' APIs", runVerify},
		{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			_, err := fmt.Fprintln(stdout, version)
			return err
		}},
	}
}

// run dispatches args to a subcommand and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var coded interface{ ExitCode() int }
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &coded):
			report(stderr, c.name, err)
			return coded.ExitCode()
		default:
			report(stderr, c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "bazaar: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// report prints a command's error once prefixed with the command, whose
// flag errors already carry it.
func report(w io.Writer, name string, err error) {
	msg := err.Error()
	if prefix := "bazaar " + name + ": "; !strings.HasPrefix(msg, prefix) {
		msg = prefix + msg
	}
	fmt.Fprintln(w, msg)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Bazaar: an online shop made of independent services.\n\nUsage: bazaar COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'bazaar COMMAND -h' for a command's flags.")
}
