package resilience

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// CPU reports how busy the machine's processors have recently been, from 0
// (idle) to 1 (saturated).
type CPU interface {
	Usage() float64
}

// cpuSampleEvery is how often ProcCPU reads /proc/stat; between reads it
// answers the last smoothed value.
const cpuSampleEvery = 200 * time.Millisecond

// ProcCPU reads the machine's CPU utilisation from /proc/stat, at most
// every 200 ms and only when asked (no goroutine), smoothed over the last
// few samples. Where /proc/stat cannot be read (not Linux) it reports 1,
// so shedding falls back to its in-flight test alone. In a container it
// sees the host's processors, which on a shared machine is the resource
// that runs out.
type ProcCPU struct {
	path string
	now  func() time.Time

	mu       sync.Mutex
	at       time.Time
	busy     uint64
	total    uint64
	smoothed float64
}

// NewProcCPU returns a ProcCPU reading /proc/stat.
func NewProcCPU() *ProcCPU {
	return &ProcCPU{path: "/proc/stat", now: time.Now}
}

// Usage returns the smoothed utilisation. A caller that finds the sample
// stale while another is refreshing it gets the previous value rather
// than waiting.
func (c *ProcCPU) Usage() float64 {
	if !c.mu.TryLock() {
		return c.smoothedValue()
	}
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.at) < cpuSampleEvery {
		return c.smoothed
	}
	busy, total, err := readProcStat(c.path)
	if err != nil {
		c.smoothed = 1
		c.at = now
		return c.smoothed
	}
	if c.total != 0 && total > c.total {
		instant := float64(busy-c.busy) / float64(total-c.total)
		c.smoothed = 0.5*c.smoothed + 0.5*instant
	}
	c.at, c.busy, c.total = now, busy, total
	return c.smoothed
}

func (c *ProcCPU) smoothedValue() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.smoothed
}

// readProcStat returns the busy and total jiffies of the "cpu" line of a
// /proc/stat file: idle and iowait count as not busy.
func readProcStat(path string) (busy, total uint64, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("read cpu usage: %w", err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	sc := bufio.NewScanner(bytes.NewReader(line))
	sc.Split(bufio.ScanWords)
	if !sc.Scan() || sc.Text() != "cpu" {
		return 0, 0, fmt.Errorf("read cpu usage: %s has no cpu line first", path)
	}
	var idle uint64
	for i := 0; sc.Scan(); i++ {
		v, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("read cpu usage: field %d of %s: %w", i+1, path, err)
		}
		if i >= 8 { // guest times are already counted in user and nice
			break
		}
		total += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	if total == 0 {
		return 0, 0, fmt.Errorf("read cpu usage: %s has an empty cpu line", path)
	}
	return total - idle, total, nil
}
