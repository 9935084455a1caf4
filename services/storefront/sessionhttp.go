package storefront

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// sessionContextKey keys the request's visit in its context.
type sessionContextKey struct{}

// visit is what withSession attaches to a request.
type visit struct {
	sess session
	csrf string
}

// sessionOf returns the session withSession attached to r; the zero
// session (no id) outside withSession.
func sessionOf(r *http.Request) session {
	v, _ := r.Context().Value(sessionContextKey{}).(visit)
	return v.sess
}

// csrfOf returns the CSRF token of r's session; empty outside
// withSession.
func csrfOf(r *http.Request) string {
	v, _ := r.Context().Value(sessionContextKey{}).(visit)
	return v.csrf
}

// withSession gives next the shopper's session: the one of a valid
// cookie, else a new guest session whose cookie is set at once. A cookie
// that is malformed, tampered with or expired starts a new guest session.
func (s *Storefront) withSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.readSession(r)
		switch {
		case !ok:
			sess = s.sessions.newGuest()
			s.saveSession(w, r, sess)
		case s.sessions.stale(sess):
			s.saveSession(w, r, sess)
		}
		v := visit{sess: sess, csrf: s.sessions.csrfToken(sess)}
		next(w, r.WithContext(context.WithValue(r.Context(), sessionContextKey{}, v)))
	}
}

// readSession returns the session of r's cookie, if valid.
func (s *Storefront) readSession(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	return s.sessions.decode(c.Value)
}

// saveSession sets the session cookie to sess, issued now, replacing a
// session cookie set earlier in the same answer. Call it before writing
// the answer's status.
func (s *Storefront) saveSession(w http.ResponseWriter, r *http.Request, sess session) {
	sess.Issued = s.cfg.Now().Unix()
	h := w.Header()
	kept := h.Values("Set-Cookie")[:0:0]
	for _, c := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(c, sessionCookie+"=") {
			kept = append(kept, c)
		}
	}
	h.Del("Set-Cookie")
	for _, c := range kept {
		h.Add("Set-Cookie", c)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    s.sessions.encode(sess),
		Path:     "/",
		MaxAge:   int(s.cfg.SessionMaxAge / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}

// formPost reads a form POST, at most maxFormBytes, and lets it through
// to next only when it carries the session's CSRF token. Use it inside
// withSession.
func (s *Storefront) formPost(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			s.renderFailure(w, r, badRequest("That form couldn't be read. Please go back and try again."))
			return
		}
		if !s.sessions.validCSRF(sessionOf(r), r.PostForm.Get(csrfField)) {
			s.log.InfoContext(r.Context(), "form rejected: missing or wrong CSRF token", "path", r.URL.Path)
			s.renderFailure(w, r, failStaleForm())
			return
		}
		next(w, r)
	}
}
