package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bazaar-shop/bazaar/internal/control"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// Target is the running shop an experiment acts on.
type Target interface {
	// Instances returns the ids of component's running instances,
	// oldest first.
	Instances(ctx context.Context, component string) ([]string, error)
	// Kill kill -9s target: every instance of a component, or one
	// instance by its id.
	Kill(ctx context.Context, target string) error
	// Pause stops target's processes (a component's, or one instance's)
	// until resume is called.
	Pause(ctx context.Context, target string) (resume func() error, err error)
	// SetFault puts a fault rule in force; ClearFault lifts the rules of
	// one call path.
	SetFault(ctx context.Context, f registry.Fault) error
	ClearFault(ctx context.Context, from, to string) error
	// FillDisk fills the file system of service's data directory until
	// free is called.
	FillDisk(ctx context.Context, service string) (free func() error, err error)
	// Calls returns how many calls service's servers handled (attempts,
	// retries included) and how many calls its callers' clients made
	// (one per call, however many attempts), since they started.
	Calls(ctx context.Context, service string) (attempts, calls float64, err error)
}

// LocalShop is a shop run by `bazaar up` on this machine: it is operated
// through its control API, its processes signalled directly.
type LocalShop struct {
	control *control.Client
	data    string
	http    *http.Client
}

// NewLocalShop returns the Target of the shop whose data directory is
// data, operated through ctl.
func NewLocalShop(ctl *control.Client, data string) *LocalShop {
	return &LocalShop{control: ctl, data: data, http: &http.Client{Timeout: 5 * time.Second}}
}

// Instances implements Target: the instances the supervisor runs,
// neither exited nor draining.
func (s *LocalShop) Instances(ctx context.Context, component string) ([]string, error) {
	st, err := s.control.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("instances of %s: %w", component, err)
	}
	var ids []string
	for _, in := range st.Instances { // by service, oldest first
		if in.Service == component && in.State != supervisor.StateExited && in.State != supervisor.StateDraining {
			ids = append(ids, in.ID)
		}
	}
	return ids, nil
}

// Kill implements Target.
func (s *LocalShop) Kill(ctx context.Context, target string) error {
	if _, err := s.control.Kill(ctx, target); err != nil {
		return fmt.Errorf("kill %s: %w", target, err)
	}
	return nil
}

// Pause implements Target with SIGSTOP and SIGCONT.
func (s *LocalShop) Pause(ctx context.Context, target string) (func() error, error) {
	st, err := s.control.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("pause %s: %w", target, err)
	}
	var pids []int
	for _, in := range st.Instances {
		if (in.Service == target || in.ID == target) && in.PID > 0 && in.State != supervisor.StateExited {
			pids = append(pids, in.PID)
		}
	}
	if len(pids) == 0 {
		return nil, fmt.Errorf("pause %s: no running instance", target)
	}
	var stopped []int
	resume := func() error {
		var errs []error
		for _, pid := range stopped {
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("resume %s pid %d: %w", target, pid, err))
			}
		}
		return errors.Join(errs...)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			return nil, errors.Join(fmt.Errorf("pause %s pid %d: %w", target, pid, err), resume())
		}
		stopped = append(stopped, pid)
	}
	return resume, nil
}

// SetFault implements Target.
func (s *LocalShop) SetFault(ctx context.Context, f registry.Fault) error {
	if _, err := s.control.SetFault(ctx, f); err != nil {
		return fmt.Errorf("set fault %s: %w", f, err)
	}
	return nil
}

// ClearFault implements Target.
func (s *LocalShop) ClearFault(ctx context.Context, from, to string) error {
	if _, err := s.control.ClearFaults(ctx, from, to); err != nil {
		return fmt.Errorf("clear fault %s->%s: %w", from, to, err)
	}
	return nil
}

// FillDisk implements Target. It refuses a data directory that shares its
// file system with the rest of the machine: filling that would fill the
// machine's disk, not the service's.
func (s *LocalShop) FillDisk(_ context.Context, service string) (func() error, error) {
	dir := filepath.Join(s.data, service)
	own, err := ownFileSystem(dir)
	if err != nil {
		return nil, fmt.Errorf("fill %s: %w", dir, err)
	}
	if !own {
		return nil, fmt.Errorf("fill %s: it is not a file system of its own; before 'bazaar up', give it one, e.g. "+
			"'mkdir -p %s && sudo mount -t tmpfs -o size=64m tmpfs %s'", dir, dir, dir)
	}
	return fill(filepath.Join(dir, "chaos-disk-full"))
}

// ownFileSystem reports whether dir is a mount point: on another device
// than its parent.
func ownFileSystem(dir string) (bool, error) {
	var st, parent syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return false, err
	}
	if err := syscall.Stat(filepath.Dir(dir), &parent); err != nil {
		return false, err
	}
	return st.Dev != parent.Dev, nil
}

// fill writes path until the file system has no space left, and returns
// the function that removes it.
func fill(path string) (func() error, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	free := func() error {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("free disk: %w", err)
		}
		return nil
	}
	// Big blocks first, then small ones, so that not even a page is left.
	for _, size := range []int{1 << 20, 4096, 512} {
		block := make([]byte, size)
		for {
			_, err := f.Write(block)
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			if err != nil {
				f.Close()
				return nil, errors.Join(fmt.Errorf("fill %s: %w", path, err), free())
			}
		}
	}
	if err := f.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		return nil, errors.Join(fmt.Errorf("fill %s: %w", path, err), free())
	}
	return free, nil
}

// Calls implements Target by reading every instance's /metrics.
func (s *LocalShop) Calls(ctx context.Context, service string) (attempts, calls float64, err error) {
	snap, err := registry.Read(filepath.Join(s.data, "registry.json"))
	if err != nil {
		return 0, 0, fmt.Errorf("count calls to %s: %w", service, err)
	}
	label := `grpc_service="bazaar.` + service + `.v1.`
	for _, in := range snap.Instances {
		name := "grpc_client_handled_total"
		if in.Service == service {
			name = "grpc_server_handled_total"
		}
		n, err := s.scrape(ctx, in.AdminAddr, name, label)
		if err != nil {
			return 0, 0, fmt.Errorf("count calls to %s: %s: %w", service, in.ID, err)
		}
		if in.Service == service {
			attempts += n
		} else {
			calls += n
		}
	}
	return attempts, calls, nil
}

// scrape sums the samples of metric name whose labels contain label.
func (s *LocalShop) scrape(ctx context.Context, admin, name, label string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return 0, nil // a process without metrics (the event bus)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("metrics answered %s", resp.Status)
	}
	return sumSamples(resp.Body, name, label)
}

// sumSamples adds the values of the Prometheus text-format samples of
// metric name with label among their labels.
func sumSamples(r io.Reader, name, label string) (float64, error) {
	var total float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") || !strings.Contains(line, label) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("metric line %q: %w", line, err)
		}
		total += v
	}
	return total, sc.Err()
}
