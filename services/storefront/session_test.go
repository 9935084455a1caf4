package storefront

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sessionCookieOf returns the session cookie rec sets, or nil.
func sessionCookieOf(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

func TestSessionCookieAttributes(t *testing.T) {
	for _, overTLS := range []bool{false, true} {
		h := newHarness(t)
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if overTLS {
			req.TLS = &tls.ConnectionState{}
		}
		rec := h.do(t, req)
		wantStatus(t, rec, http.StatusOK)
		c := sessionCookieOf(rec)
		if c == nil {
			t.Fatal("first visit set no session cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != int(DefaultSessionMaxAge/time.Second) ||
			c.Secure != overTLS {
			t.Errorf("cookie over TLS %v = %+v, want HttpOnly, SameSite=Lax, Path=/, Max-Age 30 days, Secure only over TLS", overTLS, c)
		}
		s, ok := h.sf.sessions.decode(c.Value)
		if !ok || !strings.HasPrefix(s.ID, guestPrefix) || s.signedIn() {
			t.Errorf("new session = %+v, %v; want a guest", s, ok)
		}
		// The page's forms carry the session's token.
		wantBody(t, rec.Body.String(), `name="csrf" value="`+h.sf.sessions.csrfToken(s)+`"`)
	}
}

func TestSessionDecodeRejectsTampering(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	m := newSessions(testSessionKey(), DefaultSessionMaxAge, clock.now)
	good := m.newGuest()
	good.UserID, good.Email = "user-1", "ada@example.com"
	value := m.encode(good)
	payload, sig, _ := strings.Cut(value, ".")
	other := newSessions([]byte("another-key-0123456789abcdef01234"), DefaultSessionMaxAge, clock.now)
	forge := func(s session) string {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b) + "." + sig
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	badID := good
	badID.ID = "user-1"
	escalated := good
	escalated.UserID = "user-2"
	tests := []struct {
		name  string
		value string
	}{
		{"payload changed", flip(payload, 5) + "." + sig},
		{"signature changed", payload + "." + flip(sig, 3)},
		{"user id swapped, old signature", forge(escalated)},
		{"no signature", payload},
		{"empty", ""},
		{"garbage", "not-a-cookie"},
		{"signature not base64", payload + ".!!!"},
		{"signed with another key", other.encode(good)},
		{"signed id not a guest id", m.encode(badID)},
		{"too long", m.encode(session{ID: guestPrefix + strings.Repeat("a", 3000), Issued: good.Issued})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, ok := m.decode(tt.value); ok {
				t.Errorf("decode accepted %q as %+v", tt.value, s)
			}
		})
	}
	if s, ok := m.decode(value); !ok || s != good {
		t.Fatalf("decode of a good cookie = %+v, %v; want %+v", s, ok, good)
	}
	clock.advance(DefaultSessionMaxAge)
	if _, ok := m.decode(value); ok {
		t.Error("decode accepted an expired session")
	}
	future := newSessions(testSessionKey(), DefaultSessionMaxAge, func() time.Time { return clock.now().Add(-DefaultSessionMaxAge - time.Hour) })
	if _, ok := future.decode(value); ok {
		t.Error("decode accepted a session issued in the future")
	}
}

func TestTamperedCookieStartsNewGuest(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	b.addToCart("espresso-cup", 1)
	before := b.session()

	c := b.cookies[sessionCookie]
	payload, sig, _ := strings.Cut(c.Value, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	forged := strings.Replace(string(raw), before.ID, guestPrefix+"someone-else", 1)
	c.Value = base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + sig

	rec := b.get("/cart")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec.Body.String(), "Your cart is empty")
	after := b.session()
	if after.ID == before.ID || after.ID == guestPrefix+"someone-else" {
		t.Errorf("session after tampering = %q, want a new guest id", after.ID)
	}
	// The old token no longer opens forms.
	rec = b.submit("/cart/items", urlValues("product_id", "desk-lamp", "quantity", "1", csrfField, h.sf.sessions.csrfToken(before)))
	wantStatus(t, rec, http.StatusForbidden)
}

func TestSessionIsRenewedAsShopperReturns(t *testing.T) {
	h := newHarness(t)
	b := h.browser(t)
	wantStatus(t, b.get("/"), http.StatusOK)
	first := b.session()
	rec := b.get("/")
	if sessionCookieOf(rec) != nil {
		t.Error("a fresh session was issued again")
	}
	h.clock.advance(DefaultSessionMaxAge / 2)
	rec = b.get("/")
	c := sessionCookieOf(rec)
	if c == nil {
		t.Fatal("a session half its life old was not renewed")
	}
	if renewed := b.session(); renewed.ID != first.ID || renewed.Issued <= first.Issued {
		t.Errorf("renewed session = %+v, want id %s issued later than %d", renewed, first.ID, first.Issued)
	}
	h.clock.advance(DefaultSessionMaxAge)
	wantStatus(t, b.get("/"), http.StatusOK)
	if b.session().ID == first.ID {
		t.Error("an expired session was honoured")
	}
}

func TestLoadSessionKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "storefront", "session.key")
	key, err := LoadSessionKey(path)
	if err != nil {
		t.Fatalf("LoadSessionKey: %v", err)
	}
	if len(key) != newSessionKeyBytes {
		t.Errorf("new key has %d bytes, want %d", len(key), newSessionKeyBytes)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %v, want 0600", perm)
	}
	again, err := LoadSessionKey(path)
	if err != nil || string(again) != string(key) {
		t.Errorf("second load = %x, %v; want the same key", again, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".session.key-*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	tests := []struct {
		name    string
		content []byte
		mode    os.FileMode
		wantErr string
	}{
		{"readable by others", key, 0o644, "open to others"},
		{"writable by the group", key, 0o660, "open to others"},
		{"too short", key[:16], 0o600, "at least"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(p, tt.content, tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.mode); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadSessionKey(p); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadSessionKey = %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
	// A Kubernetes Secret mounted for a non-root user: 0440, group-read.
	p := filepath.Join(dir, "k8s-secret")
	if err := os.WriteFile(p, key, 0o440); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadSessionKey(p); err != nil || string(got) != string(key) {
		t.Errorf("LoadSessionKey(0440 file) = %v; want the key (a mounted Secret is group-readable)", err)
	}
}
