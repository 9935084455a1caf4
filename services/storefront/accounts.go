package storefront

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
)

// Password limits, as accounts enforces them.
const (
	minPasswordBytes = 8
	maxPasswordBytes = 128
)

// accountsDown is what the shopper reads while accounts is down.
const accountsDown = "Signing in and signing up are unavailable right now. " +
	"You can keep shopping and check out as a guest; please try again in a moment."

// accountsSays are the words for a failed accounts call.
func accountsSays() says {
	return says{
		invalid:         "Please check your e-mail address, name and password.",
		unauthenticated: "The e-mail address or password is wrong.",
		notFound:        "The e-mail address or password is wrong.",
		conflict:        "An account with this e-mail address already exists. Please sign in instead.",
		unavailable:     accountsDown,
	}
}

// validateSignUp adds to errs what is wrong with a sign-up (normalised).
func validateSignUp(req *storefrontv1.CreateAccountRequest, errs *fieldErrors) {
	if !validEmail(req.GetEmail()) {
		errs.add("email", "email", "Enter your e-mail address, like name@example.com.")
	}
	if !validText(req.GetName(), maxNameBytes) {
		errs.add("name", "name", fmt.Sprintf("Enter your name (at most %d characters).", maxNameBytes))
	}
	if n := len(req.GetPassword()); n < minPasswordBytes || n > maxPasswordBytes {
		errs.add("password", "password", fmt.Sprintf("Choose a password of %d to %d characters.", minPasswordBytes, maxPasswordBytes))
	}
}

// validateSignIn adds to errs what is missing from a sign-in (normalised).
func validateSignIn(req *storefrontv1.CreateSessionRequest, errs *fieldErrors) {
	if !validEmail(req.GetEmail()) {
		errs.add("email", "email", "Enter your e-mail address, like name@example.com.")
	}
	if p := req.GetPassword(); p == "" || len(p) > maxPasswordBytes {
		errs.add("password", "password", "Enter your password.")
	}
}

// normalizeEmail trims an e-mail address as typed.
func normalizeEmail(s string) string {
	return strings.TrimSpace(s)
}

// createAccount registers a user under the client's idempotency key
// (empty: a fresh one).
func (s *Storefront) createAccount(ctx context.Context, sess session, req *storefrontv1.CreateAccountRequest, key string) (*accountsv1.User, error) {
	if key == "" {
		key = rand.Text()
	}
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	resp, err := s.deps.Accounts.CreateAccount(ctx, &accountsv1.CreateAccountRequest{
		Email: req.GetEmail(), Password: req.GetPassword(), Name: req.GetName(),
		IdempotencyKey: sess.scopedKey("account", key),
	})
	if err != nil {
		s.logCallFailure(ctx, "accounts", "CreateAccount", err)
		return nil, fmt.Errorf("create account: %w", err)
	}
	return resp.GetUser(), nil
}

// authenticate checks an e-mail address and password.
func (s *Storefront) authenticate(ctx context.Context, email, password string) (*accountsv1.User, error) {
	ctx, cancel := s.withCall(ctx)
	defer cancel()
	resp, err := s.deps.Accounts.Authenticate(ctx, &accountsv1.AuthenticateRequest{Email: email, Password: password})
	if err != nil {
		s.logCallFailure(ctx, "accounts", "Authenticate", err)
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	return resp.GetUser(), nil
}

// signIn binds the session to user, moves the guest cart into the
// user's (later, if cart is down now) and sets the cookie.
func (s *Storefront) signIn(ctx context.Context, w http.ResponseWriter, r *http.Request, sess session, user *accountsv1.User) session {
	sess.UserID, sess.Email, sess.Name = user.GetId(), strings.ToLower(user.GetEmail()), user.GetName()
	sess.MergePending = s.mergeCarts(ctx, sess) != nil
	s.saveSession(w, r, sess)
	return sess
}

// signOut replaces the session with a new guest one: a new shopper id,
// an empty cart and a new CSRF token.
func (s *Storefront) signOut(w http.ResponseWriter, r *http.Request) {
	s.saveSession(w, r, s.sessions.newGuest())
}

// apiUser is user as the JSON API shows it.
func apiUser(user *accountsv1.User) *storefrontv1.User {
	return &storefrontv1.User{Id: user.GetId(), Email: user.GetEmail(), Name: user.GetName()}
}
