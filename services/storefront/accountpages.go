package storefront

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"

	storefrontv1 "github.com/bazaar-shop/bazaar/api/bazaar/storefront/v1"
)

// signUpGroups are the inputs of the sign-up form.
func signUpGroups() []fieldGroup {
	return []fieldGroup{{Fields: []field{
		{Name: "email", Label: "E-mail", Type: "email", Autocomplete: "email", MaxLen: maxEmailBytes},
		{Name: "name", Label: "Your name", Type: "text", Autocomplete: "name", MaxLen: maxNameBytes},
		{Name: "password", Label: "Password", Type: "password", Autocomplete: "new-password", MaxLen: maxPasswordBytes,
			Hint: "8 to 128 characters."},
	}}}
}

// signInGroups are the inputs of the sign-in form.
func signInGroups() []fieldGroup {
	return []fieldGroup{{Fields: []field{
		{Name: "email", Label: "E-mail", Type: "email", Autocomplete: "email", MaxLen: maxEmailBytes},
		{Name: "password", Label: "Password", Type: "password", Autocomplete: "current-password", MaxLen: maxPasswordBytes},
	}}}
}

// signUpForm is the sign-up form with values, problems and message.
func signUpForm(values map[string]string, errs fieldErrors, key, ret, message string) *formView {
	return &formView{
		Heading: "Create your account", Intro: "Keep your order history in one place and check out faster.",
		Action: "/signup", Submit: "Create account", Groups: fill(signUpGroups(), values, errs),
		Key: key, Return: ret, Message: message,
		Alt: "/signin?" + url.Values{"return": {ret}}.Encode(), AltText: "Already have an account? Sign in",
	}
}

// signInForm is the sign-in form with values, problems and message.
func signInForm(values map[string]string, errs fieldErrors, ret, message string) *formView {
	return &formView{
		Heading: "Sign in", Intro: "Your cart comes with you.",
		Action: "/signin", Submit: "Sign in", Groups: fill(signInGroups(), values, errs),
		Return: ret, Message: message,
		Alt: "/signup?" + url.Values{"return": {ret}}.Encode(), AltText: "New here? Create an account",
	}
}

// handleSignUpForm serves GET /signup?return=.
func (s *Storefront) handleSignUpForm(w http.ResponseWriter, r *http.Request) {
	ret := localPath(r.URL.Query().Get("return"))
	s.renderAccount(w, r, http.StatusOK, "Sign up", signUpForm(nil, nil, rand.Text(), ret, ""))
}

// handleSignInForm serves GET /signin?return=.
func (s *Storefront) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	ret := localPath(r.URL.Query().Get("return"))
	s.renderAccount(w, r, http.StatusOK, "Sign in", signInForm(nil, nil, ret, ""))
}

// handleSignUp serves POST /signup: registers the user, signs the
// session in and goes to the return path.
func (s *Storefront) handleSignUp(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	req := &storefrontv1.CreateAccountRequest{
		Email: normalizeEmail(form.Get("email")), Name: strings.TrimSpace(form.Get("name")), Password: form.Get("password"),
	}
	values := map[string]string{"email": req.Email, "name": req.Name}
	ret, key := localPath(form.Get("return")), form.Get("key")
	if !validIdempotencyKey(key) {
		key = rand.Text()
	}
	var errs fieldErrors
	validateSignUp(req, &errs)
	if len(errs) > 0 {
		s.renderAccount(w, r, http.StatusBadRequest, "Sign up", signUpForm(values, errs, key, ret, "Please correct the fields marked below."))
		return
	}
	user, err := s.createAccount(r.Context(), sessionOf(r), req, key)
	if err != nil {
		f := callFailure(err, accountsSays())
		if f.status == http.StatusConflict {
			errs.add("email", "email", f.message)
		}
		s.renderAccount(w, r, f.status, "Sign up", signUpForm(values, errs, key, ret, f.message))
		return
	}
	s.signIn(r.Context(), w, r, sessionOf(r), user)
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// handleSignIn serves POST /signin: checks the password, signs the
// session in, moves the guest cart into the user's and goes to the return
// path.
func (s *Storefront) handleSignIn(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	req := &storefrontv1.CreateSessionRequest{Email: normalizeEmail(form.Get("email")), Password: form.Get("password")}
	values := map[string]string{"email": req.Email}
	ret := localPath(form.Get("return"))
	var errs fieldErrors
	validateSignIn(req, &errs)
	if len(errs) > 0 {
		s.renderAccount(w, r, http.StatusBadRequest, "Sign in", signInForm(values, errs, ret, "Please correct the fields marked below."))
		return
	}
	user, err := s.authenticate(r.Context(), req.Email, req.Password)
	if err != nil {
		f := callFailure(err, accountsSays())
		if f.status == http.StatusNotFound {
			f = failure{http.StatusUnauthorized, "unauthenticated", f.message}
		}
		s.renderAccount(w, r, f.status, "Sign in", signInForm(values, nil, ret, f.message))
		return
	}
	s.signIn(r.Context(), w, r, sessionOf(r), user)
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// handleSignOut serves POST /signout: a new guest session, then home.
func (s *Storefront) handleSignOut(w http.ResponseWriter, r *http.Request) {
	s.signOut(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// renderAccount shows a sign-in or sign-up form.
func (s *Storefront) renderAccount(w http.ResponseWriter, r *http.Request, status int, title string, form *formView) {
	c := s.fetchCommon(r.Context(), true).wait()
	want := s.sessionCurrency(r, c.currencies, c.known)
	d := newPage(r, c.layout(title, "", want, ""))
	d.Form = form
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	s.render(w, r, status, "account", d)
}
