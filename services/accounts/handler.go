package accounts

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/services/accounts/password"
	"github.com/bazaar-shop/bazaar/services/accounts/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// EventUserRegistered is the type of the event CreateAccount publishes.
const EventUserRegistered = "user.registered"

// signInFailed is the one answer to every failed sign-in, so it tells no
// one whether an address is registered.
func signInFailed() error {
	return status.Error(codes.Unauthenticated, "wrong e-mail address or password")
}

// handler serves accountsv1.AccountsService. It validates every request
// and is the one place where errors become gRPC statuses. It never logs a
// password or a hash.
type handler struct {
	accountsv1.UnimplementedAccountsServiceServer
	store  *store.Store
	hasher *password.Hasher
	outbox *events.Outbox
	now    func() time.Time
	logger *slog.Logger
}

// CreateAccount registers a user and adds user.registered to the outbox
// in the same transaction.
func (h *handler) CreateAccount(ctx context.Context, req *accountsv1.CreateAccountRequest) (*accountsv1.CreateAccountResponse, error) {
	email, err := normalizeEmail("email", req.GetEmail())
	if err != nil {
		return nil, invalid(err)
	}
	if err := checkPassword(req.GetPassword()); err != nil {
		return nil, invalid(err)
	}
	name, err := normalizeText("name", req.GetName(), MaxNameBytes)
	if err != nil {
		return nil, invalid(err)
	}
	if err := checkToken("idempotency_key", req.GetIdempotencyKey(), MaxKeyBytes); err != nil {
		return nil, invalid(err)
	}
	hash, err := h.hasher.Hash(ctx, req.GetPassword())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	nu := store.NewUser{Email: email, Name: name, PasswordHash: hash, IdempotencyKey: req.GetIdempotencyKey(), Created: h.now()}
	u, created, err := h.store.CreateUser(ctx, nu, func(tx *sql.Tx, u store.User) error {
		_, err := h.outbox.Add(ctx, tx, EventUserRegistered, u.ID, &eventsv1.UserRegistered{UserId: u.ID, Email: u.Email, Name: u.Name})
		return err
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if created {
		h.outbox.Notify()
		h.logger.InfoContext(ctx, "user registered", "user_id", u.ID)
	}
	return &accountsv1.CreateAccountResponse{User: toProtoUser(u)}, nil
}

// Authenticate checks an e-mail address and password. An unknown address
// costs the same hashing time as a wrong password and gets the same
// answer.
func (h *handler) Authenticate(ctx context.Context, req *accountsv1.AuthenticateRequest) (*accountsv1.AuthenticateResponse, error) {
	email, err := normalizeEmail("email", req.GetEmail())
	if err != nil {
		return nil, invalid(err)
	}
	if err := checkToken("password", req.GetPassword(), MaxPasswordBytes); err != nil {
		return nil, invalid(err)
	}
	u, err := h.store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		if err := h.hasher.VerifyDummy(ctx, req.GetPassword()); err != nil {
			return nil, h.fail(ctx, err)
		}
		return nil, signInFailed()
	}
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	ok, err := h.hasher.Verify(ctx, u.PasswordHash, req.GetPassword())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	if !ok {
		return nil, signInFailed()
	}
	return &accountsv1.AuthenticateResponse{User: toProtoUser(u)}, nil
}

// GetUser returns one user.
func (h *handler) GetUser(ctx context.Context, req *accountsv1.GetUserRequest) (*accountsv1.GetUserResponse, error) {
	if err := checkToken("user_id", req.GetUserId(), MaxIDBytes); err != nil {
		return nil, invalid(err)
	}
	u, err := h.store.UserByID(ctx, req.GetUserId())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &accountsv1.GetUserResponse{User: toProtoUser(u)}, nil
}

// AddAddress adds an address to a user's address book.
func (h *handler) AddAddress(ctx context.Context, req *accountsv1.AddAddressRequest) (*accountsv1.AddAddressResponse, error) {
	if err := checkToken("user_id", req.GetUserId(), MaxIDBytes); err != nil {
		return nil, invalid(err)
	}
	addr, err := toStoreAddress("address", req.GetAddress())
	if err != nil {
		return nil, invalid(err)
	}
	if err := checkToken("idempotency_key", req.GetIdempotencyKey(), MaxKeyBytes); err != nil {
		return nil, invalid(err)
	}
	saved, err := h.store.AddAddress(ctx, store.NewAddress{
		UserID: req.GetUserId(), Address: addr, IdempotencyKey: req.GetIdempotencyKey(), Created: h.now(),
	})
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	return &accountsv1.AddAddressResponse{Address: toProtoAddress(saved)}, nil
}

// ListAddresses returns a user's address book, oldest first.
func (h *handler) ListAddresses(ctx context.Context, req *accountsv1.ListAddressesRequest) (*accountsv1.ListAddressesResponse, error) {
	if err := checkToken("user_id", req.GetUserId(), MaxIDBytes); err != nil {
		return nil, invalid(err)
	}
	list, err := h.store.ListAddresses(ctx, req.GetUserId())
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	resp := &accountsv1.ListAddressesResponse{Addresses: make([]*accountsv1.SavedAddress, len(list))}
	for i, sa := range list {
		resp.Addresses[i] = toProtoAddress(sa)
	}
	return resp, nil
}

// invalid is the status of a request that failed validation.
func invalid(err error) error {
	return status.Error(codes.InvalidArgument, err.Error())
}

// fail turns an error from the store or the hasher into a status: the
// caller's mistakes get their own codes, the context's end its code, and
// anything else Internal (logged, details withheld from the caller).
func (h *handler) fail(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, "no such user")
	case errors.Is(err, store.ErrEmailTaken):
		return status.Error(codes.AlreadyExists, "the e-mail address is already registered")
	case errors.Is(err, store.ErrKeyReused):
		return status.Error(codes.InvalidArgument, "idempotency_key was already used for a different request")
	case errors.Is(err, store.ErrAddressBookFull):
		return status.Errorf(codes.FailedPrecondition, "the address book is full (at most %d addresses)", store.MaxAddresses)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	h.logger.ErrorContext(ctx, "accounts request failed", "error", err)
	return status.Error(codes.Internal, "internal error")
}
