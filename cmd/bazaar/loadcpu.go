package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/bazaar-shop/bazaar/internal/control"
	"github.com/bazaar-shop/bazaar/internal/procstat"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
)

// procUsage is what the shop's processes have used so far, per service.
type procUsage struct {
	cpu map[string]float64 // CPU-seconds
	rss map[string]int64   // resident bytes now
}

func (u procUsage) total() float64 {
	var t float64
	for _, v := range u.cpu {
		t += v
	}
	return t
}

// processes lists what to measure: a running shop's instances, from its
// control API, or the pids given (a single-process shop).
type processes struct {
	ctl  *control.Client
	up   int // pid of `bazaar up`: the edge, supervisor and console
	pids []int
	proc procstat.Reader
}

// upProcess names the `bazaar up` process in the CPU table: it proxies
// every request (the edge) and receives every span (the console).
const upProcess = "bazaar up (edge, console)"

// meterFor returns the processes of the shop on data, or of pids when
// given; nil when neither is there to measure (a remote -url).
func meterFor(data, pids string) (*processes, error) {
	if pids != "" {
		var p processes
		for _, f := range strings.Split(pids, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("-pids: %q is not a process id", f)
			}
			p.pids = append(p.pids, n)
		}
		return &p, nil
	}
	ctl, err := control.Open(data)
	if err != nil {
		return nil, nil // no local shop: nothing to measure
	}
	f, err := control.ReadFile(control.FilePath(data))
	if err != nil {
		return nil, fmt.Errorf("measure the shop's processes: %w", err)
	}
	return &processes{ctl: ctl, up: f.PID}, nil
}

// sample reads every process's CPU time and memory now. A process that
// is gone (restarted) counts from its replacement's start.
func (p *processes) sample(ctx context.Context) (procUsage, error) {
	u := procUsage{cpu: map[string]float64{}, rss: map[string]int64{}}
	add := func(name string, pid int) {
		if cpu, err := p.proc.CPUSeconds(pid); err == nil {
			u.cpu[name] += cpu
		}
		if rss, err := p.proc.RSSBytes(pid); err == nil {
			u.rss[name] += rss
		}
	}
	if p.ctl == nil {
		for _, pid := range p.pids {
			add("pid "+strconv.Itoa(pid), pid)
		}
		return u, nil
	}
	st, err := p.ctl.Status(ctx)
	if err != nil {
		return u, fmt.Errorf("measure the shop's processes: %w", err)
	}
	for _, in := range st.Instances {
		if in.PID > 0 && in.State != supervisor.StateExited {
			add(in.Service, in.PID)
		}
	}
	if p.up > 0 {
		add(upProcess, p.up)
	}
	return u, nil
}

// writeUsage prints CPU per 1,000 operations and memory per service.
func writeUsage(w io.Writer, before, after procUsage, ops int64) error {
	names := make([]string, 0, len(after.cpu))
	for n := range after.cpu {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "process\tcpu s\tcpu s/1000 ops\trss MB\t")
	row := func(name string, cpu float64, rss int64) {
		per := 0.0
		if ops > 0 {
			per = 1000 * cpu / float64(ops)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.3f\t%.1f\t\n", name, cpu, per, float64(rss)/(1<<20))
	}
	var rssTotal int64
	for _, n := range names {
		row(n, max(after.cpu[n]-before.cpu[n], 0), after.rss[n])
		rssTotal += after.rss[n]
	}
	row("whole shop", max(after.total()-before.total(), 0), rssTotal)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write procUsage: %w", err)
	}
	return nil
}
