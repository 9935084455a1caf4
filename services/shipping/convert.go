package shipping

import (
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// shipmentProto is sh on the wire.
func shipmentProto(sh shipment) *shippingv1.Shipment {
	items := make([]*shippingv1.ShippingItem, 0, len(sh.Items))
	for _, it := range sh.Items {
		items = append(items, &shippingv1.ShippingItem{ProductId: it.ProductID, Quantity: it.Quantity, WeightGrams: it.WeightGrams})
	}
	a := sh.Address
	return &shippingv1.Shipment{
		Id:               sh.ID,
		OrderId:          sh.OrderID,
		TrackingId:       sh.TrackingID,
		Carrier:          sh.Carrier,
		Status:           sh.Status,
		Address:          &typesv1.Address{Name: a.Name, Street: a.Street, City: a.City, PostalCode: a.PostalCode, CountryCode: a.CountryCode},
		Items:            items,
		TotalWeightGrams: sh.WeightGrams,
		Email:            sh.Email,
		CreateTime:       timestamppb.New(sh.CreateTime),
		UpdateTime:       timestamppb.New(sh.UpdateTime),
	}
}

// trackingProto is a journey on the wire.
func trackingProto(evs []trackingEvent) []*shippingv1.TrackingEvent {
	out := make([]*shippingv1.TrackingEvent, 0, len(evs))
	for _, ev := range evs {
		out = append(out, &shippingv1.TrackingEvent{Status: ev.Status, Description: ev.Description, OccurTime: timestamppb.New(ev.OccurTime)})
	}
	return out
}
