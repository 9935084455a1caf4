package k8s

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// endpoint is something that sends or receives connections: a pod of the
// overlay, a pod elsewhere in the cluster, or an address outside it.
type endpoint struct {
	name      string
	namespace string // "" outside the cluster
	labels    map[string]string
	ip        netip.Addr
	ports     []corev1.ContainerPort
}

// namespaceLabels are the labels Kubernetes gives every namespace.
func (e endpoint) namespaceLabels() labels.Set {
	return labels.Set{"kubernetes.io/metadata.name": e.namespace}
}

// network evaluates an overlay's NetworkPolicies the way the API defines
// them: a pod selected by no policy of a direction is open in that
// direction; once selected it accepts only what some selecting policy's
// rules allow; a connection needs both the sender's egress and the
// receiver's ingress.
type network struct {
	t        *testing.T
	policies []*networkingv1.NetworkPolicy
}

// allows reports whether src may open a connection to dst's port.
func (n network) allows(src, dst endpoint, port int32, proto corev1.Protocol) bool {
	return n.side(src, networkingv1.PolicyTypeEgress, dst, port, proto) &&
		n.side(dst, networkingv1.PolicyTypeIngress, src, port, proto)
}

// side reports whether the policies of self's namespace let self send to
// (egress) or receive from (ingress) peer on the port, which is always
// the receiver's.
func (n network) side(self endpoint, dir networkingv1.PolicyType, peer endpoint, port int32, proto corev1.Protocol) bool {
	if self.namespace == "" {
		return true // outside the cluster: not ours to police
	}
	receiver := peer
	if dir == networkingv1.PolicyTypeIngress {
		receiver = self
	}
	isolated := false
	for _, p := range n.policies {
		if p.Namespace != self.namespace || !n.matches(&p.Spec.PodSelector, self.labels, true) || !hasType(p, dir) {
			continue
		}
		isolated = true
		if dir == networkingv1.PolicyTypeIngress {
			for _, r := range p.Spec.Ingress {
				if n.peersMatch(p, r.From, peer) && portsMatch(r.Ports, receiver, port, proto) {
					return true
				}
			}
		} else {
			for _, r := range p.Spec.Egress {
				if n.peersMatch(p, r.To, peer) && portsMatch(r.Ports, receiver, port, proto) {
					return true
				}
			}
		}
	}
	return !isolated
}

// hasType reports whether p governs direction dir; without policyTypes a
// policy is an ingress policy, and an egress one too if it has egress
// rules.
func hasType(p *networkingv1.NetworkPolicy, dir networkingv1.PolicyType) bool {
	if len(p.Spec.PolicyTypes) == 0 {
		return dir == networkingv1.PolicyTypeIngress || len(p.Spec.Egress) > 0
	}
	return slices.Contains(p.Spec.PolicyTypes, dir)
}

// matches applies a label selector as NetworkPolicy does: empty selects
// everything (when emptyMeansAll), nil nothing.
func (n network) matches(sel *metav1.LabelSelector, set map[string]string, emptyMeansAll bool) bool {
	if sel == nil {
		return false
	}
	if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		return emptyMeansAll
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		n.t.Fatalf("selector %v: %v", sel, err)
	}
	return s.Matches(labels.Set(set))
}

// peersMatch reports whether a rule's peers (none: everyone) include e.
func (n network) peersMatch(p *networkingv1.NetworkPolicy, peers []networkingv1.NetworkPolicyPeer, e endpoint) bool {
	if len(peers) == 0 {
		return true
	}
	for _, peer := range peers {
		switch {
		case peer.IPBlock != nil:
			if ipBlockHas(n.t, peer.IPBlock, e.ip) {
				return true
			}
		case e.namespace == "":
			// Pod and namespace selectors select pods only.
		case peer.NamespaceSelector == nil:
			if e.namespace == p.Namespace && n.matches(peer.PodSelector, e.labels, true) {
				return true
			}
		default:
			if n.matches(peer.NamespaceSelector, e.namespaceLabels(), true) &&
				(peer.PodSelector == nil || n.matches(peer.PodSelector, e.labels, true)) {
				return true
			}
		}
	}
	return false
}

// ipBlockHas reports whether addr is in the block's CIDR and in none of
// its exceptions.
func ipBlockHas(t *testing.T, b *networkingv1.IPBlock, addr netip.Addr) bool {
	in := func(cidr string) bool {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			t.Fatalf("ipBlock %q: %v", cidr, err)
		}
		return p.Contains(addr)
	}
	if !in(b.CIDR) {
		return false
	}
	for _, ex := range b.Except {
		if in(ex) {
			return false
		}
	}
	return true
}

// portsMatch reports whether a rule's ports (none: every port) include the
// receiver's port; a named port is the receiver's port of that name.
func portsMatch(ports []networkingv1.NetworkPolicyPort, receiver endpoint, port int32, proto corev1.Protocol) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if protocolOf(ptrOr(p.Protocol)) != protocolOf(proto) {
			continue
		}
		switch {
		case p.Port == nil:
			return true
		case p.Port.Type == intstr.String:
			for _, cp := range receiver.ports {
				if cp.Name == p.Port.StrVal && cp.ContainerPort == port && protocolOf(cp.Protocol) == protocolOf(proto) {
					return true
				}
			}
		case p.EndPort != nil:
			if port >= p.Port.IntVal && port <= *p.EndPort {
				return true
			}
		case p.Port.IntVal == port:
			return true
		}
	}
	return false
}

func ptrOr(p *corev1.Protocol) corev1.Protocol {
	if p == nil {
		return ""
	}
	return *p
}

// pods are the overlay's pods, one per Deployment, with made-up addresses
// inside the cluster's range.
func (m *manifests) pods() map[string]endpoint {
	out := map[string]endpoint{}
	for i, d := range m.deployments {
		out[d.Name] = endpoint{
			name: d.Name, namespace: m.namespace, labels: d.Spec.Template.Labels,
			ip: netip.AddrFrom4([4]byte{10, 0, 0, byte(10 + i)}), ports: d.Spec.Template.Spec.Containers[0].Ports,
		}
	}
	return out
}

// The world around the shop: what the policies must let in and out, and
// what they must not.
var (
	natsServer = endpoint{name: "nats", namespace: "nats", labels: map[string]string{"app.kubernetes.io/name": "nats"},
		ip: netip.MustParseAddr("10.1.0.2"), ports: []corev1.ContainerPort{{Name: "client", ContainerPort: 4222}}}
	postgresServer = endpoint{name: "postgres", namespace: "postgres", labels: map[string]string{"app": "postgres"},
		ip: netip.MustParseAddr("10.1.0.3"), ports: []corev1.ContainerPort{{Name: "postgres", ContainerPort: 5432}}}
	clusterDNS = endpoint{name: "kube-dns", namespace: "kube-system", labels: map[string]string{"k8s-app": "kube-dns"},
		ip: netip.MustParseAddr("10.1.0.4"), ports: []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", ContainerPort: 53}}}
	prometheus = endpoint{name: "prometheus", namespace: "monitoring", labels: map[string]string{"app": "prometheus"},
		ip: netip.MustParseAddr("10.1.0.5")}
	strangerPod = endpoint{name: "a pod of another namespace", namespace: "default", labels: map[string]string{"app.kubernetes.io/name": "storefront"},
		ip: netip.MustParseAddr("10.1.0.6"), ports: []corev1.ContainerPort{{Name: "grpc", ContainerPort: 9000}}}
	internet = endpoint{name: "the internet", ip: netip.MustParseAddr("203.0.113.7"),
		ports: []corev1.ContainerPort{{Name: "https", ContainerPort: 443}, {Name: "smtp", ContainerPort: 25}}}
)

// newcomer is a pod that no service's policy names, started in the
// overlay's namespace: only the namespace-wide policies govern it.
func newcomer(m *manifests) endpoint {
	return endpoint{name: "newcomer", namespace: m.namespace, labels: map[string]string{"app": "newcomer"},
		ip: netip.MustParseAddr("10.0.1.1"), ports: []corev1.ContainerPort{{Name: "grpc", ContainerPort: 9000}}}
}

func TestNamespaceDeniesByDefault(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		n := network{t: t, policies: m.policies}
		pod := newcomer(m)
		checks := []struct {
			what     string
			src, dst endpoint
			port     int32
			proto    corev1.Protocol
			want     bool
		}{
			{"resolves names", pod, clusterDNS, 53, corev1.ProtocolUDP, true},
			{"reaches the internet", pod, internet, 443, corev1.ProtocolTCP, false},
			{"reaches NATS", pod, natsServer, 4222, corev1.ProtocolTCP, false},
			{"reaches PostgreSQL", pod, postgresServer, 5432, corev1.ProtocolTCP, false},
			{"is reached from the internet", internet, pod, 9000, corev1.ProtocolTCP, false},
			{"is reached from another namespace", strangerPod, pod, 9000, corev1.ProtocolTCP, false},
		}
		for _, c := range checks {
			if got := n.allows(c.src, c.dst, c.port, c.proto); got != c.want {
				t.Errorf("a newcomer pod %s: allowed=%v, want %v", c.what, got, c.want)
			}
		}
	})
}

// edge is one allowed connection, as the tests compare them.
type edge struct{ from, to, port string }

func (e edge) String() string { return fmt.Sprintf("%s → %s:%s", e.from, e.to, e.port) }

func TestNetworkPolicyIsTheCallGraph(t *testing.T) {
	want := map[edge]bool{}
	for from, tos := range calls {
		for _, to := range tos {
			want[edge{from, to, "grpc"}] = true
		}
	}
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		n := network{t: t, policies: m.policies}
		pods := m.pods()
		got := map[edge]bool{}
		for _, src := range pods {
			for _, dst := range pods {
				for _, p := range dst.ports {
					if n.allows(src, dst, p.ContainerPort, p.Protocol) {
						got[edge{src.name, dst.name, p.Name}] = true
					}
				}
			}
		}
		for _, e := range sortedEdges(want) {
			if !got[e] {
				t.Errorf("the call %s is not allowed", e)
			}
		}
		for _, e := range sortedEdges(got) {
			if !want[e] {
				t.Errorf("%s is allowed, but no such call is made", e)
			}
		}
	})
}

func sortedEdges(set map[edge]bool) []edge {
	var out []edge
	for e := range set {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func TestNetworkPolicyAroundTheShop(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		n := network{t: t, policies: m.policies}
		prod := m.namespace == "bazaar"
		for name, pod := range m.pods() {
			checks := []struct {
				what     string
				src, dst endpoint
				port     int32
				proto    corev1.Protocol
				want     bool
			}{
				{"resolves names with the cluster DNS", pod, clusterDNS, 53, corev1.ProtocolUDP, true},
				{"resolves names with the cluster DNS over TCP", pod, clusterDNS, 53, corev1.ProtocolTCP, true},
				{"reaches NATS", pod, natsServer, 4222, corev1.ProtocolTCP, slices.Contains(busUsers, name)},
				{"reaches PostgreSQL", pod, postgresServer, 5432, corev1.ProtocolTCP, prod && slices.Contains(stateful, name)},
				{"reaches the internet", pod, internet, 443, corev1.ProtocolTCP, false},
				{"sends mail to the internet", pod, internet, 25, corev1.ProtocolTCP, false},
				{"reaches a pod of another namespace", pod, strangerPod, 9000, corev1.ProtocolTCP, false},
				{"is scraped by Prometheus", prometheus, pod, 9090, corev1.ProtocolTCP, true},
				{"is reached on gRPC by Prometheus", prometheus, pod, 9000, corev1.ProtocolTCP, false},
				{"is reached on gRPC from another namespace", strangerPod, pod, 9000, corev1.ProtocolTCP, false},
				{"is reached on gRPC from the internet", internet, pod, 9000, corev1.ProtocolTCP, false},
				{"is reached on its admin port from the internet", internet, pod, 9090, corev1.ProtocolTCP, false},
				{"is reached on the public HTTP port from the internet", internet, pod, 8080, corev1.ProtocolTCP, name == "storefront"},
				{"is reached on the public HTTP port from another namespace", strangerPod, pod, 8080, corev1.ProtocolTCP, name == "storefront"},
				{"is reached on gRPC by a newcomer to the namespace", newcomer(m), pod, 9000, corev1.ProtocolTCP, false},
			}
			for _, c := range checks {
				if c.dst.name == name && !slices.ContainsFunc(pod.ports, func(p corev1.ContainerPort) bool { return p.ContainerPort == c.port }) {
					if c.want {
						t.Errorf("%s %s: it declares no port %d", name, c.what, c.port)
					}
					continue
				}
				if got := n.allows(c.src, c.dst, c.port, c.proto); got != c.want {
					t.Errorf("%s %s (port %d/%s): allowed=%v, want %v", name, c.what, c.port, c.proto, got, c.want)
				}
			}
		}
	})
}
