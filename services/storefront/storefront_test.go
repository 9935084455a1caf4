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
)

func TestNewRejectsBadConfig(t *testing.T) {
	deps := testDeps(nil, nil)
	without := func(drop func(*Deps)) Deps {
		d := deps
		drop(&d)
		return d
	}
	key := testSessionKey()
	tests := []struct {
		name    string
		cfg     Config
		deps    Deps
		wantErr string
	}{
		{"bad base currency", Config{BaseCurrency: "usd", SessionKey: key}, deps, "BaseCurrency"},
		{"negative freshness", Config{CatalogFreshFor: -time.Second, SessionKey: key}, deps, "CatalogFreshFor"},
		{"stale shorter than fresh", Config{CatalogFreshFor: time.Hour, StaleFor: 2 * time.Minute, SessionKey: key}, deps, "StaleFor"},
		{"negative timeout", Config{PricingTimeout: -1, SessionKey: key}, deps, "PricingTimeout"},
		{"negative call timeout", Config{CallTimeout: -1, SessionKey: key}, deps, "CallTimeout"},
		{"no session key", Config{}, deps, "SessionKey"},
		{"short session key", Config{SessionKey: key[:31]}, deps, "SessionKey"},
		{"short session life", Config{SessionKey: key, SessionMaxAge: time.Minute}, deps, "SessionMaxAge"},
		{"no catalog", Config{SessionKey: key}, without(func(d *Deps) { d.Catalog = nil }), "Catalog"},
		{"no pricing", Config{SessionKey: key}, without(func(d *Deps) { d.Pricing = nil }), "Pricing"},
		{"no accounts", Config{SessionKey: key}, without(func(d *Deps) { d.Accounts = nil }), "Accounts"},
		{"no cart", Config{SessionKey: key}, without(func(d *Deps) { d.Cart = nil }), "Cart"},
		{"no orders", Config{SessionKey: key}, without(func(d *Deps) { d.Orders = nil }), "Orders"},
		{"no inventory", Config{SessionKey: key}, without(func(d *Deps) { d.Inventory = nil }), "Inventory"},
		{"no recommendations", Config{SessionKey: key}, without(func(d *Deps) { d.Recommendations = nil }), "Recommendations"},
		{"no notifications", Config{SessionKey: key}, without(func(d *Deps) { d.Notifications = nil }), "Notifications"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.deps)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
	if _, err := New(Config{SessionKey: key}, deps); err != nil {
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
