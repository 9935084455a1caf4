// The rules of BLUEPRINT §3 and §10 that the code layout must keep, checked
// on every package of the module.
package bazaar_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/bazaar-shop/bazaar"

type pkg struct {
	ImportPath string
	Name       string
	Doc        string
	Imports    []string
	GoFiles    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// area splits an import path of the module into its top directory and,
// for services/ and cmd/, the service name.
func area(path string) (top, name string) {
	rest, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return "", ""
	}
	parts := strings.Split(rest, "/")
	top = parts[0]
	if len(parts) > 1 {
		name = parts[1]
	}
	return top, name
}

// allowed reports whether a package of the module may import imp.
func allowed(from, imp string) (bool, string) {
	if !strings.HasPrefix(imp, module+"/") {
		return true, "" // standard library or third-party
	}
	fromTop, fromName := area(from)
	impTop, impName := area(imp)
	switch fromTop {
	case "api":
		return impTop == "api", "contracts import only contracts"
	case "platform":
		return impTop == "api" || impTop == "platform", "platform imports only api/ and platform/"
	case "services":
		if impTop == "services" {
			return impName == fromName, "a service never imports another service"
		}
		return impTop == "api" || impTop == "platform", "a service imports only api/, platform/ and its own packages"
	case "cmd":
		if impTop == "services" && fromName != "bazaar" {
			return impName == fromName, "a service's binary wires only its own service"
		}
		return true, ""
	case "internal":
		return impTop != "services", "the CLI's internals talk to services only through their APIs"
	}
	return true, ""
}

func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, imp := range p.Imports {
			if ok, why := allowed(p.ImportPath, imp); !ok {
				t.Errorf("%s imports %s: %s", p.ImportPath, imp, why)
			}
		}
	}
}

func TestImportRuleCatchesViolations(t *testing.T) {
	tests := []struct {
		from, imp string
		want      bool
	}{
		{module + "/services/storefront", module + "/services/catalog", false},
		{module + "/services/storefront", module + "/api/bazaar/catalog/v1", true},
		{module + "/services/catalog/store", module + "/services/catalog", true},
		{module + "/services/catalog", module + "/internal/supervisor", false},
		{module + "/platform/server", module + "/services/catalog", false},
		{module + "/api/bazaar/catalog/v1", module + "/platform/money", false},
		{module + "/cmd/pricing", module + "/services/catalog", false},
		{module + "/cmd/pricing", module + "/services/pricing", true},
		{module + "/services/pricing", "google.golang.org/grpc", true},
	}
	for _, tt := range tests {
		if got, _ := allowed(tt.from, tt.imp); got != tt.want {
			t.Errorf("allowed(%s, %s) = %v, want %v", tt.from, tt.imp, got, tt.want)
		}
	}
}

// Every package says what it provides. Generated contracts are exempt:
// protoc-gen-go copies the .proto's package comment but detached from the
// package clause, and the .proto files are where their docs live.
func TestEveryPackageHasDoc(t *testing.T) {
	for _, p := range listPackages(t) {
		if top, _ := area(p.ImportPath); len(p.GoFiles) == 0 || top == "api" {
			continue
		}
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no package doc comment", p.ImportPath)
		}
		if bad := map[string]bool{"util": true, "utils": true, "common": true, "helpers": true, "misc": true}; bad[p.Name] {
			t.Errorf("package %s is named %q: name packages for what they provide", p.ImportPath, p.Name)
		}
	}
}
