package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bazaar-shop/bazaar/internal/load"
	"github.com/bazaar-shop/bazaar/platform/config"
)

// loadConfig is the settings of `bazaar load`.
type loadConfig struct {
	url      string
	data     string
	rate     float64
	duration time.Duration
	workers  int
	sweep    string
	jsonPath string
	svgPath  string
	marks    string
	seed     uint64
	pids     string

	rates    []float64   // -sweep, parsed
	markList []load.Mark // -mark, parsed
}

func parseLoad(args []string, stdout io.Writer) (loadConfig, error) {
	var c loadConfig
	fs := config.NewFlagSet("bazaar load")
	fs.StringVar(&c.url, "url", "", "storefront URL (loopback only), e.g. http://127.0.0.1:8080; default: read from -data")
	fs.StringVar(&c.data, "data", ".bazaar", "data directory of the running shop, to find the storefront when -url is not given")
	fs.Float64Var(&c.rate, "rate", 50, "arrival rate, operations per second")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long operations arrive (per rate with -sweep)")
	fs.IntVar(&c.workers, "workers", 64, "virtual shoppers: at most this many operations run at once")
	fs.StringVar(&c.sweep, "sweep", "", "comma-separated rates to run in turn, e.g. 100,200,400 (replaces -rate)")
	fs.StringVar(&c.jsonPath, "json", "", "write the results as JSON to this file")
	fs.StringVar(&c.svgPath, "svg", "", "write a latency-over-time chart (SVG) to this file")
	fs.StringVar(&c.marks, "mark", "", "comma-separated START:END windows in seconds to shade on the chart (fault windows)")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the random choices, for a reproducible sequence")
	fs.StringVar(&c.pids, "pids", "", "comma-separated process ids whose CPU and memory to report (default: the shop on -data, when it runs here)")
	fs.Check("rate", func() bool { return c.rate > 0 && c.rate <= 1e6 }, "must be in (0, 1000000]")
	fs.Check("duration", func() bool { return c.duration > 0 }, "must be positive")
	fs.Check("workers", func() bool { return c.workers > 0 && c.workers <= 10000 }, "must be 1..10000")
	fs.Check("sweep", func() bool {
		var err error
		c.rates, err = parseRates(c.sweep)
		return err == nil
	}, "want rates in (0, 1000000] separated by commas")
	fs.Check("mark", func() bool {
		var err error
		c.markList, err = parseMarks(c.marks)
		return err == nil
	}, "want START:END windows in seconds, 0 <= START < END, separated by commas")
	fs.Check("url", func() bool { return c.url != "" || c.data != "" }, "give -url or -data")
	err := fs.Parse(args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage(stdout)
	}
	return c, err
}

func parseRates(s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	var rates []float64
	for _, f := range strings.Split(s, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(r > 0 && r <= 1e6) {
			return nil, fmt.Errorf("rate %q", f)
		}
		rates = append(rates, r)
	}
	return rates, nil
}

func parseMarks(s string) ([]load.Mark, error) {
	if s == "" {
		return nil, nil
	}
	var marks []load.Mark
	for _, f := range strings.Split(s, ",") {
		m, err := load.ParseMark(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		marks = append(marks, m)
	}
	return marks, nil
}

// storefrontURL returns -url, or the public URL of the shop running on
// -data (the edge in front of its storefront instances).
func storefrontURL(c loadConfig) (string, error) {
	if c.url != "" {
		return c.url, nil
	}
	return publicURL(c.data)
}

// runLoad is `bazaar load`: it drives the storefront with the standard
// workload, open-loop, and reports latencies per operation.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseLoad(args, stdout)
	if err != nil {
		return err
	}
	target, err := storefrontURL(c)
	if err != nil {
		return err
	}
	mix, err := load.NewMix(load.StandardMix())
	if err != nil {
		return err
	}
	shop, err := load.NewShop(ctx, target, c.workers, c.seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "loading %s (%d products) with %d shoppers\n", target, len(shop.Products()), c.workers)
	o := load.Options{Rate: c.rate, Duration: c.duration, Workers: c.workers, Seed: c.seed, Progress: stderr,
		Groups: []load.Group{load.ExceptSignIn()}}
	procs, err := meterFor(c.data, c.pids)
	if err != nil {
		return err
	}
	if procs != nil {
		o.CPU = func() (float64, error) {
			u, err := procs.sample(ctx)
			return u.total(), err
		}
	}
	if len(c.rates) > 0 {
		rows, err := load.Sweep(ctx, shop, mix, o, c.rates)
		if werr := load.WriteSweep(stdout, rows); werr != nil && err == nil {
			err = werr
		}
		return err
	}
	var before procUsage
	if procs != nil {
		if before, err = procs.sample(ctx); err != nil {
			return err
		}
	}
	res, err := load.Run(ctx, shop, mix, o)
	if err != nil {
		return err
	}
	if err := res.WriteTable(stdout); err != nil {
		return err
	}
	if procs != nil {
		after, err := procs.sample(ctx)
		if err != nil {
			return err
		}
		if err := writeUsage(stdout, before, after, res.Total.Count); err != nil {
			return err
		}
	}
	if c.jsonPath != "" {
		if err := writeFile(c.jsonPath, res.WriteJSON); err != nil {
			return err
		}
	}
	if c.svgPath != "" {
		return writeFile(c.svgPath, func(w io.Writer) error { return load.WriteSVG(w, res, c.markList) })
	}
	return nil
}

// writeFile creates path and fills it with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
