package storefront

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// maxJSONBytes bounds the body of a JSON API request.
const maxJSONBytes = 16 << 10

// idempotencyHeader names the header carrying a client's idempotency key.
const idempotencyHeader = "Idempotency-Key"

// readJSON reads r's body into m. The body must be declared
// application/json (which a cross-site form cannot send, so it stands in
// for a CSRF token), be at most maxJSONBytes, and hold only m's fields.
func readJSON(w http.ResponseWriter, r *http.Request, m proto.Message) (failure, bool) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return badRequest("Content-Type must be application/json"), false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return failure{http.StatusRequestEntityTooLarge, "payload_too_large",
			fmt.Sprintf("The body is too large: at most %d bytes.", maxJSONBytes)}, false
	case err != nil:
		return badRequest("The body couldn't be read."), false
	}
	if err := protojson.Unmarshal(body, m); err != nil {
		return badRequest("The body is not valid JSON for this request: " + protoProblem(err)), false
	}
	return failure{}, true
}

// protoProblem is the gist of a protojson error, without its prefix, at
// most 200 bytes of valid UTF-8: the error may quote the body's bytes,
// and an answer with invalid UTF-8 cannot be marshalled (found by
// FuzzAPIBody).
func protoProblem(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\u00a0", " ")
	msg = strings.TrimSpace(strings.TrimPrefix(msg, "proto:"))
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return strings.ToValidUTF8(msg, "\uFFFD")
}

// headerKey returns the Idempotency-Key header; a malformed one is a bad
// request, a missing one too when required.
func headerKey(r *http.Request, required bool) (string, failure, bool) {
	key := r.Header.Get(idempotencyHeader)
	switch {
	case key == "" && required:
		return "", badRequest("The Idempotency-Key header is required: a unique value, 1 to 128 characters, per checkout."), false
	case key != "" && !validIdempotencyKey(key):
		return "", badRequest("The Idempotency-Key header must be 1 to 128 printable characters without spaces."), false
	}
	return key, failure{}, true
}

// apiMethods serves one API route: each method by its handler (GET also
// serves HEAD), others 405 with an Allow header.
func (s *Storefront) apiMethods(handlers map[string]http.HandlerFunc) http.HandlerFunc {
	allowed := make([]string, 0, len(handlers)+1)
	for m := range handlers {
		allowed = append(allowed, m)
	}
	if _, ok := handlers[http.MethodGet]; ok {
		allowed = append(allowed, http.MethodHead)
	}
	slices.Sort(allowed)
	allow := strings.Join(allowed, ", ")
	return func(w http.ResponseWriter, r *http.Request) {
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		h, ok := handlers[method]
		if !ok {
			w.Header().Set("Allow", allow)
			s.writeAPIError(w, r, failure{http.StatusMethodNotAllowed, "method_not_allowed",
				r.Method + " is not allowed here; use " + allow})
			return
		}
		h(w, r)
	}
}

// writeNoContent answers 204 with no body.
func writeNoContent(w http.ResponseWriter) {
	noStore(w)
	w.WriteHeader(http.StatusNoContent)
}
