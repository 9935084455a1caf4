package storefront

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
)

func TestNewRejectsBadConfig(t *testing.T) {
	deps := Deps{
		Catalog: catalogv1.NewCatalogServiceClient(nil),
		Pricing: pricingv1.NewPricingServiceClient(nil),
	}
	tests := []struct {
		name    string
		cfg     Config
		deps    Deps
		wantErr string
	}{
		{"bad base currency", Config{BaseCurrency: "usd"}, deps, "BaseCurrency"},
		{"negative freshness", Config{CatalogFreshFor: -time.Second}, deps, "CatalogFreshFor"},
		{"stale shorter than fresh", Config{CatalogFreshFor: time.Hour, StaleFor: 2 * time.Minute}, deps, "StaleFor"},
		{"negative timeout", Config{PricingTimeout: -1}, deps, "PricingTimeout"},
		{"no catalog", Config{}, Deps{Pricing: deps.Pricing}, "Catalog"},
		{"no pricing", Config{}, Deps{Catalog: deps.Catalog}, "Pricing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.deps)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
	if _, err := New(Config{}, deps); err != nil {
		t.Errorf("New with defaults: %v", err)
	}
}

// TestImportsOnlyContractsAndPlatform enforces the service boundary: the
// storefront reaches other services only through their published APIs.
func TestImportsOnlyContractsAndPlatform(t *testing.T) {
	const module = "github.com/bazaar-shop/bazaar/"
	allowed := []string{module + "api/", module + "platform/", module + "services/storefront/"}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, module) {
				continue
			}
			ok := false
			for _, a := range allowed {
				ok = ok || strings.HasPrefix(p, a)
			}
			if !ok {
				t.Errorf("%s imports %s: the storefront may import only api/..., platform/... and its own packages", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
