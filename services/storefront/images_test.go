package storefront

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestImage(t *testing.T) {
	h := newHarness(t)
	rec := h.get(t, "/images/products/espresso-cup.svg")
	wantStatus(t, rec, http.StatusOK)
	for header, want := range map[string]string{
		"Content-Type":            "image/svg+xml",
		"ETag":                    `"img-espresso-cup-v1"`,
		"Cache-Control":           imageCacheControl,
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := rec.Header().Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if rec.Body.String() != testSVG {
		t.Errorf("body = %q, want the catalog's image", rec.Body.String())
	}
}

func TestImageConditionalRequests(t *testing.T) {
	tests := []struct {
		ifNoneMatch string
		wantStatus  int
	}{
		{`"img-espresso-cup-v1"`, http.StatusNotModified},
		{`W/"img-espresso-cup-v1"`, http.StatusNotModified},
		{`"other", "img-espresso-cup-v1"`, http.StatusNotModified},
		{`*`, http.StatusNotModified},
		{`"img-espresso-cup-v0"`, http.StatusOK},
		{``, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.ifNoneMatch, func(t *testing.T) {
			h := newHarness(t)
			req := httptest.NewRequest(http.MethodGet, "/images/products/espresso-cup.svg", nil)
			if tt.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			rec := h.do(t, req)
			wantStatus(t, rec, tt.wantStatus)
			if rec.Header().Get("ETag") != `"img-espresso-cup-v1"` {
				t.Errorf("ETag = %q", rec.Header().Get("ETag"))
			}
			if tt.wantStatus == http.StatusNotModified && rec.Body.Len() != 0 {
				t.Errorf("304 carries a body of %d bytes", rec.Body.Len())
			}
		})
	}
}

func TestImageErrors(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		down       bool
		wantStatus int
	}{
		{"unknown product", "/images/products/no-such-thing.svg", false, http.StatusNotFound},
		{"not an svg name", "/images/products/espresso-cup", false, http.StatusNotFound},
		{"malformed id", "/images/products/..%2Fx.svg", false, http.StatusNotFound},
		{"catalog down, nothing cached", "/images/products/espresso-cup.svg", true, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.down {
				h.catalog.setFail(errDown())
			}
			rec := h.get(t, tt.path)
			wantStatus(t, rec, tt.wantStatus)
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("error answer lacks X-Content-Type-Options: nosniff")
			}
		})
	}
}

func TestQuoteETag(t *testing.T) {
	tests := map[string]string{
		"abc":       `"abc"`,
		`"abc"`:     `"abc"`,
		`W/"abc"`:   `W/"abc"`,
		"":          "",
		"a\"b":      "",
		"a\r\nX: y": "",
	}
	for in, want := range tests {
		if got := quoteETag(in); got != want {
			t.Errorf("quoteETag(%q) = %q, want %q", in, got, want)
		}
	}
}
