package verify

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// TestDialThroughRegistry runs verify as `bazaar verify` does: the fakes
// on loopback ports, found through a registry file, called with the
// shared client policy.
func TestDialThroughRegistry(t *testing.T) {
	s := healthyShop()
	snap := s.startLoopback(t)
	path := filepath.Join(t.TempDir(), "registry.json")
	if err := registry.Write(path, snap); err != nil {
		t.Fatal(err)
	}
	clients, closeAll, err := Dial(path, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer closeAll()

	rep, err := Run(t.Context(), clients, Options{Now: fixedClock})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rep.Violations()) != 0 || rep.Orders != 5 || rep.InFlight() != 1 {
		t.Errorf("report %+v: want the healthy shop's 5 orders, one in flight, no violation", rep)
	}

	s.servers["inventory"].Stop()
	rep, err = Run(t.Context(), clients, Options{Now: fixedClock})
	var se *ServiceError
	if !errors.As(err, &se) || se.Service != "inventory" {
		t.Fatalf("Run with inventory stopped: %v, want a ServiceError naming inventory", err)
	}
	if ExitCode(rep, err) != ExitCannotCheck {
		t.Errorf("exit code %d, want %d", ExitCode(rep, err), ExitCannotCheck)
	}
}

func TestDialNeedsARegistry(t *testing.T) {
	if _, _, err := Dial("", nil); err == nil {
		t.Error("Dial without a registry file: no error")
	}
}
