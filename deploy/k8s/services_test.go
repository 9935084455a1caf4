package k8s

// services are Bazaar's eleven services, each a Deployment.
var services = []string{
	"accounts", "cart", "catalog", "inventory", "notifications", "orders",
	"payment", "pricing", "recommendations", "shipping", "storefront",
}

// calls is the call graph: each service and the services it calls over
// gRPC. It is docs/architecture.md's "calls" column; code_test.go checks
// it against the upstream flags of each service's binary, and
// network_test.go checks that the NetworkPolicies allow these calls and
// no other.
var calls = map[string][]string{
	"cart":            {"catalog"},
	"orders":          {"catalog", "inventory", "payment", "pricing", "shipping"},
	"recommendations": {"catalog"},
	"storefront":      {"accounts", "cart", "catalog", "inventory", "notifications", "orders", "pricing", "recommendations"},
}

// busUsers are the services that publish or consume events on NATS;
// code_test.go checks it against the services' wiring.
var busUsers = []string{"accounts", "cart", "inventory", "notifications", "orders", "payment", "recommendations", "shipping"}

// stateful are the services with a database of their own (every one but
// the storefront); in prod each gets its PostgreSQL DSN.
var stateful = []string{"accounts", "cart", "catalog", "inventory", "notifications", "orders", "payment", "pricing", "recommendations", "shipping"}
