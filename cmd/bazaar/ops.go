package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/bazaar-shop/bazaar/internal/control"
)

// Usage lines of the operating commands.
const (
	scaleUsage   = "bazaar scale [-data DIR] SERVICE=N"
	killUsage    = "bazaar kill [-data DIR] SERVICE | SERVICE/INSTANCE | INSTANCE"
	restartUsage = "bazaar restart [-data DIR] SERVICE"
	upgradeUsage = "bazaar upgrade [-data DIR] SERVICE"
)

// runScale is `bazaar scale SERVICE=N`: it runs N instances of the service
// and returns once they are ready (or the extra ones drained).
func runScale(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var data string
	pos, err := parseArgs(opFlags("scale", &data), args, stdout, scaleUsage)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(scaleUsage, "want one SERVICE=N argument, got %d", len(pos))
	}
	service, n, err := parseScale(pos[0])
	if err != nil {
		return usageError(scaleUsage, "%v", err)
	}
	c, err := openShop(data)
	if err != nil {
		return err
	}
	res, err := c.Scale(ctx, service, n)
	if err != nil {
		return explain(err, data, "scale")
	}
	fmt.Fprintf(stdout, "%s: %d instance(s)\n", service, len(res.Instances))
	return writeInstances(stdout, res.Instances, time.Now())
}

// parseScale reads "cart=3".
func parseScale(arg string) (string, int, error) {
	service, count, ok := strings.Cut(arg, "=")
	if !ok || service == "" || count == "" {
		return "", 0, fmt.Errorf("%q is not SERVICE=N", arg)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 {
		return "", 0, fmt.Errorf("%q: N must be a number of instances, 0 or more", arg)
	}
	return service, n, nil
}

// runKill is `bazaar kill TARGET`: SIGKILL, as a crash would; the
// supervisor's restart policy brings the instances back.
func runKill(ctx context.Context, args []string, stdout, _ io.Writer) error {
	var data string
	pos, err := parseArgs(opFlags("kill", &data), args, stdout, killUsage)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(killUsage, "want one target, got %d", len(pos))
	}
	target, err := parseKillTarget(pos[0])
	if err != nil {
		return usageError(killUsage, "%v", err)
	}
	c, err := openShop(data)
	if err != nil {
		return err
	}
	killed, err := c.Kill(ctx, target)
	if err != nil {
		return explain(err, data, "kill")
	}
	_, err = fmt.Fprintf(stdout, "killed %s (the supervisor restarts crashed instances; see 'bazaar status')\n", strings.Join(killed, ", "))
	return err
}

// parseKillTarget reads "cart" (every instance), "cart-2", "cart/cart-2"
// or "cart/2" (one instance) into what the control API takes.
func parseKillTarget(arg string) (string, error) {
	service, instance, ok := strings.Cut(arg, "/")
	switch {
	case arg == "" || strings.ContainsAny(arg, " \t"):
		return "", fmt.Errorf("%q is not a service or an instance", arg)
	case !ok:
		return arg, nil
	case service == "" || instance == "" || strings.Contains(instance, "/"):
		return "", fmt.Errorf("%q is not SERVICE/INSTANCE", arg)
	}
	if _, err := strconv.Atoi(instance); err == nil {
		return service + "-" + instance, nil // cart/2
	}
	if !strings.HasPrefix(instance, service+"-") {
		return "", fmt.Errorf("instance %q is not one of service %q (its ids are %s-N)", instance, service, service)
	}
	return instance, nil
}

// runRestart is `bazaar restart SERVICE`: a rolling restart.
func runRestart(ctx context.Context, args []string, stdout, _ io.Writer) error {
	return runServiceOp(ctx, "restart", restartUsage, args, stdout, (*control.Client).Restart)
}

// runUpgrade is `bazaar upgrade SERVICE`: rebuild, then a rolling restart
// onto the new binary.
func runUpgrade(ctx context.Context, args []string, stdout, _ io.Writer) error {
	return runServiceOp(ctx, "upgrade", upgradeUsage, args, stdout, (*control.Client).Upgrade)
}

// runServiceOp runs one operation on one service and prints its instances
// afterwards.
func runServiceOp(ctx context.Context, name, usage string, args []string, stdout io.Writer,
	op func(*control.Client, context.Context, string) (control.ServiceResult, error)) error {
	var data string
	pos, err := parseArgs(opFlags(name, &data), args, stdout, usage)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usageError(usage, "want one SERVICE argument, got %d", len(pos))
	}
	c, err := openShop(data)
	if err != nil {
		return err
	}
	if name == "upgrade" {
		fmt.Fprintf(stdout, "upgrade %s: building, then replacing one instance at a time…\n", pos[0])
	} else {
		fmt.Fprintf(stdout, "restart %s: replacing one instance at a time…\n", pos[0])
	}
	res, err := op(c, ctx, pos[0])
	if err != nil {
		return explain(err, data, name)
	}
	if res.Version != "" {
		fmt.Fprintf(stdout, "%s runs version %s\n", res.Service, res.Version)
	}
	return writeInstances(stdout, res.Instances, time.Now())
}
