// Package dockertest drives the Docker engine for tests through the docker
// CLI (os/exec, no SDK): a private network per test, containers acting as
// hosts, volumes, kills, partitions, and cleanup that always runs. On top of
// it, Shop deploys the whole of Bazaar as containers (see shop.go), the way
// deploy/compose/compose.yaml does, for the multi-host tests.
package dockertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// commandTimeout bounds one docker CLI command.
const commandTimeout = 2 * time.Minute

// Docker runs docker CLI commands.
type Docker struct{}

// Run runs `docker args...` and returns its trimmed standard output, or an
// error carrying standard error.
func (Docker) Run(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Available reports whether the docker CLI reaches an engine.
func (d Docker) Available(ctx context.Context) error {
	_, err := d.Run(ctx, "version", "--format", "{{.Server.Version}}")
	return err
}

// UniqueName returns prefix followed by a random suffix, for networks,
// containers and volumes that must not collide with another test's.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Sandbox is one test's private corner of the engine: a network and the
// containers and volumes made through it, all removed when the test ends,
// whether it passed or not. On failure the containers' last log lines are
// written to the test log first.
type Sandbox struct {
	Docker
	t    testing.TB
	Name string // prefix of every resource, and the network's name

	mu         sync.Mutex // guards containers and volumes: Start may run concurrently
	containers []string
	volumes    []string
}

// NewSandbox creates a private network named after prefix and registers
// its cleanup.
func NewSandbox(t testing.TB, prefix string) *Sandbox {
	t.Helper()
	s := &Sandbox{t: t, Name: UniqueName(prefix)}
	if _, err := s.Run(context.Background(), "network", "create", "--label", "bazaar-test=1", s.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.cleanup)
	return s
}

func (s *Sandbox) cleanup() {
	ctx := context.Background()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.Failed() {
		for _, c := range s.containers {
			out, _ := exec.CommandContext(ctx, "docker", "logs", "--tail", "15", c).CombinedOutput()
			s.t.Logf("--- last logs of %s:\n%s", c, out)
		}
	}
	if len(s.containers) > 0 {
		if _, err := s.Run(ctx, append([]string{"rm", "-f", "-v"}, s.containers...)...); err != nil {
			s.t.Errorf("cleanup: %v", err)
		}
	}
	if len(s.volumes) > 0 {
		if _, err := s.Run(ctx, append([]string{"volume", "rm", "-f"}, s.volumes...)...); err != nil {
			s.t.Errorf("cleanup: %v", err)
		}
	}
	if _, err := s.Run(ctx, "network", "rm", s.Name); err != nil {
		s.t.Errorf("cleanup: %v", err)
	}
}

// Container describes a container to start on the sandbox's network.
type Container struct {
	// Name is the container's name within the sandbox (its hostname);
	// the engine's name is prefixed with the sandbox's.
	Name string
	// Alias is the DNS name it answers to besides Name (the service name,
	// shared by replicas).
	Alias string
	// Image to run; Args follow its entrypoint.
	Image string
	Args  []string
	// Env is extra environment, "KEY=value".
	Env []string
	// Volume, when set, is a sandbox volume mounted at /data.
	Volume string
	// Publish are container ports published on a random loopback port.
	Publish []string
}

// FullName is the engine's name of the sandbox's container name.
func (s *Sandbox) FullName(name string) string { return s.Name + "-" + name }

// Count is how many containers the sandbox started.
func (s *Sandbox) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.containers)
}

// StartAll starts the containers concurrently (docker run is slow one at
// a time) and returns the first error.
func (s *Sandbox) StartAll(ctx context.Context, cs []Container) error {
	errs := make(chan error, len(cs))
	for _, c := range cs {
		go func() {
			_, err := s.Start(ctx, c)
			errs <- err
		}()
	}
	var first error
	for range cs {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Start starts c detached and returns its engine name.
func (s *Sandbox) Start(ctx context.Context, c Container) (string, error) {
	full := s.FullName(c.Name)
	args := []string{"run", "-d", "--name", full, "--hostname", c.Name, "--network", s.Name,
		"--network-alias", c.Name, "--label", "bazaar-test=1"}
	if c.Alias != "" {
		args = append(args, "--network-alias", c.Alias)
	}
	for _, e := range c.Env {
		args = append(args, "-e", e)
	}
	if c.Volume != "" {
		vol := s.FullName(c.Volume)
		s.mu.Lock()
		if !contains(s.volumes, vol) {
			s.volumes = append(s.volumes, vol)
		}
		s.mu.Unlock()
		args = append(args, "-v", vol+":/data")
	}
	for _, p := range c.Publish {
		args = append(args, "-p", "127.0.0.1::"+p)
	}
	args = append(args, c.Image)
	args = append(args, c.Args...)
	s.mu.Lock()
	s.containers = append(s.containers, full)
	s.mu.Unlock()
	if _, err := s.Run(ctx, args...); err != nil {
		return full, err
	}
	return full, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// HostPort returns the loopback address where the container's port is
// published ("127.0.0.1:49153").
func (s *Sandbox) HostPort(ctx context.Context, name, port string) (string, error) {
	out, err := s.Run(ctx, "port", s.FullName(name), port+"/tcp")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "127.0.0.1:") {
			return line, nil
		}
	}
	return "", fmt.Errorf("port %s of %s: not published on loopback (%q)", port, name, out)
}

// Health returns the container's health status: starting, healthy,
// unhealthy, or the state when it is not running.
func (s *Sandbox) Health(ctx context.Context, name string) (string, error) {
	return s.Run(ctx, "inspect", "-f", "{{if .State.Running}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}", s.FullName(name))
}

// WaitHealthy waits until every named container reports healthy.
func (s *Sandbox) WaitHealthy(ctx context.Context, timeout time.Duration, names ...string) error {
	deadline := time.Now().Add(timeout)
	for _, n := range names {
		for {
			st, err := s.Health(ctx, n)
			if err == nil && st == "healthy" {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not healthy after %s: %q %v", n, timeout, st, err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return nil
}

// Kill sends SIGKILL to the container: the host is lost.
func (s *Sandbox) Kill(ctx context.Context, name string) error {
	_, err := s.Run(ctx, "kill", s.FullName(name))
	return err
}

// Stop stops the container gracefully (SIGTERM, then SIGKILL after
// grace), as a deployment tool does.
func (s *Sandbox) Stop(ctx context.Context, name string, grace time.Duration) error {
	_, err := s.Run(ctx, "stop", "-t", fmt.Sprint(int(grace.Seconds())), s.FullName(name))
	return err
}

// Restart starts a stopped or killed container again, on its old volume.
func (s *Sandbox) Restart(ctx context.Context, name string) error {
	_, err := s.Run(ctx, "start", s.FullName(name))
	return err
}

// Disconnect takes the container off the network: a partition.
func (s *Sandbox) Disconnect(ctx context.Context, name string) error {
	_, err := s.Run(ctx, "network", "disconnect", s.Name, s.FullName(name))
	return err
}

// Connect puts a disconnected container back on the network under its
// name and alias: the partition heals.
func (s *Sandbox) Connect(ctx context.Context, name, alias string) error {
	args := []string{"network", "connect", "--alias", name}
	if alias != "" {
		args = append(args, "--alias", alias)
	}
	_, err := s.Run(ctx, append(args, s.Name, s.FullName(name))...)
	return err
}
