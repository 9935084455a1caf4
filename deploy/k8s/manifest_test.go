package k8s

import (
	"fmt"
	"regexp"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// nameLabel names the service a pod belongs to.
const nameLabel = "app.kubernetes.io/name"

// operatorSecrets are the Secrets an overlay refers to but does not
// contain: the operator creates them before the first apply
// (docs/kubernetes.md). Each overlay may refer to these and no others.
var operatorSecrets = map[string]map[string]bool{
	"bazaar-dev": {},
	"bazaar":     {"bazaar-postgres": true, "storefront-session-key": true},
}

// selects reports whether sel selects a pod with labels set. A nil or
// empty selector selects nothing here: no object of ours means "all".
func selects(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("selector %v: %v", sel, err)
	}
	return s.Matches(labels.Set(set))
}

// podsSelectedBy returns the Deployments whose pods sel selects.
func (m *manifests) podsSelectedBy(t *testing.T, sel *metav1.LabelSelector) []*appsv1.Deployment {
	t.Helper()
	var out []*appsv1.Deployment
	for _, d := range m.deployments {
		if selects(t, sel, d.Spec.Template.Labels) {
			out = append(out, d)
		}
	}
	return out
}

// deployment returns the Deployment named name, or nil.
func (m *manifests) deployment(name string) *appsv1.Deployment {
	for _, d := range m.deployments {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// containerPort resolves a probe's or a Service's target port (a number or
// a name) against the container's declared ports.
func containerPort(c corev1.Container, port intstr.IntOrString) (corev1.ContainerPort, error) {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return p, nil
		}
	}
	return corev1.ContainerPort{}, fmt.Errorf("port %s is not declared by container %s", port.String(), c.Name)
}

func TestEveryServiceIsDeployed(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		if len(m.deployments) != len(services) {
			t.Errorf("%d Deployments, want %d (one per service)", len(m.deployments), len(services))
		}
		for _, s := range services {
			d := m.deployment(s)
			if d == nil {
				t.Errorf("no Deployment %s", s)
				continue
			}
			if got := d.Spec.Template.Labels[nameLabel]; got != s {
				t.Errorf("Deployment %s: pod label %s=%q, want %q", s, nameLabel, got, s)
			}
		}
		if len(m.namespaces) != 1 || m.namespaces[0].Name != m.namespace {
			t.Errorf("the overlay must create its namespace %s; it has %d Namespace objects", m.namespace, len(m.namespaces))
		}
	})
}

func TestSelectorsMatchPods(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		for _, d := range m.deployments {
			if !selects(t, d.Spec.Selector, d.Spec.Template.Labels) {
				t.Errorf("Deployment %s: selector %v does not select its own pods %v", d.Name, d.Spec.Selector, d.Spec.Template.Labels)
			}
			for _, other := range m.deployments {
				if other != d && selects(t, d.Spec.Selector, other.Spec.Template.Labels) {
					t.Errorf("Deployment %s: selector also selects the pods of %s", d.Name, other.Name)
				}
			}
		}
		for _, s := range m.services {
			if s.Spec.Type == corev1.ServiceTypeExternalName {
				continue
			}
			sel := &metav1.LabelSelector{MatchLabels: s.Spec.Selector}
			if got := m.podsSelectedBy(t, sel); len(got) != 1 || got[0].Name != s.Name {
				t.Errorf("Service %s selects %d Deployments' pods, want exactly those of Deployment %s", s.Name, len(got), s.Name)
			}
		}
		for _, p := range m.pdbs {
			if got := m.podsSelectedBy(t, p.Spec.Selector); len(got) != 1 || got[0].Name != p.Name {
				t.Errorf("PodDisruptionBudget %s selects %d Deployments' pods, want exactly those of Deployment %s", p.Name, len(got), p.Name)
			}
		}
		for _, p := range m.policies {
			if len(m.podsSelectedBy(t, &p.Spec.PodSelector)) == 0 && len(p.Spec.PodSelector.MatchLabels)+len(p.Spec.PodSelector.MatchExpressions) > 0 {
				t.Errorf("NetworkPolicy %s selects no pod", p.Name)
			}
		}
	})
}

func TestOneServiceAndBudgetPerDeployment(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		for _, d := range m.deployments {
			var svc, pdb int
			for _, s := range m.services {
				if s.Name == d.Name {
					svc++
				}
			}
			for _, p := range m.pdbs {
				if p.Name == d.Name {
					pdb++
				}
			}
			if svc != 1 || pdb != 1 {
				t.Errorf("Deployment %s has %d Services and %d PodDisruptionBudgets of its name, want 1 and 1", d.Name, svc, pdb)
			}
		}
	})
}

func TestServicePortsMatchContainerPorts(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		for _, s := range m.services {
			if s.Spec.Type == corev1.ServiceTypeExternalName {
				if s.Spec.ExternalName == "" {
					t.Errorf("ExternalName Service %s names no host", s.Name)
				}
				continue
			}
			d := m.deployment(s.Name)
			if d == nil {
				t.Errorf("Service %s: no Deployment of its name", s.Name)
				continue
			}
			// Callers balance over the pods themselves (dns:///name:9000),
			// so every gRPC Service is headless; the storefront's public
			// port is an ordinary one.
			wantHeadless := s.Name != "storefront"
			if headless := s.Spec.ClusterIP == corev1.ClusterIPNone; headless != wantHeadless {
				t.Errorf("Service %s: headless=%v, want %v", s.Name, headless, wantHeadless)
			}
			if len(s.Spec.Ports) == 0 {
				t.Errorf("Service %s has no ports", s.Name)
			}
			for _, sp := range s.Spec.Ports {
				target := sp.TargetPort
				if target.Type == intstr.Int && target.IntVal == 0 {
					target = intstr.FromInt32(sp.Port)
				}
				cp, err := containerPort(d.Spec.Template.Spec.Containers[0], target)
				if err != nil {
					t.Errorf("Service %s port %s: %v", s.Name, sp.Name, err)
					continue
				}
				if protocolOf(sp.Protocol) != protocolOf(cp.Protocol) {
					t.Errorf("Service %s port %s: protocol %s, container port %s", s.Name, sp.Name, sp.Protocol, cp.Protocol)
				}
				if wantHeadless && sp.Port != cp.ContainerPort {
					t.Errorf("headless Service %s: port %d, container port %d: dns:/// targets dial the pod's port", s.Name, sp.Port, cp.ContainerPort)
				}
			}
		}
	})
}

// protocolOf is p with the API's default, TCP.
func protocolOf(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func TestProbesPointAtDeclaredPorts(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		for _, d := range m.deployments {
			for _, c := range d.Spec.Template.Spec.Containers {
				probes := map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe}
				for kind, p := range probes {
					if p == nil {
						t.Errorf("%s/%s: no %s probe", d.Name, c.Name, kind)
						continue
					}
					if err := checkProbe(c, p); err != nil {
						t.Errorf("%s/%s: %s probe: %v", d.Name, c.Name, kind, err)
					}
				}
				if p := c.ReadinessProbe; p != nil && (p.HTTPGet == nil || p.HTTPGet.Path != "/readyz") {
					t.Errorf("%s/%s: readiness must GET /readyz (the service's own readiness check, failing while draining)", d.Name, c.Name)
				}
				if p := c.LivenessProbe; p != nil && (p.HTTPGet == nil || p.HTTPGet.Path != "/healthz") {
					t.Errorf("%s/%s: liveness must GET /healthz (alive, whatever its dependencies do)", d.Name, c.Name)
				}
				if p := c.ReadinessProbe; p != nil && p.TimeoutSeconds < 1 {
					t.Errorf("%s/%s: readiness timeout %ds is below /readyz's own 800ms bound", d.Name, c.Name, p.TimeoutSeconds)
				}
			}
		}
	})
}

// checkProbe reports whether p has exactly one handler and that handler
// points at a port the container declares.
func checkProbe(c corev1.Container, p *corev1.Probe) error {
	switch h := p.ProbeHandler; {
	case h.HTTPGet != nil && h.GRPC == nil && h.TCPSocket == nil && h.Exec == nil:
		_, err := containerPort(c, h.HTTPGet.Port)
		return err
	case h.GRPC != nil && h.HTTPGet == nil && h.TCPSocket == nil && h.Exec == nil:
		cp, err := containerPort(c, intstr.FromInt32(h.GRPC.Port))
		if err == nil && cp.Name != "grpc" {
			return fmt.Errorf("gRPC probe on port %d (%s), not the gRPC port", h.GRPC.Port, cp.Name)
		}
		return err
	case h.TCPSocket != nil && h.HTTPGet == nil && h.GRPC == nil && h.Exec == nil:
		_, err := containerPort(c, h.TCPSocket.Port)
		return err
	default:
		return fmt.Errorf("want exactly one httpGet, grpc or tcpSocket handler")
	}
}

func TestResourcesAndSecurity(t *testing.T) {
	image := regexp.MustCompile(`^bazaar/([a-z]+):([A-Za-z0-9_][A-Za-z0-9_.-]*)$`)
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		for _, d := range m.deployments {
			pod := d.Spec.Template.Spec
			psc := pod.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
				t.Errorf("%s: the pod must run as a non-root user (runAsNonRoot and a non-zero runAsUser)", d.Name)
			}
			if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
				t.Errorf("%s: the services never call the Kubernetes API: automountServiceAccountToken must be false", d.Name)
			}
			if len(pod.Containers) != 1 || len(pod.InitContainers) != 0 {
				t.Errorf("%s: %d containers and %d init containers, want one container", d.Name, len(pod.Containers), len(pod.InitContainers))
			}
			for _, c := range pod.Containers {
				if g := image.FindStringSubmatch(c.Image); g == nil || g[1] != d.Name {
					t.Errorf("%s/%s: image %q, want bazaar/%s:<version> (the name make images gives it)", d.Name, c.Name, c.Image, d.Name)
				}
				checkResources(t, d.Name, c)
				sc := c.SecurityContext
				switch {
				case sc == nil:
					t.Errorf("%s/%s: no securityContext", d.Name, c.Name)
				case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
					t.Errorf("%s/%s: the root filesystem must be read-only", d.Name, c.Name)
				case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
					t.Errorf("%s/%s: allowPrivilegeEscalation must be false", d.Name, c.Name)
				case sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0:
					t.Errorf("%s/%s: capabilities must drop ALL and add none", d.Name, c.Name)
				case sc.RunAsUser != nil && *sc.RunAsUser == 0:
					t.Errorf("%s/%s: runs as root", d.Name, c.Name)
				}
				checkVolumes(t, d, c)
			}
		}
	})
}

// checkResources fails unless c requests and limits CPU and memory, with
// requests no larger than limits.
func checkResources(t *testing.T, name string, c corev1.Container) {
	t.Helper()
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		switch {
		case !okReq || !okLim || req.IsZero() || lim.IsZero():
			t.Errorf("%s/%s: %s request and limit must both be set", name, c.Name, r)
		case req.Cmp(lim) > 0:
			t.Errorf("%s/%s: %s request %s above its limit %s", name, c.Name, r, req.String(), lim.String())
		}
	}
}

// checkVolumes fails unless every mount of c names a volume of the pod,
// and the writable mounts are emptyDirs (the root filesystem is read-only).
func checkVolumes(t *testing.T, d *appsv1.Deployment, c corev1.Container) {
	t.Helper()
	volumes := map[string]corev1.Volume{}
	for _, v := range d.Spec.Template.Spec.Volumes {
		volumes[v.Name] = v
	}
	for _, vm := range c.VolumeMounts {
		v, ok := volumes[vm.Name]
		switch {
		case !ok:
			t.Errorf("%s/%s: mount %s names no volume", d.Name, c.Name, vm.Name)
		case v.Secret != nil && !vm.ReadOnly:
			t.Errorf("%s/%s: Secret volume %s must be mounted read-only", d.Name, c.Name, vm.Name)
		case v.Secret == nil && v.EmptyDir == nil:
			t.Errorf("%s/%s: volume %s is neither an emptyDir nor a Secret", d.Name, c.Name, vm.Name)
		}
	}
}

func TestReferencedObjectsExist(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		configMaps := map[string]bool{}
		for _, cm := range m.configMaps {
			configMaps[cm.Name] = true
		}
		allowed := operatorSecrets[m.namespace]
		for _, d := range m.deployments {
			for _, c := range d.Spec.Template.Spec.Containers {
				for _, ef := range c.EnvFrom {
					if ef.ConfigMapRef == nil || !configMaps[ef.ConfigMapRef.Name] {
						t.Errorf("%s/%s: envFrom %v names no rendered ConfigMap", d.Name, c.Name, ef)
					}
				}
				for _, e := range c.Env {
					if e.ValueFrom == nil {
						continue
					}
					if ref := e.ValueFrom.SecretKeyRef; ref == nil || !allowed[ref.Name] {
						t.Errorf("%s/%s: %s comes from %v, not one of the Secrets the operator creates (%v)", d.Name, c.Name, e.Name, e.ValueFrom, allowed)
					}
				}
			}
			for _, v := range d.Spec.Template.Spec.Volumes {
				if v.Secret != nil && !allowed[v.Secret.SecretName] {
					t.Errorf("%s: volume %s mounts Secret %s, not one of the Secrets the operator creates (%v)", d.Name, v.Name, v.Secret.SecretName, allowed)
				}
			}
		}
	})
}

func TestReplicasScalingAndBudgets(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		prod := m.namespace == "bazaar"
		for _, d := range m.deployments {
			switch n := d.Spec.Replicas; {
			case n == nil:
				t.Errorf("%s: replicas not set", d.Name)
			case prod && *n < 2:
				t.Errorf("%s: %d replicas in prod, want at least 2", d.Name, *n)
			case !prod && *n != 1:
				t.Errorf("%s: %d replicas in dev, want 1", d.Name, *n)
			}
		}
		for _, p := range m.pdbs {
			switch {
			case prod && (p.Spec.MinAvailable == nil || p.Spec.MaxUnavailable != nil || p.Spec.MinAvailable.IntValue() < 1):
				t.Errorf("PodDisruptionBudget %s: prod keeps minAvailable ≥ 1 and nothing else, got %+v", p.Name, p.Spec)
			case !prod && (p.Spec.MaxUnavailable == nil || p.Spec.MinAvailable != nil):
				t.Errorf("PodDisruptionBudget %s: dev allows one pod down (maxUnavailable), got %+v", p.Name, p.Spec)
			}
		}
		scaled := map[string]bool{}
		for _, h := range m.hpas {
			ref := h.Spec.ScaleTargetRef
			d := m.deployment(ref.Name)
			switch {
			case ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || d == nil:
				t.Errorf("HorizontalPodAutoscaler %s targets %s %s (%s), not a Deployment of this overlay", h.Name, ref.Kind, ref.Name, ref.APIVersion)
				continue
			case h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas:
				t.Errorf("HorizontalPodAutoscaler %s: replicas %v..%d, want 2 ≤ min ≤ max", h.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
			case len(h.Spec.Metrics) == 0:
				t.Errorf("HorizontalPodAutoscaler %s scales on no metric", h.Name)
			case *d.Spec.Replicas < *h.Spec.MinReplicas:
				t.Errorf("HorizontalPodAutoscaler %s: min %d above the Deployment's %d replicas", h.Name, *h.Spec.MinReplicas, *d.Spec.Replicas)
			}
			for _, mt := range h.Spec.Metrics {
				if mt.Resource != nil && mt.Resource.Name == corev1.ResourceCPU {
					if _, ok := d.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; !ok {
						t.Errorf("HorizontalPodAutoscaler %s scales on CPU utilisation, which needs a CPU request", h.Name)
					}
				}
			}
			if scaled[ref.Name] {
				t.Errorf("two HorizontalPodAutoscalers scale %s", ref.Name)
			}
			scaled[ref.Name] = true
		}
		// Dev keeps each service's SQLite file in its pod: a second pod
		// would be a second database, so nothing scales there. In prod the
		// data is in PostgreSQL and every service scales.
		if want := map[bool]int{true: len(services), false: 0}[prod]; len(scaled) != want {
			t.Errorf("%d services scaled by an HPA, want %d", len(scaled), want)
		}
	})
}
