package recommendations

import (
	"strings"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/config"
)

func TestCommand(t *testing.T) {
	cmd := Command("v")
	if cmd.Program.Service != "recommendations" || cmd.Program.Version != "v" {
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
		{name: "every flag", args: []string{"-catalog", "dns:///catalog:9000", "-catalog-timeout", "1s"}},
		{name: "zero catalog timeout", args: []string{"-catalog-timeout", "0s"}, wantErr: "-catalog-timeout (BAZAAR_CATALOG_TIMEOUT): must be positive"},
		{name: "catalog timeout not a duration", env: map[string]string{"BAZAAR_CATALOG_TIMEOUT": "soon"}, wantErr: "BAZAAR_CATALOG_TIMEOUT (flag -catalog-timeout)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := config.NewFlagSet("recommendations")
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
