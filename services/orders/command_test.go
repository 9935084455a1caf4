package orders

import (
	"strings"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/config"
)

func TestCommand(t *testing.T) {
	cmd := Command("v")
	if cmd.Program.Service != "orders" || cmd.Program.Version != "v" {
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
		{name: "dsn", args: []string{"-dsn", "sqlite:/tmp/x.db"}},
		{name: "dsn from the environment", env: map[string]string{"BAZAAR_DSN": "sqlite:/tmp/x.db"}},
		{name: "dsn without a value", args: []string{"-dsn"}, wantErr: "-dsn"},
		{name: "every flag", args: []string{"-base-currency", "EUR", "-flat-shipping", "0", "-saga-max-backoff", "1s",
			"-catalog", "c:1", "-pricing", "p:1", "-shipping", "s:1", "-inventory", "i:1", "-payment", "dns:///payment:1"}},
		{name: "lower-case currency", args: []string{"-base-currency", "usd"}, wantErr: "-base-currency (BAZAAR_BASE_CURRENCY): must be three upper-case letters"},
		{name: "negative flat shipping", args: []string{"-flat-shipping", "-1"}, wantErr: "-flat-shipping (BAZAAR_FLAT_SHIPPING): must be a non-negative decimal"},
		{name: "flat shipping not a number", env: map[string]string{"BAZAAR_FLAT_SHIPPING": "cheap"}, wantErr: "-flat-shipping (BAZAAR_FLAT_SHIPPING)"},
		{name: "backoff below the minimum", args: []string{"-saga-max-backoff", "10ms"}, wantErr: "-saga-max-backoff (BAZAAR_SAGA_MAX_BACKOFF): must be at least 100ms"},
		{name: "dependency target without a value", args: []string{"-inventory"}, wantErr: "-inventory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := config.NewFlagSet("orders")
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
