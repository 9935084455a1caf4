package k8s

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// overlays are the kustomizations users apply, each rendered and checked
// by every test.
var overlays = []string{"overlays/dev", "overlays/prod"}

// manifests are the objects one overlay renders to, decoded into the
// k8s.io/api types.
type manifests struct {
	namespaces   []*corev1.Namespace
	configMaps   []*corev1.ConfigMap
	services     []*corev1.Service
	deployments  []*appsv1.Deployment
	pdbs         []*policyv1.PodDisruptionBudget
	hpas         []*autoscalingv2.HorizontalPodAutoscaler
	policies     []*networkingv1.NetworkPolicy
	namespace    string // the namespace every namespaced object is in
	renderedDocs int
}

// render builds the kustomization in dir, as `kubectl apply -k dir` would,
// and decodes every document strictly: a field the API type does not have
// fails, as does a kind this deployment is not expected to contain.
func render(t *testing.T, dir string) *manifests {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	m := &manifests{}
	namespaces := map[string]bool{}
	for _, r := range res.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			t.Fatalf("%s: %s as YAML: %v", dir, r.CurId(), err)
		}
		if err := m.add(r.GetKind(), doc); err != nil {
			t.Fatalf("%s: %s: %v\n%s", dir, r.CurId(), err, doc)
		}
		if r.GetKind() != "Namespace" {
			namespaces[r.GetNamespace()] = true
		}
	}
	if len(namespaces) != 1 {
		t.Fatalf("%s: objects in namespaces %v, want all in one", dir, namespaces)
	}
	for ns := range namespaces {
		m.namespace = ns
	}
	return m
}

// add decodes one rendered document of the given kind.
func (m *manifests) add(kind string, doc []byte) error {
	m.renderedDocs++
	switch kind {
	case "Namespace":
		return decodeInto(doc, &m.namespaces)
	case "ConfigMap":
		return decodeInto(doc, &m.configMaps)
	case "Service":
		return decodeInto(doc, &m.services)
	case "Deployment":
		return decodeInto(doc, &m.deployments)
	case "PodDisruptionBudget":
		return decodeInto(doc, &m.pdbs)
	case "HorizontalPodAutoscaler":
		return decodeInto(doc, &m.hpas)
	case "NetworkPolicy":
		return decodeInto(doc, &m.policies)
	default:
		return fmt.Errorf("unexpected kind %q", kind)
	}
}

// decodeInto decodes doc into a new T as strictly as the API server
// does, and appends it to list: field names match case-sensitively, and
// an unknown or duplicate field fails.
func decodeInto[T any](doc []byte, list *[]*T) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	v := new(T)
	strictErrs, err := kjson.UnmarshalStrict(js, v)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if len(strictErrs) > 0 {
		return fmt.Errorf("decode: %w", errors.Join(strictErrs...))
	}
	*list = append(*list, v)
	return nil
}

// rendered caches each overlay's manifests for the tests of this run,
// which only read them.
var rendered = struct {
	sync.Mutex
	byDir map[string]*manifests
}{byDir: map[string]*manifests{}}

// renderOnce is render, once per overlay and test binary.
func renderOnce(t *testing.T, dir string) *manifests {
	t.Helper()
	rendered.Lock()
	defer rendered.Unlock()
	if m, ok := rendered.byDir[dir]; ok {
		return m
	}
	m := render(t, dir)
	rendered.byDir[dir] = m
	return m
}

// forEachOverlay runs check as a subtest on every overlay's manifests.
func forEachOverlay(t *testing.T, check func(t *testing.T, m *manifests)) {
	for _, dir := range overlays {
		t.Run(strings.TrimPrefix(dir, "overlays/"), func(t *testing.T) {
			check(t, renderOnce(t, dir))
		})
	}
}

func TestRender(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, m *manifests) {
		t.Logf("%d documents in namespace %s", m.renderedDocs, m.namespace)
	})
}
