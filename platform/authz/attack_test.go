package authz_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	cartv1 "github.com/bazaar-shop/bazaar/api/bazaar/cart/v1"
	catalogv1 "github.com/bazaar-shop/bazaar/api/bazaar/catalog/v1"
	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	pricingv1 "github.com/bazaar-shop/bazaar/api/bazaar/pricing/v1"
	recommendationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/recommendations/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/platform/authz"
	"github.com/bazaar-shop/bazaar/platform/identity"
	"github.com/bazaar-shop/bazaar/platform/registry"
	"github.com/bazaar-shop/bazaar/platform/server"
	"github.com/bazaar-shop/bazaar/platform/telemetry"
)

// apis are the gRPC APIs of the services, by service name.
func apis() map[string]protoreflect.ServiceDescriptor {
	return map[string]protoreflect.ServiceDescriptor{
		"accounts":        accountsv1.File_bazaar_accounts_v1_accounts_proto.Services().Get(0),
		"cart":            cartv1.File_bazaar_cart_v1_cart_proto.Services().Get(0),
		"catalog":         catalogv1.File_bazaar_catalog_v1_catalog_proto.Services().Get(0),
		"inventory":       inventoryv1.File_bazaar_inventory_v1_inventory_proto.Services().Get(0),
		"notifications":   notificationsv1.File_bazaar_notifications_v1_notifications_proto.Services().Get(0),
		"orders":          ordersv1.File_bazaar_orders_v1_orders_proto.Services().Get(0),
		"payment":         paymentv1.File_bazaar_payment_v1_payment_proto.Services().Get(0),
		"pricing":         pricingv1.File_bazaar_pricing_v1_pricing_proto.Services().Get(0),
		"recommendations": recommendationsv1.File_bazaar_recommendations_v1_recommendations_proto.Services().Get(0),
		"shipping":        shippingv1.File_bazaar_shipping_v1_shipping_proto.Services().Get(0),
	}
}

// identities are every caller a test presents: each service, the
// storefront and the operator.
func identities() []string {
	out := []string{"storefront", identity.Operator}
	for name := range apis() {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// reached is the status of a call that got past authorization: the
// stand-in handler answers UNIMPLEMENTED with this message.
const reached = "handler reached"

// serviceDesc registers every unary method of api with a handler that
// runs the interceptor chain and then answers UNIMPLEMENTED(reached).
func serviceDesc(api protoreflect.ServiceDescriptor) *grpc.ServiceDesc {
	desc := &grpc.ServiceDesc{ServiceName: string(api.FullName()), HandlerType: (*any)(nil)}
	for i := range api.Methods().Len() {
		m := api.Methods().Get(i)
		full := "/" + string(api.FullName()) + "/" + string(m.Name())
		desc.Methods = append(desc.Methods, grpc.MethodDesc{
			MethodName: string(m.Name()),
			Handler: func(_ any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
				in := dynamicpb.NewMessage(m.Input())
				if err := dec(in); err != nil {
					return nil, err
				}
				h := func(context.Context, any) (any, error) { return nil, status.Error(codes.Unimplemented, reached) }
				if ic == nil {
					return h(ctx, in)
				}
				return ic(ctx, in, &grpc.UnaryServerInfo{FullMethod: full}, h)
			},
		})
	}
	return desc
}

// shop is a test authority with a loaded identity per caller.
type shop struct {
	pki     *identity.Authority
	sources map[string]*identity.Source
}

func newShop(t *testing.T, dir string) *shop {
	t.Helper()
	pki, err := identity.OpenAuthority(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &shop{pki: pki, sources: map[string]*identity.Source{}}
	for _, name := range identities() {
		f, err := pki.Issue(name, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if s.sources[name], err = identity.LoadSource(f); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// serve starts a real server for service with its identity from sh, mTLS
// and its authorization table, as platform/daemon configures them.
func serve(t *testing.T, sh *shop, service string, api protoreflect.ServiceDescriptor) string {
	t.Helper()
	tel, err := telemetry.New(t.Context(), telemetry.Options{Service: service, Instance: service + "-1", LogLevel: slog.LevelError, LogOutput: t.Output()})
	if err != nil {
		t.Fatal(err)
	}
	rules, ok := authz.Policy(service)
	if !ok {
		t.Fatalf("no authorization table for %s", service)
	}
	srv, err := server.New(server.Config{
		GRPCAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		Credentials:        identity.ServerCredentials(sh.sources[service]),
		UnaryInterceptors:  []grpc.UnaryServerInterceptor{authz.Unary(service, rules)},
		StreamInterceptors: []grpc.StreamServerInterceptor{authz.Stream(service, rules)},
	}, tel)
	if err != nil {
		t.Fatal(err)
	}
	srv.GRPC().RegisterService(serviceDesc(api), struct{}{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatal(err)
	}
	return srv.GRPCAddr().String()
}

// call invokes method of api at addr with creds and returns its status.
func call(t *testing.T, addr string, creds credentials.TransportCredentials, api protoreflect.ServiceDescriptor, m protoreflect.MethodDescriptor) *status.Status {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	out := dynamicpb.NewMessage(m.Output())
	err = conn.Invoke(ctx, "/"+string(api.FullName())+"/"+string(m.Name()), dynamicpb.NewMessage(m.Input()), out)
	return status.Convert(err)
}

// TestEveryServiceRefusesWhomItShould starts each service's gRPC server
// with mTLS and its table, then calls every method as every identity:
// the callers in the table reach the handler, every other identity gets
// PERMISSION_DENIED; plaintext, a certificate from another CA and a
// client expecting another service never get a call through.
func TestEveryServiceRefusesWhomItShould(t *testing.T) {
	sh := newShop(t, filepath.Join(t.TempDir(), "pki"))
	foreign := newShop(t, filepath.Join(t.TempDir(), "foreign"))
	for service, api := range apis() {
		t.Run(service, func(t *testing.T) {
			addr := serve(t, sh, service, api)
			rules, _ := authz.Policy(service)
			conns := map[string]*grpc.ClientConn{}
			for _, caller := range identities() {
				conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(identity.ClientCredentials(sh.sources[caller], service)))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conns[caller] = conn
			}
			allowedSomeone := false
			for i := range api.Methods().Len() {
				m := api.Methods().Get(i)
				full := "/" + string(api.FullName()) + "/" + string(m.Name())
				for _, caller := range identities() {
					ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
					err := conns[caller].Invoke(ctx, full, dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output()))
					cancel()
					st := status.Convert(err)
					if rules.Allowed(caller, full) {
						allowedSomeone = true
						if st.Code() != codes.Unimplemented || st.Message() != reached {
							t.Errorf("%s calling %s: %v, want the handler reached", caller, full, st)
						}
					} else if st.Code() != codes.PermissionDenied {
						t.Errorf("%s calling %s: %v, want PermissionDenied", caller, full, st)
					}
				}
				if st := call(t, addr, insecure.NewCredentials(), api, m); st.Code() != codes.Unavailable {
					t.Errorf("plaintext call of %s: %v, want Unavailable (no TLS handshake)", full, st)
				}
				// The impostor claims the right name, from another CA.
				impostor := foreign.sources[firstAllowed(rules, full)]
				if st := call(t, addr, identity.ClientCredentials(impostor, service), api, m); st.Code() != codes.Unavailable {
					t.Errorf("call of %s with another CA's certificate: %v, want Unavailable", full, st)
				}
			}
			if !allowedSomeone {
				t.Errorf("%s: no identity may call any method", service)
			}
			// A client that wants payment refuses this server.
			if service != "payment" {
				wrong := identity.ClientCredentials(sh.sources["orders"], "payment")
				if st := call(t, addr, wrong, api, api.Methods().Get(0)); st.Code() != codes.Unavailable {
					t.Errorf("client expecting payment reached %s: %v", service, st)
				}
			}
			// Health checking is open to every verified identity.
			resp, err := healthgrpc.NewHealthClient(conns[identity.Operator]).Check(t.Context(), &healthgrpc.HealthCheckRequest{})
			if err != nil || resp.GetStatus() != healthgrpc.HealthCheckResponse_SERVING {
				t.Errorf("health check: %v, %v", resp, err)
			}
		})
	}
}

// firstAllowed is an identity the table allows for fullMethod, or
// "operator".
func firstAllowed(r authz.Rules, fullMethod string) string {
	for _, c := range identities() {
		if r.Allowed(c, fullMethod) {
			return c
		}
	}
	return identity.Operator
}

// TestEveryMethodHasAnEntry: a method added to a contract must be given
// its callers, not fall to "*" by accident or be refused to everyone.
func TestEveryMethodHasAnEntry(t *testing.T) {
	for service, api := range apis() {
		rules, ok := authz.Policy(service)
		if !ok {
			t.Errorf("%s has no table", service)
			continue
		}
		if _, star := rules["*"]; star {
			continue // every method goes to the same callers
		}
		for i := range api.Methods().Len() {
			if name := string(api.Methods().Get(i).Name()); len(rules[name]) == 0 {
				t.Errorf("%s.%s has no callers in the table", service, name)
			}
		}
		for name := range rules {
			if api.Methods().ByName(protoreflect.Name(name)) == nil {
				t.Errorf("%s's table names %s, which is not in its API", service, name)
			}
		}
	}
}

func TestAllowed(t *testing.T) {
	r := authz.Rules{"Charge": {"orders"}, "*": {"storefront"}}
	tests := []struct {
		caller, method string
		want           bool
	}{
		{"orders", "/bazaar.payment.v1.PaymentService/Charge", true},
		{"storefront", "/bazaar.payment.v1.PaymentService/Charge", false},
		{"storefront", "/bazaar.payment.v1.PaymentService/GetCharge", true},
		{"orders", "/bazaar.payment.v1.PaymentService/GetCharge", false},
		{"anyone", "/grpc.health.v1.Health/Check", true},
		{"orders", "Charge", false},
	}
	for _, tt := range tests {
		if got := r.Allowed(tt.caller, tt.method); got != tt.want {
			t.Errorf("Allowed(%s, %s) = %v, want %v", tt.caller, tt.method, got, tt.want)
		}
	}
}

// TestCallerMetadataIsNotAnIdentity: the storefront, with its own valid
// certificate, claims to be orders in the bazaar-caller metadata that
// fault rules read; payment still refuses it Charge.
func TestCallerMetadataIsNotAnIdentity(t *testing.T) {
	sh := newShop(t, filepath.Join(t.TempDir(), "pki"))
	api := apis()["payment"]
	addr := serve(t, sh, "payment", api)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(identity.ClientCredentials(sh.sources["storefront"], "payment")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	m := api.Methods().ByName("Charge")
	ctx := metadata.AppendToOutgoingContext(t.Context(), registry.CallerHeader, "orders")
	err = conn.Invoke(ctx, "/"+string(api.FullName())+"/Charge", dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output()))
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("storefront claiming to be orders: %v, want PermissionDenied", err)
	}
}
