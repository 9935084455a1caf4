package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/internal/verify"
	"github.com/bazaar-shop/bazaar/platform/client"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// verifyConfig is the settings of `bazaar verify`.
type verifyConfig struct {
	data   string
	grace  time.Duration
	wait   time.Duration
	asJSON bool
}

func parseVerify(args []string, stdout io.Writer) (verifyConfig, error) {
	var c verifyConfig
	fs := config.NewFlagSet("bazaar verify")
	fs.StringVar(&c.data, "data", ".bazaar", "data directory of the running shop")
	fs.DurationVar(&c.grace, "grace", verify.DefaultGrace, "how long an order may stay PENDING, or wait for its shipment and e-mail, before it is a violation")
	fs.DurationVar(&c.wait, "wait", 0, "keep checking while orders are in flight, up to this long")
	fs.BoolVar(&c.asJSON, "json", false, "print JSON")
	fs.Check("grace", func() bool { return c.grace > 0 }, "must be positive")
	fs.Check("wait", func() bool { return c.wait >= 0 }, "must not be negative")
	err := fs.Parse(args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage(stdout)
	}
	return c, err
}

// runVerify is `bazaar verify`: it checks the invariants of the order flow
// through the services' APIs and prints what it found. The error it
// returns carries the exit status (verify.ExitError): 1 for a violation,
// 2 when the invariants cannot be checked.
func runVerify(ctx context.Context, args []string, stdout, _ io.Writer) error {
	c, err := parseVerify(args, stdout)
	if err != nil {
		return err
	}
	path := supervisor.RegistryPath(c.data)
	snap, err := registry.Read(path)
	if err != nil {
		return cannotCheck(err)
	}
	if down := verify.Missing(snap); len(down) > 0 {
		return cannotCheck(fmt.Errorf("%s down: no ready instance in %s", strings.Join(down, ", "), path))
	}
	clients, closeAll, err := dialVerify(path)
	if err != nil {
		return cannotCheck(err)
	}
	defer closeAll()
	rep, err := verify.Run(ctx, clients, verify.Options{Grace: c.grace, Wait: c.wait})
	if err != nil {
		return cannotCheck(err)
	}
	if c.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.Write(stdout)
	}
	if err != nil {
		return err
	}
	if n := len(rep.Violations()); n > 0 {
		return &verify.ExitError{Code: verify.ExitViolation, Err: fmt.Errorf("%d violations of the order flow's invariants", n)}
	}
	return nil
}

func cannotCheck(err error) error {
	return &verify.ExitError{Code: verify.ExitCannotCheck, Err: fmt.Errorf("cannot check: %w", err)}
}

// dialVerify connects to the services verify reads through the registry
// file at path. closeAll closes every connection.
func dialVerify(path string) (verify.Clients, func(), error) {
	contracts := map[string]protoreflect.FileDescriptor{
		"orders":        ordersv1.File_bazaar_orders_v1_orders_proto,
		"payment":       paymentv1.File_bazaar_payment_v1_payment_proto,
		"inventory":     inventoryv1.File_bazaar_inventory_v1_inventory_proto,
		"shipping":      shippingv1.File_bazaar_shipping_v1_shipping_proto,
		"notifications": notificationsv1.File_bazaar_notifications_v1_notifications_proto,
	}
	conns := make(map[string]*grpc.ClientConn, len(contracts))
	closeAll := func() {
		for _, cc := range conns {
			_ = cc.Close()
		}
	}
	for _, name := range verify.Services() {
		cc, err := client.Dial(client.Target(name, ""), client.Options{
			Registry: path,
			Services: []protoreflect.ServiceDescriptor{contracts[name].Services().Get(0)},
		})
		if err != nil {
			closeAll()
			return verify.Clients{}, nil, err
		}
		conns[name] = cc
	}
	return verify.Clients{
		Orders:        ordersv1.NewOrdersServiceClient(conns["orders"]),
		Payment:       paymentv1.NewPaymentServiceClient(conns["payment"]),
		Inventory:     inventoryv1.NewInventoryServiceClient(conns["inventory"]),
		Shipping:      shippingv1.NewShippingServiceClient(conns["shipping"]),
		Notifications: notificationsv1.NewNotificationsServiceClient(conns["notifications"]),
	}, closeAll, nil
}
