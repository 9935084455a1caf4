// Package k8s holds the tests that render Bazaar's Kubernetes manifests
// (the kustomize base and its dev and prod overlays beside this file) and
// check them: every document decodes strictly into k8s.io/api types,
// selectors, ports and probes agree, and the NetworkPolicies allow exactly
// the service calls the code makes. It is a module of its own so that
// kustomize and k8s.io/api stay out of the services' go.mod.
package k8s
