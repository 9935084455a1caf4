package procstat

import (
	"os"
	"testing"
)

func TestReadFromAFixture(t *testing.T) {
	r := Reader{Root: "testdata"}
	cpu, err := r.CPUSeconds(42)
	if err != nil || cpu != 3.25 { // (250 + 75) / 100
		t.Errorf("CPUSeconds = %v, %v; want 3.25", cpu, err)
	}
	rss, err := r.RSSBytes(42)
	if err != nil || rss != 12345*1024 {
		t.Errorf("RSSBytes = %v, %v; want %d", rss, err, 12345*1024)
	}
	for _, pid := range []int{43, 44} {
		if _, err := r.CPUSeconds(pid); err == nil {
			t.Errorf("CPUSeconds(%d): no error for a malformed or missing stat", pid)
		}
		if _, err := r.RSSBytes(pid); err == nil {
			t.Errorf("RSSBytes(%d): no error without VmRSS", pid)
		}
	}
}

// TestReadThisProcess: the real /proc agrees that this process has used
// some CPU and holds some memory, and CPU time only grows.
func TestReadThisProcess(t *testing.T) {
	var r Reader
	before, err := r.CPUSeconds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	after, err := r.CPUSeconds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after < before || x == 0 {
		t.Errorf("CPU time went from %v to %v", before, after)
	}
	if rss, err := r.RSSBytes(os.Getpid()); err != nil || rss < 1<<20 {
		t.Errorf("RSSBytes = %d, %v; want at least 1 MiB", rss, err)
	}
}
