package main

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"

	"github.com/bazaar-shop/bazaar/internal/supervisor"
)

const logsUsage = "bazaar logs [-data DIR] [-f] [-n LINES] [SERVICE]"

// logsConfig is the settings of `bazaar logs`.
type logsConfig struct {
	data    string
	service string
	follow  bool
	tail    int
}

func parseLogs(args []string, stdout io.Writer) (logsConfig, error) {
	var c logsConfig
	fs := opFlags("logs", &c.data)
	fs.BoolVar(&c.follow, "f", false, "follow: keep printing new lines until interrupted")
	fs.IntVar(&c.tail, "n", 100, "how many of the latest lines to print first")
	fs.Check("n", func() bool { return c.tail >= 0 && c.tail <= supervisor.MaxLogTail }, fmt.Sprintf("must be in 0..%d", supervisor.MaxLogTail))
	pos, err := parseArgs(fs, args, stdout, logsUsage)
	if err != nil {
		return c, err
	}
	switch len(pos) {
	case 0:
	case 1:
		c.service = pos[0]
	default:
		return c, usageError(logsUsage, "want at most one SERVICE, got %d arguments", len(pos))
	}
	return c, nil
}

// runLogs is `bazaar logs`: the instances' merged output, each line
// prefixed with its instance, in one colour per service on a terminal.
func runLogs(ctx context.Context, args []string, stdout, _ io.Writer) error {
	c, err := parseLogs(args, stdout)
	if err != nil {
		return err
	}
	shop, err := openShop(c.data)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	colour := isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	err = shop.Logs(ctx, supervisor.LogOptions{Service: c.service, Tail: c.tail, Follow: c.follow}, func(l supervisor.LogLine) error {
		if _, err := out.WriteString(formatLogLine(l, colour)); err != nil {
			return err
		}
		if c.follow {
			return out.Flush()
		}
		return nil
	})
	if err != nil {
		return explain(err, c.data, "logs")
	}
	return nil
}

// formatLogLine prefixes the line with its instance, coloured by service
// when colour is on.
func formatLogLine(l supervisor.LogLine, colour bool) string {
	prefix := fmt.Sprintf("%-18s|", l.Instance)
	if colour {
		prefix = "\x1b[" + serviceColour(l.Service) + "m" + prefix + "\x1b[0m"
	}
	return prefix + " " + l.Line + "\n"
}

// serviceColour is the ANSI colour of a service: the shop's services get
// distinct ones, in start order; any other a colour from its name.
func serviceColour(service string) string {
	palette := []string{"31", "32", "33", "34", "35", "36", "91", "92", "93", "94", "95", "96"}
	names := []string{"nats"}
	for _, s := range services() {
		names = append(names, s.name)
	}
	if i := slices.Index(names, service); i >= 0 {
		return palette[i%len(palette)]
	}
	h := fnv.New32a()
	h.Write([]byte(service))
	return palette[h.Sum32()%uint32(len(palette))]
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
