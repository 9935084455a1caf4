package k8s

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/accounts"
	"github.com/bazaar-shop/bazaar/services/cart"
	"github.com/bazaar-shop/bazaar/services/catalog"
	"github.com/bazaar-shop/bazaar/services/inventory"
	"github.com/bazaar-shop/bazaar/services/notifications"
	"github.com/bazaar-shop/bazaar/services/orders"
	"github.com/bazaar-shop/bazaar/services/payment"
	"github.com/bazaar-shop/bazaar/services/pricing"
	"github.com/bazaar-shop/bazaar/services/recommendations"
	"github.com/bazaar-shop/bazaar/services/shipping"
	"github.com/bazaar-shop/bazaar/services/storefront"
)

// The tests in this file hold the manifests to the code they deploy: the
// same daemon.Command each service's binary runs parses each container's
// environment, and the call graph of the policies is the upstream flags
// the services declare.

// command returns the daemon.Command the binary of service runs.
func command(service string) daemon.Command {
	return map[string]func(string) daemon.Command{
		"accounts": accounts.Command, "cart": cart.Command, "catalog": catalog.Command,
		"inventory": inventory.Command, "notifications": notifications.Command, "orders": orders.Command,
		"payment": payment.Command, "pricing": pricing.Command, "recommendations": recommendations.Command,
		"shipping": shipping.Command, "storefront": storefront.Command,
	}[service]("k8s-test")
}

// serviceFlags returns the flags service declares beyond the daemon's
// common ones, parsed from lookupEnv.
func serviceFlags(t *testing.T, service string, lookupEnv func(string) (string, bool)) *config.FlagSet {
	t.Helper()
	fs := config.NewFlagSet(service)
	if f := command(service).Flags; f != nil {
		f(fs)
	}
	if err := fs.Parse(nil, lookupEnv); err != nil {
		t.Fatalf("%s: %v", service, err)
	}
	return fs
}

// upstreamsInCode are the services service dials: its flags that take a
// service target (platform/client.Target's override).
func upstreamsInCode(t *testing.T, service string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fs := serviceFlags(t, service, func(string) (string, bool) { return "", false })
	fs.VisitAll(func(f *flag.Flag) {
		if strings.Contains(f.Usage, "service target") {
			out[f.Name] = f.Value.String()
		}
	})
	return out
}

func TestCallGraphIsTheCode(t *testing.T) {
	for _, s := range services {
		var got []string
		for name := range upstreamsInCode(t, s) {
			if !slices.Contains(services, name) {
				t.Errorf("%s: flag -%s takes a service target, but %s is not a service", s, name, name)
			}
			got = append(got, name)
		}
		slices.Sort(got)
		if want := calls[s]; !slices.Equal(got, want) {
			t.Errorf("%s dials %v (its service-target flags), the call graph of the manifests says %v", s, got, want)
		}
	}
}

func TestBusUsersAreTheCode(t *testing.T) {
	for _, s := range services {
		src, err := os.ReadFile(filepath.Join("..", "..", "services", s, "command.go"))
		if err != nil {
			t.Fatal(err)
		}
		// A service's wiring connects to the event bus with env.Bus().
		if uses := strings.Contains(string(src), "env.Bus()"); uses != slices.Contains(busUsers, s) {
			t.Errorf("%s: its wiring calls env.Bus(): %v; busUsers says %v", s, uses, !uses)
		}
	}
}

// containerEnv resolves what c's process finds in its environment: the
// ConfigMaps of envFrom, then env (which wins). A value from a Secret
// reads "secret:NAME/KEY", as the operator's Secret would supply it.
func containerEnv(t *testing.T, m *manifests, c corev1.Container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		for _, cm := range m.configMaps {
			if ef.ConfigMapRef != nil && cm.Name == ef.ConfigMapRef.Name {
				for k, v := range cm.Data {
					env[ef.Prefix+k] = v
				}
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		default:
			t.Errorf("%s: %s comes from %v, which this test does not resolve", c.Name, e.Name, e.ValueFrom)
		}
	}
	return env
}

// errWired stops daemon.Run once the settings are parsed.
var errWired = errors.New("settings parsed; not wiring in a test")

// settingsOf runs service's daemon.Command on env up to its wiring, as the
// binary would start in the pod, and returns the settings it parsed.
func settingsOf(service string, env map[string]string) (daemon.Settings, error) {
	var got daemon.Settings
	cmd := command(service)
	cmd.Wire = func(_ context.Context, e *daemon.Env) (daemon.Service, error) {
		got = e.Settings
		return nil, errWired
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err := daemon.Run(context.Background(), cmd, nil, lookup, daemon.LogTo(io.Discard))
	if !errors.Is(err, errWired) {
		return got, fmt.Errorf("the binary refuses its environment: %w", err)
	}
	return got, nil
}

func TestContainersStartWithTheirEnvironment(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		prod := m.namespace == "bazaar"
		for _, d := range m.deployments {
			c := d.Spec.Template.Spec.Containers[0]
			env := containerEnv(t, m, c)
			s, err := settingsOf(d.Name, env)
			if err != nil {
				t.Errorf("%s: %v", d.Name, err)
				continue
			}
			checkListener(t, d.Name, c, "grpc", s.GRPCAddr)
			checkListener(t, d.Name, c, "admin", s.AdminAddr)
			if d.Name == "storefront" {
				checkListener(t, d.Name, c, "http", s.HTTPAddr)
			}
			if !writableDir(d, c, s.DataDir) {
				t.Errorf("%s: data directory %q is not on a writable volume", d.Name, s.DataDir)
			}
			if want := map[bool]int{true: 3, false: 1}[prod]; s.StreamReplicas != want {
				t.Errorf("%s: stream replicas %d, want %d", d.Name, s.StreamReplicas, want)
			}
			for _, u := range strings.Split(s.NATSURL, ",") {
				checkTarget(t, m, d.Name, "NATS", strings.TrimPrefix(u, "nats://"), "nats")
			}
			if grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds; grace == nil || float64(*grace) <= (s.DrainDelay+s.DrainTimeout).Seconds() {
				t.Errorf("%s: terminationGracePeriodSeconds (%s) does not cover drain delay %s + drain timeout %s", d.Name, ptrString(grace), s.DrainDelay, s.DrainTimeout)
			}
			fs := serviceFlags(t, d.Name, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			for name := range upstreamsInCode(t, d.Name) {
				target := fs.Lookup(name).Value.String()
				addr, ok := strings.CutPrefix(target, "dns:///")
				if !ok {
					t.Errorf("%s: -%s is %q; in Kubernetes it must be dns:///%s:PORT (the headless Service)", d.Name, name, target, name)
					continue
				}
				checkTarget(t, m, d.Name, "-"+name, addr, name)
			}
			checkStorage(t, d, c, env, prod)
		}
	})
}

// ptrString prints *p, or "unset".
func ptrString[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

// checkListener fails unless addr listens on all interfaces on the
// container's port called name.
func checkListener(t *testing.T, service string, c corev1.Container, name, addr string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		t.Errorf("%s: %s listens on %q; in a pod it must be :PORT", service, name, addr)
		return
	}
	for _, p := range c.Ports {
		if p.Name == name && fmt.Sprint(p.ContainerPort) == port {
			return
		}
	}
	t.Errorf("%s: %s listens on port %s, which the container does not declare as %q", service, name, port, name)
}

// checkTarget fails unless addr (host:port) is the Service wantHost of the
// overlay and that Service has the port.
func checkTarget(t *testing.T, m *manifests, service, what, addr, wantHost string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != wantHost {
		t.Errorf("%s: %s address %q, want the Service %s", service, what, addr, wantHost)
		return
	}
	for _, s := range m.services {
		if s.Name != host {
			continue
		}
		for _, p := range s.Spec.Ports {
			if fmt.Sprint(p.Port) == port {
				return
			}
		}
	}
	t.Errorf("%s: %s address %q: no Service %s with port %s", service, what, addr, host, port)
}

// writableDir reports whether dir is, or is under, the mount of an
// emptyDir volume of c.
func writableDir(d *appsv1.Deployment, c corev1.Container, dir string) bool {
	return slices.ContainsFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool {
		if vm.ReadOnly || (dir != vm.MountPath && !strings.HasPrefix(dir, vm.MountPath+"/")) {
			return false
		}
		return slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == vm.Name && v.EmptyDir != nil })
	})
}

// checkStorage fails unless, in prod, each stateful service takes its DSN
// from its own key of the Secret bazaar-postgres and the storefront's
// session key comes from a mounted Secret; in dev nothing comes from a
// Secret, so the overlay applies as it is.
func checkStorage(t *testing.T, d *appsv1.Deployment, c corev1.Container, env map[string]string, prod bool) {
	t.Helper()
	dsn, hasDSN := env["BAZAAR_DSN"]
	switch want := "secret:bazaar-postgres/" + d.Name; {
	case prod && slices.Contains(stateful, d.Name) && dsn != want:
		t.Errorf("%s: BAZAAR_DSN is %q, want its own key of the Secret bazaar-postgres (%s)", d.Name, dsn, want)
	case !prod && hasDSN:
		t.Errorf("%s: dev sets BAZAAR_DSN %q; it keeps SQLite in the data directory", d.Name, dsn)
	}
	if d.Name != "storefront" {
		return
	}
	key, hasKey := env["BAZAAR_SESSION_KEY_FILE"]
	secretMounted := slices.ContainsFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool {
		return strings.HasPrefix(key, vm.MountPath+"/") && slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
			return v.Name == vm.Name && v.Secret != nil && v.Secret.SecretName == "storefront-session-key"
		})
	})
	switch {
	case prod && !secretMounted:
		t.Errorf("storefront: replicas must share one session key: BAZAAR_SESSION_KEY_FILE %q is not in the mounted Secret storefront-session-key", key)
	case !prod && hasKey:
		t.Errorf("storefront: dev sets BAZAAR_SESSION_KEY_FILE %q; its one pod keeps the key in the data directory", key)
	}
}

// usageEnv matches the environment variable of one flag in a binary's
// usage text (platform/config.FlagSet.Usage).
var usageEnv = regexp.MustCompile(`\(env (BAZAAR_[A-Z0-9_]+),`)

// settingNames returns every environment variable service's binary reads,
// from the usage text its -help prints. daemon.Run prints it to standard
// error, which is swapped for a file while it runs.
func settingNames(t *testing.T, service string) map[string]bool {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "usage")
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = f
	err = daemon.Run(context.Background(), command(service), []string{"-help"}, func(string) (string, bool) { return "", false }, daemon.LogTo(io.Discard))
	os.Stderr = stderr
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("%s -help: %v", service, err)
	}
	usage, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{"OTEL_EXPORTER_OTLP_ENDPOINT": true}
	for _, m := range usageEnv.FindAllStringSubmatch(string(usage), -1) {
		names[m[1]] = true
	}
	if len(names) < 10 {
		t.Fatalf("%s -help lists only %d settings:\n%s", service, len(names), usage)
	}
	return names
}

func TestEveryVariableIsASetting(t *testing.T) {
	known := map[string]map[string]bool{}
	for _, s := range services {
		known[s] = settingNames(t, s)
	}
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		for _, d := range m.deployments {
			for name := range containerEnv(t, m, d.Spec.Template.Spec.Containers[0]) {
				if !known[d.Name][name] {
					t.Errorf("%s: %s is not a setting of the %s binary (a typo, or a flag that is gone)", d.Name, name, d.Name)
				}
			}
		}
	})
}
