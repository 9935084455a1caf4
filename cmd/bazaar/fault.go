package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

const faultUsage = "bazaar fault [-data DIR] 'FROM->TO' [-latency 200ms] [-errors 0.3] [-blackhole]\n" +
	"       bazaar fault [-data DIR] clear ['FROM->TO']\n" +
	"       bazaar fault [-data DIR]              (list the rules in force)\n" +
	"Quote FROM->TO: a shell reads > as a redirection. 'FROM TO' as two arguments works too."

// faultCommand is what a `bazaar fault` command line asks for.
type faultCommand struct {
	data  string
	list  bool
	clear bool           // clear rule (or every rule when From is "")
	rule  registry.Fault // the rule to set, or the pair to clear
}

func parseFault(args []string, stdout io.Writer) (faultCommand, error) {
	var c faultCommand
	fs := opFlags("fault", &c.data)
	fs.DurationVar(&c.rule.Latency, "latency", 0, "delay every call by this much")
	fs.Float64Var(&c.rule.ErrorRate, "errors", 0, "fail this share of calls (0..1) with UNAVAILABLE")
	fs.BoolVar(&c.rule.Blackhole, "blackhole", false, "calls get no answer until their deadline")
	pos, err := parseArgs(fs, args, stdout, faultUsage)
	if err != nil {
		return c, err
	}
	effect := c.rule.Latency != 0 || c.rule.ErrorRate != 0 || c.rule.Blackhole
	if len(pos) > 0 && pos[0] == "clear" {
		c.clear, pos = true, pos[1:]
		if effect {
			return c, usageError(faultUsage, "clear takes no -latency, -errors or -blackhole")
		}
		if len(pos) == 0 {
			return c, nil // every rule
		}
	} else if len(pos) == 0 {
		if effect {
			return c, usageError(faultUsage, "which calls? name them FROM->TO")
		}
		c.list = true
		return c, nil
	}
	from, to, err := parsePair(pos)
	if err != nil {
		return c, usageError(faultUsage, "%v", err)
	}
	c.rule.From, c.rule.To = from, to
	if !c.clear {
		if err := c.rule.Validate(); err != nil {
			return c, usageError(faultUsage, "%v", err)
		}
	}
	return c, nil
}

// parsePair reads "from->to" or "from" "to".
func parsePair(pos []string) (from, to string, err error) {
	switch len(pos) {
	case 1:
		var ok bool
		if from, to, ok = strings.Cut(pos[0], "->"); !ok {
			return "", "", fmt.Errorf("%q is not FROM->TO", pos[0])
		}
	case 2:
		from, to = pos[0], pos[1]
	default:
		return "", "", fmt.Errorf("want FROM->TO, got %d arguments", len(pos))
	}
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if from == "" || to == "" || strings.ContainsAny(from+to, " >/") {
		return "", "", fmt.Errorf("%q->%q: want two service names", from, to)
	}
	return from, to, nil
}

// runFault is `bazaar fault`: it sets, clears or lists the fault rules
// between services, which the callers' own clients apply.
func runFault(ctx context.Context, args []string, stdout, _ io.Writer) error {
	c, err := parseFault(args, stdout)
	if err != nil {
		return err
	}
	shop, err := openShop(c.data)
	if err != nil {
		return err
	}
	var faults []registry.Fault
	switch {
	case c.list:
		faults, err = shop.Faults(ctx)
	case c.clear:
		faults, err = shop.ClearFaults(ctx, c.rule.From, c.rule.To)
	default:
		faults, err = shop.SetFault(ctx, c.rule)
	}
	if err != nil {
		return explain(err, c.data, "set fault", "clear fault")
	}
	if len(faults) == 0 {
		_, err := fmt.Fprintln(stdout, "no fault rule in force")
		return err
	}
	fmt.Fprintln(stdout, "faults in force (applied within about "+(time.Second/4).String()+"):")
	for _, f := range faults {
		fmt.Fprintf(stdout, "  %s\n", f)
	}
	return nil
}
