package storefront

import (
	"strings"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/config"
)

func TestCommand(t *testing.T) {
	cmd := Command("v")
	if cmd.Program.Service != "storefront" || cmd.Program.Version != "v" || !cmd.Program.PublicHTTP || cmd.Program.DefaultHTTPAddr != "127.0.0.1:8080" {
		t.Fatalf("Program = %+v", cmd.Program)
	}
	if cmd.Flags == nil || cmd.Wire == nil {
		t.Fatal("Command has no Flags or no Wire")
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // "": parses; else a part of the error naming the flag
	}{
		{name: "defaults"},
		{name: "every flag", args: []string{"-catalog", "c:1", "-pricing", "p:1", "-accounts", "a:1", "-cart", "dns:///cart:1",
			"-orders", "o:1", "-inventory", "i:1", "-recommendations", "r:1", "-notifications", "n:1",
			"-base-currency", "EUR", "-catalog-fresh-for", "10s", "-stale-for", "1h", "-session-key-file", "/tmp/key"}},
		{name: "stale-for not a duration", args: []string{"-stale-for", "soon"}, wantErr: "-stale-for"},
		{name: "catalog-fresh-for not a duration", env: map[string]string{"BAZAAR_CATALOG_FRESH_FOR": "soon"}, wantErr: "BAZAAR_CATALOG_FRESH_FOR (flag -catalog-fresh-for)"},
		{name: "upstream target without a value", args: []string{"-orders"}, wantErr: "-orders"},
		{name: "a flag it does not have", args: []string{"-dsn", "sqlite:x"}, wantErr: "-dsn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := config.NewFlagSet("storefront")
			cmd.Flags(fs)
			err := fs.Parse(tt.args, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Parse(%q) = %v, want nil", tt.args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Parse(%q) = %v, want an error naming %q", tt.args, err, tt.wantErr)
			}
		})
	}
}
