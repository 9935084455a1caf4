package accounts

import (
	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/services/accounts/store"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// toProtoUser converts a stored user to its API form, without the hash.
func toProtoUser(u store.User) *accountsv1.User {
	return &accountsv1.User{Id: u.ID, Email: u.Email, Name: u.Name, CreateTime: timestamppb.New(u.Created)}
}

// toProtoAddress converts a stored address book entry to its API form.
func toProtoAddress(sa store.SavedAddress) *accountsv1.SavedAddress {
	a := sa.Address
	return &accountsv1.SavedAddress{
		Id:     sa.ID,
		UserId: sa.UserID,
		Address: &typesv1.Address{
			Name: a.Name, Street: a.Street, City: a.City, PostalCode: a.PostalCode, CountryCode: a.CountryCode,
		},
		CreateTime: timestamppb.New(sa.Created),
	}
}
