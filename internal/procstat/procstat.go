// Package procstat reads what a process has used from Linux's /proc: its
// CPU time and its resident memory. The benchmarks use it to report
// CPU-seconds per 1,000 requests and memory per service.
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// userHZ is the unit of /proc's CPU times: USER_HZ, 100 on every Linux
// architecture Go supports (it is part of the kernel's ABI, unlike the
// kernel's own HZ).
const userHZ = 100

// Reader reads /proc (or another root, for tests).
type Reader struct {
	// Root is the proc file system's mount point; "" means /proc.
	Root string
}

func (r Reader) path(pid int, file string) string {
	root := r.Root
	if root == "" {
		root = "/proc"
	}
	return filepath.Join(root, strconv.Itoa(pid), file)
}

// CPUSeconds returns the CPU time, user and system, process pid has used.
func (r Reader) CPUSeconds(pid int) (float64, error) {
	raw, err := os.ReadFile(r.path(pid, "stat"))
	if err != nil {
		return 0, fmt.Errorf("cpu of pid %d: %w", pid, err)
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// count the fields after its closing parenthesis.
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return 0, fmt.Errorf("cpu of pid %d: malformed stat %q", pid, raw)
	}
	fields := strings.Fields(string(raw[end+1:]))
	// fields[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("cpu of pid %d: stat has %d fields", pid, len(fields)+2)
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cpu of pid %d: utime %q stime %q", pid, fields[11], fields[12])
	}
	return float64(utime+stime) / userHZ, nil
}

// RSSBytes returns process pid's resident memory (VmRSS).
func (r Reader) RSSBytes(pid int) (int64, error) {
	f, err := os.Open(r.path(pid, "status"))
	if err != nil {
		return 0, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, unit, _ := strings.Cut(strings.TrimSpace(rest), " ")
		n, err := strconv.ParseInt(kb, 10, 64)
		if err != nil || unit != "kB" {
			return 0, fmt.Errorf("memory of pid %d: VmRSS %q", pid, rest)
		}
		return n * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	return 0, fmt.Errorf("memory of pid %d: no VmRSS (a kernel thread or a zombie)", pid)
}
