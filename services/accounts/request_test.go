package accounts

import (
	"strings"
	"testing"

	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/services/accounts/store"
)

func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254 bytes
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "ada@example.com", want: "ada@example.com"},
		{in: "  Ada.Lovelace@Example.COM ", want: "ada.lovelace@example.com"},
		{in: "ada+shop@mail.example.co.uk", want: "ada+shop@mail.example.co.uk"},
		{in: long, want: long},
		{in: long + "m", wantErr: true},
		{in: strings.Repeat("a", 65) + "@example.com", wantErr: true},
		{in: "", wantErr: true},
		{in: "   ", wantErr: true},
		{in: "ada", wantErr: true},
		{in: "ada@", wantErr: true},
		{in: "@example.com", wantErr: true},
		{in: "ada@localhost", wantErr: true},
		{in: "ada@example..com", wantErr: true},
		{in: "ada@.example.com", wantErr: true},
		{in: "ada@example.com.", wantErr: true},
		{in: "ada lovelace@example.com", wantErr: true},
		{in: "Ada <ada@example.com>", wantErr: true},
		{in: "ada@example.com, bob@example.com", wantErr: true},
		{in: "ada@@example.com", wantErr: true},
	}
	for _, tt := range tests {
		got, err := normalizeEmail("email", tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("normalizeEmail(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"", false},
		{"1234567", false},
		{"12345678", true},
		{strings.Repeat("x", 128), true},
		{strings.Repeat("x", 129), false},
		{"pässwörd", true}, // 10 bytes
	}
	for _, tt := range tests {
		err := checkPassword(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("checkPassword(%d bytes) = %v, want ok %v", len(tt.in), err, tt.ok)
		}
		if err != nil && tt.in != "" && strings.Contains(err.Error(), tt.in) {
			t.Errorf("checkPassword error %q contains the password", err)
		}
	}
}

func TestNormalizeText(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "Ada", want: "Ada"},
		{in: "  Ada Lovelace ", want: "Ada Lovelace"},
		{in: "Zoë", want: "Zoë"},
		{in: strings.Repeat("a", MaxNameBytes), want: strings.Repeat("a", MaxNameBytes)},
		{in: strings.Repeat("a", MaxNameBytes+1), wantErr: true},
		{in: "", wantErr: true},
		{in: " \t ", wantErr: true},
		{in: "Ada\nLovelace", wantErr: true},
		{in: "Ada\x00", wantErr: true},
	}
	for _, tt := range tests {
		got, err := normalizeText("name", tt.in, MaxNameBytes)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("normalizeText(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestToStoreAddress(t *testing.T) {
	full := func() *typesv1.Address {
		return &typesv1.Address{Name: "Ada", Street: "1 Main St", City: "Springfield", PostalCode: "12345", CountryCode: "us"}
	}
	with := func(f func(a *typesv1.Address)) *typesv1.Address { a := full(); f(a); return a }
	got, err := toStoreAddress("address", full())
	want := store.Address{Name: "Ada", Street: "1 Main St", City: "Springfield", PostalCode: "12345", CountryCode: "US"}
	if err != nil || got != want {
		t.Errorf("toStoreAddress(full) = %+v, %v; want %+v", got, err, want)
	}
	for name, a := range map[string]*typesv1.Address{
		"nil":            nil,
		"no name":        with(func(a *typesv1.Address) { a.Name = "" }),
		"no street":      with(func(a *typesv1.Address) { a.Street = " " }),
		"no city":        with(func(a *typesv1.Address) { a.City = "" }),
		"no postal code": with(func(a *typesv1.Address) { a.PostalCode = "" }),
		"no country":     with(func(a *typesv1.Address) { a.CountryCode = "" }),
		"long country":   with(func(a *typesv1.Address) { a.CountryCode = "USA" }),
		"digit country":  with(func(a *typesv1.Address) { a.CountryCode = "U1" }),
		"long street":    with(func(a *typesv1.Address) { a.Street = strings.Repeat("s", maxAddressFieldBytes+1) }),
		"newline city":   with(func(a *typesv1.Address) { a.City = "Spring\nfield" }),
	} {
		if _, err := toStoreAddress("address", a); err == nil {
			t.Errorf("toStoreAddress(%s) succeeded, want error", name)
		}
	}
}

func TestCheckToken(t *testing.T) {
	for s, ok := range map[string]bool{"": false, "k": true, strings.Repeat("k", MaxKeyBytes): true, strings.Repeat("k", MaxKeyBytes+1): false} {
		if err := checkToken("idempotency_key", s, MaxKeyBytes); (err == nil) != ok {
			t.Errorf("checkToken(%d bytes) = %v, want ok %v", len(s), err, ok)
		}
	}
}
