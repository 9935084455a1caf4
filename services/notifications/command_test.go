package notifications

import (
	"strings"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/config"
)

func TestCommand(t *testing.T) {
	cmd := Command("v")
	if cmd.Program.Service != "notifications" || cmd.Program.Version != "v" {
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
		{name: "every flag", args: []string{"-smtp-addr", "127.0.0.1:25", "-smtp-from", "shop@example.com",
			"-smtp-retry", "1s", "-smtp-retry-max", "1m", "-smtp-timeout", "5s"}},
		{name: "smtp address without a port", args: []string{"-smtp-addr", "mail"}, wantErr: "-smtp-addr (BAZAAR_SMTP_ADDR): must be host:port"},
		{name: "sender not an address", env: map[string]string{"BAZAAR_SMTP_FROM": "nobody"}, wantErr: "-smtp-from (BAZAAR_SMTP_FROM): must be an e-mail address"},
		{name: "zero retry", args: []string{"-smtp-retry", "0s", "-smtp-retry-max", "1s"}, wantErr: "-smtp-retry (BAZAAR_SMTP_RETRY): must be positive"},
		{name: "retry max below retry", args: []string{"-smtp-retry", "2s", "-smtp-retry-max", "1s"}, wantErr: "-smtp-retry-max (BAZAAR_SMTP_RETRY_MAX): must be at least -smtp-retry"},
		{name: "zero timeout", args: []string{"-smtp-timeout", "0s"}, wantErr: "-smtp-timeout (BAZAAR_SMTP_TIMEOUT): must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := config.NewFlagSet("notifications")
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
