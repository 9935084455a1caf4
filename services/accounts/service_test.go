package accounts

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/services/accounts/password"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// fastParams keep tests quick; TestUnknownEmailCostsAHash uses the real
// ones.
func fastParams() password.Params {
	return password.Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltBytes: 16, KeyBytes: 32}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type fixture struct {
	svc    *Service
	client accountsv1.AccountsServiceClient
	logs   *syncBuffer
}

// start runs a Service with params on a fresh SQLite file behind a gRPC
// server on bufconn.
func start(t *testing.T, params password.Params) fixture {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "accounts.db"), Password: params, Now: func() time.Time { return t0 }}
	svc, err := New(context.Background(), cfg, Deps{}, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	svc.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///accounts",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return fixture{svc: svc, client: accountsv1.NewAccountsServiceClient(conn), logs: logs}
}

func createReq(email, key string) *accountsv1.CreateAccountRequest {
	return &accountsv1.CreateAccountRequest{Email: email, Password: "s3cret-pa55word", Name: "Ada Lovelace", IdempotencyKey: key}
}

func address() *typesv1.Address {
	return &typesv1.Address{Name: "Ada", Street: "1 Main St", City: "Springfield", PostalCode: "12345", CountryCode: "US"}
}

func mustCreate(t *testing.T, c accountsv1.AccountsServiceClient, email, key string) *accountsv1.User {
	t.Helper()
	resp, err := c.CreateAccount(context.Background(), createReq(email, key))
	if err != nil {
		t.Fatalf("CreateAccount(%s): %v", email, err)
	}
	return resp.GetUser()
}

func pending(t *testing.T, s *Service) int {
	t.Helper()
	n, err := s.outbox.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateAccountThenSignIn(t *testing.T) {
	f := start(t, fastParams())
	ctx := context.Background()
	u := mustCreate(t, f.client, " Ada@Example.com", "key-1")
	if u.GetId() == "" || u.GetEmail() != "ada@example.com" || u.GetName() != "Ada Lovelace" || !u.GetCreateTime().AsTime().Equal(t0) {
		t.Errorf("created user %v", u)
	}
	auth, err := f.client.Authenticate(ctx, &accountsv1.AuthenticateRequest{Email: "ADA@example.com", Password: "s3cret-pa55word"})
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if !proto.Equal(auth.GetUser(), u) {
		t.Errorf("Authenticate user %v, want %v", auth.GetUser(), u)
	}
	got, err := f.client.GetUser(ctx, &accountsv1.GetUserRequest{UserId: u.GetId()})
	if err != nil || !proto.Equal(got.GetUser(), u) {
		t.Errorf("GetUser = %v, %v; want %v", got.GetUser(), err, u)
	}
	if n := pending(t, f.svc); n != 1 {
		t.Errorf("outbox holds %d events, want 1 user.registered", n)
	}
	if strings.Contains(f.logs.String(), "s3cret-pa55word") || strings.Contains(f.logs.String(), "argon2id") {
		t.Errorf("logs contain the password or its hash:\n%s", f.logs)
	}
}

func TestSignInFailuresLookAlike(t *testing.T) {
	f := start(t, fastParams())
	mustCreate(t, f.client, "ada@example.com", "key-1")
	ctx := context.Background()
	var answers []*status.Status
	for _, req := range []*accountsv1.AuthenticateRequest{
		{Email: "ada@example.com", Password: "wrong-password"},
		{Email: "nobody@example.com", Password: "s3cret-pa55word"},
	} {
		_, err := f.client.Authenticate(ctx, req)
		answers = append(answers, status.Convert(err))
	}
	if answers[0].Code() != codes.Unauthenticated || answers[0].Code() != answers[1].Code() || answers[0].Message() != answers[1].Message() {
		t.Errorf("wrong password: %v; unknown e-mail: %v; want the same UNAUTHENTICATED", answers[0], answers[1])
	}
	if strings.Contains(f.logs.String(), "wrong-password") {
		t.Errorf("logs contain a password:\n%s", f.logs)
	}
}

// TestUnknownEmailCostsAHash checks, with the production parameters, that
// an unknown e-mail is not answered at once: a dummy hash is computed, as
// for a wrong password. Without it the answer would come about 30 times
// faster; the bound leaves room for a busy machine.
func TestUnknownEmailCostsAHash(t *testing.T) {
	f := start(t, password.DefaultParams())
	mustCreate(t, f.client, "ada@example.com", "key-1")
	ctx := context.Background()
	fastest := func(email string) time.Duration {
		best := time.Hour
		for range 3 {
			begin := time.Now()
			_, err := f.client.Authenticate(ctx, &accountsv1.AuthenticateRequest{Email: email, Password: "wrong-password"})
			if status.Code(err) != codes.Unauthenticated {
				t.Fatalf("Authenticate(%s) = %v, want Unauthenticated", email, err)
			}
			best = min(best, time.Since(begin))
		}
		return best
	}
	known, unknown := fastest("ada@example.com"), fastest("nobody@example.com")
	if unknown < known/10 {
		t.Errorf("unknown e-mail took %v, wrong password %v; want a comparable hashing time", unknown, known)
	}
}

func TestCreateAccountIdempotency(t *testing.T) {
	f := start(t, fastParams())
	ctx := context.Background()
	first := mustCreate(t, f.client, "ada@example.com", "key-1")
	again := mustCreate(t, f.client, "ADA@example.com", "key-1")
	if !proto.Equal(first, again) {
		t.Errorf("retry with the same key returned %v, want %v", again, first)
	}
	if n := pending(t, f.svc); n != 1 {
		t.Errorf("outbox holds %d events after a retry, want 1", n)
	}
	tests := []struct {
		name string
		req  *accountsv1.CreateAccountRequest
		want codes.Code
	}{
		{"taken address, other key", createReq("ada@example.com", "key-2"), codes.AlreadyExists},
		{"taken address in other case", createReq("ADA@EXAMPLE.COM", "key-3"), codes.AlreadyExists},
		{"same key, other address", createReq("bob@example.com", "key-1"), codes.InvalidArgument},
	}
	for _, tt := range tests {
		if _, err := f.client.CreateAccount(ctx, tt.req); status.Code(err) != tt.want {
			t.Errorf("%s: CreateAccount = %v, want %v", tt.name, err, tt.want)
		}
	}
	if n := pending(t, f.svc); n != 1 {
		t.Errorf("outbox holds %d events after refused registrations, want 1", n)
	}
}

func TestAddresses(t *testing.T) {
	f := start(t, fastParams())
	ctx := context.Background()
	u := mustCreate(t, f.client, "ada@example.com", "key-1")
	add := func(key string, a *typesv1.Address) *accountsv1.SavedAddress {
		t.Helper()
		resp, err := f.client.AddAddress(ctx, &accountsv1.AddAddressRequest{UserId: u.GetId(), Address: a, IdempotencyKey: key})
		if err != nil {
			t.Fatalf("AddAddress: %v", err)
		}
		return resp.GetAddress()
	}
	home := add("a-1", address())
	work := address()
	work.Street = "2 Office Rd"
	second := add("a-2", work)
	if retry := add("a-1", address()); !proto.Equal(retry, home) {
		t.Errorf("retry returned %v, want %v", retry, home)
	}
	if home.GetUserId() != u.GetId() || !proto.Equal(home.GetAddress(), address()) || !home.GetCreateTime().AsTime().Equal(t0) {
		t.Errorf("saved address %v", home)
	}
	list, err := f.client.ListAddresses(ctx, &accountsv1.ListAddressesRequest{UserId: u.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if got := list.GetAddresses(); len(got) != 2 || !proto.Equal(got[0], home) || !proto.Equal(got[1], second) {
		t.Errorf("ListAddresses = %v, want [%v %v]", got, home, second)
	}
}

func TestStatusCodes(t *testing.T) {
	f := start(t, fastParams())
	ctx := context.Background()
	u := mustCreate(t, f.client, "ada@example.com", "key-1")
	with := func(mod func(r *accountsv1.CreateAccountRequest)) *accountsv1.CreateAccountRequest {
		r := createReq("new@example.com", "key-new")
		mod(r)
		return r
	}
	addReq := func(mod func(r *accountsv1.AddAddressRequest)) *accountsv1.AddAddressRequest {
		r := &accountsv1.AddAddressRequest{UserId: u.GetId(), Address: address(), IdempotencyKey: "addr-1"}
		mod(r)
		return r
	}
	create := func(r *accountsv1.CreateAccountRequest) func() error {
		return func() error { _, err := f.client.CreateAccount(ctx, r); return err }
	}
	auth := func(email, pw string) func() error {
		return func() error {
			_, err := f.client.Authenticate(ctx, &accountsv1.AuthenticateRequest{Email: email, Password: pw})
			return err
		}
	}
	addAddr := func(r *accountsv1.AddAddressRequest) func() error {
		return func() error { _, err := f.client.AddAddress(ctx, r); return err }
	}
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"create: bad e-mail", create(with(func(r *accountsv1.CreateAccountRequest) { r.Email = "not-an-address" })), codes.InvalidArgument},
		{"create: no e-mail", create(with(func(r *accountsv1.CreateAccountRequest) { r.Email = "" })), codes.InvalidArgument},
		{"create: long e-mail", create(with(func(r *accountsv1.CreateAccountRequest) { r.Email = strings.Repeat("a", 250) + "@x.io" })), codes.InvalidArgument},
		{"create: short password", create(with(func(r *accountsv1.CreateAccountRequest) { r.Password = "1234567" })), codes.InvalidArgument},
		{"create: long password", create(with(func(r *accountsv1.CreateAccountRequest) { r.Password = strings.Repeat("p", 129) })), codes.InvalidArgument},
		{"create: no name", create(with(func(r *accountsv1.CreateAccountRequest) { r.Name = " " })), codes.InvalidArgument},
		{"create: long name", create(with(func(r *accountsv1.CreateAccountRequest) { r.Name = strings.Repeat("n", 101) })), codes.InvalidArgument},
		{"create: no key", create(with(func(r *accountsv1.CreateAccountRequest) { r.IdempotencyKey = "" })), codes.InvalidArgument},
		{"create: long key", create(with(func(r *accountsv1.CreateAccountRequest) { r.IdempotencyKey = strings.Repeat("k", 129) })), codes.InvalidArgument},
		{"create: taken", create(with(func(r *accountsv1.CreateAccountRequest) { r.Email = "ada@example.com" })), codes.AlreadyExists},
		{"create: ok", create(with(func(*accountsv1.CreateAccountRequest) {})), codes.OK},

		{"auth: ok", auth("ada@example.com", "s3cret-pa55word"), codes.OK},
		{"auth: wrong password", auth("ada@example.com", "s3cret-pa55wore"), codes.Unauthenticated},
		{"auth: unknown", auth("eve@example.com", "s3cret-pa55word"), codes.Unauthenticated},
		{"auth: no password", auth("ada@example.com", ""), codes.InvalidArgument},
		{"auth: long password", auth("ada@example.com", strings.Repeat("p", 129)), codes.InvalidArgument},
		{"auth: bad e-mail", auth("ada", "s3cret-pa55word"), codes.InvalidArgument},

		{"get: ok", func() error {
			_, err := f.client.GetUser(ctx, &accountsv1.GetUserRequest{UserId: u.GetId()})
			return err
		}, codes.OK},
		{"get: unknown", func() error {
			_, err := f.client.GetUser(ctx, &accountsv1.GetUserRequest{UserId: "nobody"})
			return err
		}, codes.NotFound},
		{"get: no id", func() error { _, err := f.client.GetUser(ctx, &accountsv1.GetUserRequest{}); return err }, codes.InvalidArgument},

		{"add address: ok", addAddr(addReq(func(*accountsv1.AddAddressRequest) {})), codes.OK},
		{"add address: unknown user", addAddr(addReq(func(r *accountsv1.AddAddressRequest) { r.UserId = "nobody" })), codes.NotFound},
		{"add address: no user", addAddr(addReq(func(r *accountsv1.AddAddressRequest) { r.UserId = "" })), codes.InvalidArgument},
		{"add address: no address", addAddr(addReq(func(r *accountsv1.AddAddressRequest) { r.Address = nil })), codes.InvalidArgument},
		{"add address: incomplete", addAddr(addReq(func(r *accountsv1.AddAddressRequest) { r.Address.City = "" })), codes.InvalidArgument},
		{"add address: bad country", addAddr(addReq(func(r *accountsv1.AddAddressRequest) { r.Address.CountryCode = "Germany" })), codes.InvalidArgument},
		{"add address: no key", addAddr(addReq(func(r *accountsv1.AddAddressRequest) { r.IdempotencyKey = "" })), codes.InvalidArgument},
		{"add address: key reused", addAddr(addReq(func(r *accountsv1.AddAddressRequest) { r.Address.Street = "elsewhere" })), codes.InvalidArgument},

		{"list: ok", func() error {
			_, err := f.client.ListAddresses(ctx, &accountsv1.ListAddressesRequest{UserId: u.GetId()})
			return err
		}, codes.OK},
		{"list: unknown user", func() error {
			_, err := f.client.ListAddresses(ctx, &accountsv1.ListAddressesRequest{UserId: "nobody"})
			return err
		}, codes.NotFound},
		{"list: no user", func() error { _, err := f.client.ListAddresses(ctx, &accountsv1.ListAddressesRequest{}); return err }, codes.InvalidArgument},
	}
	for _, tt := range tests {
		if got := status.Code(tt.call()); got != tt.want {
			t.Errorf("%s: code %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"empty DSN":    {},
		"postgres":     {DSN: "postgres://db/accounts"},
		"weak hashing": {DSN: filepath.Join(t.TempDir(), "a.db"), Password: password.Params{MemoryKiB: 64}},
	} {
		if svc, err := New(ctx, cfg, Deps{}, nil); err == nil {
			_ = svc.Close()
			t.Errorf("New(%s) succeeded, want error", name)
		}
	}
}

func TestReadyFailsAfterClose(t *testing.T) {
	svc, err := New(context.Background(), Config{DSN: filepath.Join(t.TempDir(), "a.db"), Password: fastParams()}, Deps{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Ready(context.Background()); err != nil {
		t.Errorf("Ready: %v", err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := svc.Ready(context.Background()); err == nil {
		t.Error("Ready after Close succeeded")
	}
}

func TestConcurrentRetriesCreateOneUser(t *testing.T) {
	f := start(t, fastParams())
	ctx := context.Background()
	ids := make(chan string, 8)
	var wg sync.WaitGroup
	for range cap(ids) {
		wg.Go(func() {
			resp, err := f.client.CreateAccount(ctx, createReq("ada@example.com", "key-1"))
			if err != nil {
				t.Errorf("CreateAccount: %v", err)
				return
			}
			ids <- resp.GetUser().GetId()
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != 1 {
		t.Errorf("concurrent retries created users %v, want one", seen)
	}
	if n := pending(t, f.svc); n != 1 {
		t.Errorf("outbox holds %d events, want 1", n)
	}
}
