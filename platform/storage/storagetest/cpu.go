//go:build unix

package storagetest

import (
	"syscall"
	"testing"
	"time"
)

// ReportCPU starts measuring the CPU time (user and system) the whole test
// process spends; the function it returns, called after the benchmark's
// loop, reports it per iteration as "cpu-ns/op". Wall time (ns/op) of a
// benchmark that commits is mostly waiting for fsync, which varies with
// whatever else uses the disk; cpu-ns/op is the cost a hot path puts on
// the machine. On systems without getrusage it reports nothing.
func ReportCPU(b *testing.B) (report func()) {
	b.Helper()
	start, ok := processCPU()
	return func() {
		end, ok2 := processCPU()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// processCPU is the CPU time this process used so far.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
