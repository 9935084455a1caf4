package k8s

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// objects returns every rendered object with its kind.
func (m *manifests) objects() map[metav1.Object]string {
	out := map[metav1.Object]string{}
	add := func(kind string, o metav1.Object) { out[o] = kind }
	for _, o := range m.namespaces {
		add("Namespace", o)
	}
	for _, o := range m.configMaps {
		add("ConfigMap", o)
	}
	for _, o := range m.services {
		add("Service", o)
	}
	for _, o := range m.deployments {
		add("Deployment", o)
	}
	for _, o := range m.pdbs {
		add("PodDisruptionBudget", o)
	}
	for _, o := range m.hpas {
		add("HorizontalPodAutoscaler", o)
	}
	for _, o := range m.policies {
		add("NetworkPolicy", o)
	}
	return out
}

// problems collects the API server's validation messages for one test.
type problems struct {
	t *testing.T
}

// check fails with what, value and the messages when msgs is not empty.
func (p problems) check(what, value string, msgs []string) {
	p.t.Helper()
	if len(msgs) > 0 {
		p.t.Errorf("%s %q: %s", what, value, strings.Join(msgs, "; "))
	}
}

// labels checks label keys and values as the API server does.
func (p problems) labels(what string, set map[string]string) {
	p.t.Helper()
	for k, v := range set {
		p.check(what+" label key", k, validation.IsQualifiedName(k))
		p.check(what+" label value", v, validation.IsValidLabelValue(v))
	}
}

func TestNamesAndLabelsAreValid(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		p := problems{t: t}
		for o, kind := range m.objects() {
			what := kind + " " + o.GetName()
			switch kind {
			case "Service":
				p.check(what+" name", o.GetName(), validation.IsDNS1035Label(o.GetName()))
			case "Namespace":
				p.check(what+" name", o.GetName(), validation.IsDNS1123Label(o.GetName()))
			default:
				p.check(what+" name", o.GetName(), validation.IsDNS1123Subdomain(o.GetName()))
			}
			p.labels(what, o.GetLabels())
		}
		for _, cm := range m.configMaps {
			for k := range cm.Data {
				p.check("ConfigMap "+cm.Name+" key", k, validation.IsConfigMapKey(k))
			}
		}
		for _, s := range m.services {
			for _, sp := range s.Spec.Ports {
				p.check("Service "+s.Name+" port name", sp.Name, validation.IsDNS1123Label(sp.Name))
			}
		}
		for _, d := range m.deployments {
			p.labels("Deployment "+d.Name+" pod", d.Spec.Template.Labels)
			for _, v := range d.Spec.Template.Spec.Volumes {
				p.check("Deployment "+d.Name+" volume", v.Name, validation.IsDNS1123Label(v.Name))
			}
			for _, c := range d.Spec.Template.Spec.Containers {
				checkContainerNames(p, d.Name, c)
			}
		}
	})
}

// checkContainerNames checks the names inside one container: its own, its
// ports' and its variables'.
func checkContainerNames(p problems, deployment string, c corev1.Container) {
	p.t.Helper()
	what := "Deployment " + deployment + " container"
	p.check(what, c.Name, validation.IsDNS1123Label(c.Name))
	for _, port := range c.Ports {
		p.check(what+" port name", port.Name, validation.IsValidPortName(port.Name))
		p.check(what+" port number", port.Name, validation.IsValidPortNum(int(port.ContainerPort)))
	}
	for _, e := range c.Env {
		p.check(what+" variable", e.Name, validation.IsEnvVarName(e.Name))
	}
}
