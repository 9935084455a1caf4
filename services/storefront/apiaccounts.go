package storefront

import (
	"net/http"
	"strings"

	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
)

// handleAPICreateAccount serves POST /api/v1/accounts
// {"email","password","name"} with an optional Idempotency-Key header:
// registers the user and signs the session in; 201.
func (s *Storefront) handleAPICreateAccount(w http.ResponseWriter, r *http.Request) {
	key, f, ok := headerKey(r, false)
	if !ok {
		s.writeAPIError(w, r, f)
		return
	}
	var req storefrontv1.CreateAccountRequest
	if f, ok := readJSON(w, r, &req); !ok {
		s.writeAPIError(w, r, f)
		return
	}
	req.Email, req.Name = normalizeEmail(req.Email), strings.TrimSpace(req.Name)
	var errs fieldErrors
	validateSignUp(&req, &errs)
	if len(errs) > 0 {
		s.writeAPIError(w, r, errs.apiFailure())
		return
	}
	user, err := s.createAccount(r.Context(), sessionOf(r), &req, key)
	if err != nil {
		s.writeAPIError(w, r, callFailure(err, accountsSays()))
		return
	}
	s.signIn(r.Context(), w, r, sessionOf(r), user)
	s.writeAPI(w, r, http.StatusCreated, &storefrontv1.CreateAccountResponse{User: apiUser(user)})
}

// handleAPICreateSession serves POST /api/v1/session {"email","password"}:
// signs the session in and moves the guest cart into the user's; 201, or
// 401 for a wrong e-mail or password.
func (s *Storefront) handleAPICreateSession(w http.ResponseWriter, r *http.Request) {
	var req storefrontv1.CreateSessionRequest
	if f, ok := readJSON(w, r, &req); !ok {
		s.writeAPIError(w, r, f)
		return
	}
	req.Email = normalizeEmail(req.Email)
	var errs fieldErrors
	validateSignIn(&req, &errs)
	if len(errs) > 0 {
		s.writeAPIError(w, r, errs.apiFailure())
		return
	}
	user, err := s.authenticate(r.Context(), req.Email, req.Password)
	if err != nil {
		f := callFailure(err, accountsSays())
		if f.status == http.StatusNotFound {
			f = failure{http.StatusUnauthorized, "unauthenticated", f.message}
		}
		s.writeAPIError(w, r, f)
		return
	}
	s.signIn(r.Context(), w, r, sessionOf(r), user)
	s.writeAPI(w, r, http.StatusCreated, &storefrontv1.CreateSessionResponse{User: apiUser(user)})
}

// handleAPIDeleteSession serves DELETE /api/v1/session: signs out (a new
// guest session); 204, also when not signed in.
func (s *Storefront) handleAPIDeleteSession(w http.ResponseWriter, r *http.Request) {
	s.signOut(w, r)
	writeNoContent(w)
}
