// Package k8s holds the tests that render Bazaar's Kubernetes manifests
// (the kustomize base and its dev and prod overlays beside this file) and
// check them: every document decodes strictly into k8s.io/api types,
// selectors, ports and probes agree, and the NetworkPolicies allow exactly
// the service calls the code makes.
//
// It is a module of its own, so that kustomize and k8s.io/api stay out of
// the services' go.mod, joined to the root module by go.work: the tests
// run the services' own flag parsing, and build it with the root
// module's dependencies whatever they become. go.mod lists only what this
// module adds; change it with `go get` here (`go mod tidy` ignores the
// workspace and cannot find the root module).
package k8s
