package client

import (
	"os"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/resilience/ejection"
)

// TestMain installs the ejecting balancer, as every Bazaar program does at
// start, so these tests run the policy the service config names first.
func TestMain(m *testing.M) {
	ejection.Register()
	os.Exit(m.Run())
}
