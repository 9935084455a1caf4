package storefront

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// Session cookie shape and limits.
const (
	// sessionCookie names the cookie holding the signed session.
	sessionCookie = "session"
	// maxSessionCookieBytes bounds a cookie value before it is decoded.
	maxSessionCookieBytes = 2048
	// guestPrefix starts every guest shopper id, so that one never
	// collides with a user id.
	guestPrefix = "guest-"
	// maxGuestIDBytes bounds a guest shopper id.
	maxGuestIDBytes = 64
	// csrfField names the hidden form field carrying the CSRF token.
	csrfField = "csrf"
)

// session is what a shopper's session cookie carries. The cookie is the
// whole session: nothing is stored server-side, so any replica serves any
// shopper and a restart loses nothing.
type session struct {
	// ID is the random guest shopper id, fixed for the session's life
	// (from the first visit to sign-out).
	ID string `json:"sid"`
	// UserID, Email and Name are the signed-in user's; empty for a guest.
	UserID string `json:"uid,omitempty"`
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	// CheckoutEmail is the e-mail address of this session's last accepted
	// checkout: a guest's messages are read from it.
	CheckoutEmail string `json:"co,omitempty"`
	// MergePending is set while the guest cart of ID still has to be
	// moved into UserID's (cart was down at sign-in).
	MergePending bool `json:"mp,omitempty"`
	// Issued is when the cookie was issued, in Unix seconds.
	Issued int64 `json:"iat"`
}

// signedIn reports whether a user is signed in.
func (s session) signedIn() bool {
	return s.UserID != ""
}

// shopperID is whose cart the session uses: the user's once signed in,
// else the guest's.
func (s session) shopperID() string {
	if s.signedIn() {
		return s.UserID
	}
	return s.ID
}

// sessions signs and checks session cookies and CSRF tokens with one key.
type sessions struct {
	key    []byte
	maxAge time.Duration
	now    func() time.Time
}

func newSessions(key []byte, maxAge time.Duration, now func() time.Time) *sessions {
	return &sessions{key: key, maxAge: maxAge, now: now}
}

// newGuest returns a new guest session with a random shopper id.
func (m *sessions) newGuest() session {
	return session{ID: guestPrefix + strings.ToLower(rand.Text()), Issued: m.now().Unix()}
}

// mac is the HMAC-SHA256 of data for purpose; purposes keep a session
// signature from ever being taken for a CSRF token or the reverse.
func (m *sessions) mac(purpose, data string) []byte {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(data))
	return h.Sum(nil)
}

// encode returns the cookie value of s: base64url(JSON) "." base64url(MAC).
func (m *sessions) encode(s session) string {
	payload, err := json.Marshal(s)
	if err != nil {
		// A struct of strings, a bool and an int always marshals.
		return ""
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(m.mac("session", p))
}

// decode returns the session of a cookie value, or false when the value
// is malformed, not signed with the key, or expired.
func (m *sessions) decode(value string) (session, bool) {
	if len(value) > maxSessionCookieBytes {
		return session{}, false
	}
	p, sig, ok := strings.Cut(value, ".")
	if !ok {
		return session{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, m.mac("session", p)) {
		return session{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return session{}, false
	}
	var s session
	if err := json.Unmarshal(payload, &s); err != nil {
		return session{}, false
	}
	if !strings.HasPrefix(s.ID, guestPrefix) || len(s.ID) > maxGuestIDBytes {
		return session{}, false
	}
	issued := time.Unix(s.Issued, 0)
	now := m.now()
	if issued.After(now.Add(time.Minute)) || now.Sub(issued) >= m.maxAge {
		return session{}, false
	}
	return s, true
}

// stale reports whether s was issued long enough ago to be renewed, so
// that a shopper who keeps coming back keeps the session.
func (m *sessions) stale(s session) bool {
	return m.now().Sub(time.Unix(s.Issued, 0)) > m.maxAge/30
}

// csrfToken is the CSRF token of s's forms, derived from its id: it stays
// the same across sign-in and changes at sign-out.
func (m *sessions) csrfToken(s session) string {
	return base64.RawURLEncoding.EncodeToString(m.mac("csrf", s.ID))
}

// validCSRF reports whether token is s's CSRF token.
func (m *sessions) validCSRF(s session, token string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && s.ID != "" && hmac.Equal(got, m.mac("csrf", s.ID))
}

// scopedKey turns a client's idempotency key into the key sent to a
// service, bound to the session: keys from two sessions never collide, so
// no session can reach another's order or account by reusing its key.
func (s session) scopedKey(purpose, key string) string {
	sum := sha256.Sum256([]byte(purpose + "\x00" + s.ID + "\x00" + key))
	return "sf1-" + base64.RawURLEncoding.EncodeToString(sum[:])
}
