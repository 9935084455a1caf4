package verify

import (
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/reflect/protoreflect"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/platform/client"
)

// contracts are the generated descriptors of the services verify reads,
// by service name: the client policy retries their read-only methods.
func contracts() map[string]protoreflect.FileDescriptor {
	return map[string]protoreflect.FileDescriptor{
		"orders":        ordersv1.File_bazaar_orders_v1_orders_proto,
		"payment":       paymentv1.File_bazaar_payment_v1_payment_proto,
		"inventory":     inventoryv1.File_bazaar_inventory_v1_inventory_proto,
		"shipping":      shippingv1.File_bazaar_shipping_v1_shipping_proto,
		"notifications": notificationsv1.File_bazaar_notifications_v1_notifications_proto,
	}
}

// Dial connects to every service of Services through the registry file
// at registryPath (targets "registry:///<service>") with the shared client
// policy. Like grpc.NewClient it does not connect until the first call.
// The returned func closes every connection. creds gives the transport
// credentials of the connection to each service (the operator's mTLS
// identity); nil dials plaintext.
func Dial(registryPath string, creds func(service string) credentials.TransportCredentials) (Clients, func(), error) {
	return dial(func(name string) string { return client.Target(name, "") }, registryPath, creds)
}

// DialDNS connects to every service of Services by its DNS name on port
// (targets "dns:///<service>:<port>"), as in containers where each service
// name resolves to its replicas. Like Dial it does not connect until the
// first call; creds is as for Dial.
func DialDNS(port int, creds func(service string) credentials.TransportCredentials) (Clients, func(), error) {
	return dial(func(name string) string { return fmt.Sprintf("dns:///%s:%d", name, port) }, "", creds)
}

func dial(target func(service string) string, registryPath string, creds func(service string) credentials.TransportCredentials) (Clients, func(), error) {
	files := contracts()
	conns := make(map[string]*grpc.ClientConn, len(files))
	closeAll := func() {
		for _, cc := range conns {
			_ = cc.Close()
		}
	}
	for _, name := range Services() {
		opts := client.Options{
			Registry: registryPath,
			Services: []protoreflect.ServiceDescriptor{files[name].Services().Get(0)},
		}
		if creds != nil {
			opts.Credentials = creds(name)
		}
		cc, err := client.Dial(target(name), opts)
		if err != nil {
			closeAll()
			return Clients{}, nil, err
		}
		conns[name] = cc
	}
	return Clients{
		Orders:        ordersv1.NewOrdersServiceClient(conns["orders"]),
		Payment:       paymentv1.NewPaymentServiceClient(conns["payment"]),
		Inventory:     inventoryv1.NewInventoryServiceClient(conns["inventory"]),
		Shipping:      shippingv1.NewShippingServiceClient(conns["shipping"]),
		Notifications: notificationsv1.NewNotificationsServiceClient(conns["notifications"]),
	}, closeAll, nil
}
