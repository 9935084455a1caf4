package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// Instance is one running process of a service.
type Instance struct {
	// ID names the instance ("catalog-1").
	ID string
	// Service is the service's name.
	Service string
	// GRPCAddr, AdminAddr and HTTPAddr are where the instance listens.
	GRPCAddr, AdminAddr, HTTPAddr string
	// LogPath is the file its standard output and error go to.
	LogPath string

	spec     Spec
	seq      int // the number in the id: instances of a service by age
	restarts int
	cmd      *exec.Cmd
	started  time.Time
	done     chan struct{}

	mu      sync.Mutex
	exitErr error
	ready   bool // the last readiness probe passed
	joined  bool // it was ready once: it is no longer starting
	stop    bool // stopped on purpose: draining, never restarted
}

// State is where an instance is in its life.
type State string

// The states of an instance.
const (
	// StateStarting: the process runs but was never ready yet.
	StateStarting State = "starting"
	// StateReady: its last readiness probe passed; it is in the registry.
	StateReady State = "ready"
	// StateUnready: it was ready but its last probe failed; it left the
	// registry until a probe passes again.
	StateUnready State = "unready"
	// StateDraining: it is being stopped on purpose (scale down, rolling
	// restart, shutdown): out of the registry, finishing its work.
	StateDraining State = "draining"
	// StateExited: the process has ended; a crashed instance stays in
	// this state until its restart replaces it.
	StateExited State = "exited"
)

// Info describes one instance at one moment, as `bazaar status`, the
// control API and the console show it.
type Info struct {
	ID        string    `json:"id"`
	Service   string    `json:"service"`
	PID       int       `json:"pid"`
	GRPCAddr  string    `json:"grpc_addr"`
	AdminAddr string    `json:"admin_addr"`
	HTTPAddr  string    `json:"http_addr,omitempty"`
	Version   string    `json:"version,omitempty"`
	Binary    string    `json:"binary"`
	State     State     `json:"state"`
	Restarts  int       `json:"restarts"`
	Started   time.Time `json:"started"`
	// Exit is how the process ended, for an exited instance.
	Exit string `json:"exit,omitempty"`
}

// startInstance starts the process of one instance. prev, the instance it
// replaces after a crash, lends it its addresses and restart count; nil
// picks fresh ports (a fixed Spec.GRPCAddr or HTTPAddr is kept).
func startInstance(cfg Config, id string, spec Spec, prev *Instance) (*Instance, error) {
	var grpcAddr, adminAddr, httpAddr string
	var err error
	restarts := 0
	switch {
	case prev != nil:
		grpcAddr, adminAddr, httpAddr, restarts = prev.GRPCAddr, prev.AdminAddr, prev.HTTPAddr, prev.restarts+1
	default:
		grpcAddr, httpAddr = spec.GRPCAddr, spec.HTTPAddr
		if grpcAddr == "" {
			if grpcAddr, err = freeAddr(cfg.Host); err != nil {
				return nil, fmt.Errorf("start %s: %w", id, err)
			}
		}
		if adminAddr, err = freeAddr(cfg.Host); err != nil {
			return nil, fmt.Errorf("start %s: %w", id, err)
		}
		if httpAddr == "" && spec.HTTP {
			if httpAddr, err = freeAddr(cfg.Host); err != nil {
				return nil, fmt.Errorf("start %s: %w", id, err)
			}
		}
	}
	dataDir := filepath.Join(cfg.DataDir, spec.Name)
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("start %s: create data directory: %w", id, err)
	}
	logPath := filepath.Join(cfg.DataDir, "logs", id+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("start %s: open log: %w", id, err)
	}
	cmd := exec.Command(spec.Binary, spec.Args...)
	cmd.Env = append(os.Environ(),
		"BAZAAR_INSTANCE="+id,
		"BAZAAR_GRPC_ADDR="+grpcAddr,
		"BAZAAR_ADMIN_ADDR="+adminAddr,
		"BAZAAR_DATA="+dataDir,
		"BAZAAR_REGISTRY="+RegistryPath(cfg.DataDir),
	)
	if httpAddr != "" {
		cmd.Env = append(cmd.Env, "BAZAAR_HTTP_ADDR="+httpAddr)
	}
	tlsEnv, err := identityEnv(cfg, spec.Name)
	if err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", id, err)
	}
	cmd.Env = append(cmd.Env, tlsEnv...)
	cmd.Env = append(cmd.Env, spec.Env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group: a Ctrl-C in the terminal reaches the
		// supervisor only, which then stops instances in order.
		Setpgid: true,
		// If the supervisor dies, so do its instances: no orphans.
		Pdeathsig: syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", id, err)
	}
	in := &Instance{
		ID: id, Service: spec.Name,
		GRPCAddr: grpcAddr, AdminAddr: adminAddr, HTTPAddr: httpAddr,
		LogPath:  logPath,
		spec:     spec,
		restarts: restarts,
		cmd:      cmd,
		started:  time.Now(),
		done:     make(chan struct{}),
	}
	go func() {
		err := cmd.Wait()
		_ = logFile.Close()
		in.mu.Lock()
		in.exitErr = err
		in.mu.Unlock()
		close(in.done)
	}()
	return in, nil
}

// freeAddr finds a free TCP port on host. The port is released before the
// instance binds it; on loopback the window for another taker is tiny.
func freeAddr(host string) (string, error) { return FreeAddr(host) }

// Ports below the kernel's ephemeral range (32768–60999 by default on
// Linux) are never handed to outgoing connections, so a port found free
// there stays free until the instance binds it, unless another listener
// takes it; ports found free in the ephemeral range are often taken by a
// client's connect() in between.
const (
	loPort = 20000
	hiPort = 32768
)

// FreeAddr finds a TCP port on host that is free now, preferring ports
// outside the ephemeral range; the port is released before it is used,
// so a caller should bind it soon.
func FreeAddr(host string) (string, error) {
	for range 64 {
		addr := net.JoinHostPort(host, strconv.Itoa(loPort+rand.IntN(hiPort-loPort)))
		if l, err := net.Listen("tcp", addr); err == nil {
			if err := l.Close(); err != nil {
				return "", fmt.Errorf("find a free port on %s: %w", host, err)
			}
			return addr, nil
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("find a free port on %s: %w", host, err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("find a free port on %s: %w", host, err)
	}
	return addr, nil
}

// Restarts is how many times the instance was restarted after a crash.
func (in *Instance) Restarts() int { return in.restarts }

// Version is the version of the binary the instance runs ("" if unknown).
func (in *Instance) Version() string { return in.spec.Version }

// Binary is the path of the executable the instance runs.
func (in *Instance) Binary() string { return in.spec.Binary }

// State is where the instance is in its life now.
func (in *Instance) State() State {
	select {
	case <-in.done:
		return StateExited
	default:
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case in.stop:
		return StateDraining
	case !in.joined:
		return StateStarting
	case in.ready:
		return StateReady
	default:
		return StateUnready
	}
}

// Info describes the instance now.
func (in *Instance) Info() Info {
	info := Info{
		ID: in.ID, Service: in.Service, PID: in.PID(),
		GRPCAddr: in.GRPCAddr, AdminAddr: in.AdminAddr, HTTPAddr: in.HTTPAddr,
		Version: in.spec.Version, Binary: in.spec.Binary,
		State: in.State(), Restarts: in.restarts, Started: in.started,
	}
	if info.State == StateExited {
		info.Exit = "exited"
		if err := in.ExitErr(); err != nil {
			info.Exit = err.Error()
		}
	}
	return info
}

// PID is the instance's process id.
func (in *Instance) PID() int { return in.cmd.Process.Pid }

// Started is when the process was started.
func (in *Instance) Started() time.Time { return in.started }

// Done is closed when the process has exited.
func (in *Instance) Done() <-chan struct{} { return in.done }

// ExitErr is how the process ended (nil while it runs or after a clean exit).
func (in *Instance) ExitErr() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.exitErr
}

// Ready reports whether the last readiness probe succeeded.
func (in *Instance) Ready() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.ready
}

// setReady records a probe result and reports whether it changed.
func (in *Instance) setReady(r bool) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	changed := in.ready != r
	in.ready = r
	in.joined = in.joined || r
	return changed
}

func (in *Instance) markStopping() {
	in.mu.Lock()
	in.stop = true
	in.mu.Unlock()
}

func (in *Instance) stopping() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stop
}

// Record is the instance as the registry lists it.
func (in *Instance) Record() registry.Instance {
	return registry.Instance{
		ID: in.ID, Service: in.Service,
		GRPCAddr: in.GRPCAddr, AdminAddr: in.AdminAddr, HTTPAddr: in.HTTPAddr,
		Version: in.spec.Version, PID: in.PID(), Started: in.started,
	}
}

func (in *Instance) signalTerm() error {
	err := in.cmd.Process.Signal(syscall.SIGTERM)
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

func (in *Instance) kill() error {
	err := in.cmd.Process.Kill()
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// LogTail returns the last n lines of the instance's log, for error
// messages.
func (in *Instance) LogTail(n int) string {
	b, err := os.ReadFile(in.LogPath)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString("    | ")
		sb.Write(l)
		sb.WriteByte('\n')
	}
	return sb.String()
}
