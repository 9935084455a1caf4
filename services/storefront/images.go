package storefront

import (
	"net/http"
	"strconv"
	"strings"
)

// Headers of product images. SVG can carry scripts and links, so images
// are sandboxed: no script, no sub-resource, no sniffing.
const (
	imageCSP          = "default-src 'none'; style-src 'unsafe-inline'"
	imageCacheControl = "public, max-age=300"
)

// handleImage serves GET /images/products/{file}, where file is
// "<product id>.svg", from catalog's GetProductImage, with an ETag so
// browsers revalidate with If-None-Match and get 304.
func (s *Storefront) handleImage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", imageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	id, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	if !ok || !validProductID(id) {
		http.Error(w, "no such image", http.StatusNotFound)
		return
	}
	got, err := s.catalog.productImage(r.Context(), id)
	if err != nil {
		f := catalogFailure(err, failure{http.StatusNotFound, "not_found", "no such image"})
		if f.status == http.StatusBadRequest {
			f.status, f.message = http.StatusNotFound, "no such image"
		}
		http.Error(w, f.message, f.status)
		return
	}
	img := got.value
	contentType := img.GetContentType()
	if !strings.HasPrefix(contentType, "image/") {
		s.log.ErrorContext(r.Context(), "catalog sent an image that is not one", "id", id, "content_type", contentType)
		http.Error(w, failInternal().message, http.StatusInternalServerError)
		return
	}
	etag := quoteETag(img.GetEtag())
	if etag != "" {
		h.Set("ETag", etag)
	}
	h.Set("Cache-Control", imageCacheControl)
	if etag != "" && etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(img.GetData())))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(img.GetData())
	}
}

// quoteETag returns tag as an HTTP entity tag: catalog's validator quoted
// when it is not already, "" when it is empty or cannot be one.
func quoteETag(tag string) string {
	if tag == "" || strings.ContainsAny(tag, "\r\n") {
		return ""
	}
	if strings.HasPrefix(tag, `"`) || strings.HasPrefix(tag, `W/"`) {
		return tag
	}
	if strings.Contains(tag, `"`) {
		return ""
	}
	return `"` + tag + `"`
}

// etagMatches reports whether an If-None-Match header names etag, by weak
// comparison (RFC 9110 §13.1.2), or is "*".
func etagMatches(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}
