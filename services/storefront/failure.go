package storefront

import (
	"context"
	"errors"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// failure is what went wrong with a request, as the shopper is told: an
// HTTP status, the JSON API's error code and a message fit to show.
type failure struct {
	status  int
	code    string
	message string
}

// failNotFound answers an unknown path.
func failNotFound() failure {
	return failure{http.StatusNotFound, "not_found", "We couldn't find that page."}
}

// failNoProduct answers a product that does not exist.
func failNoProduct() failure {
	return failure{http.StatusNotFound, "not_found", "We couldn't find that product. It may have been removed."}
}

// failNoCategory answers a category that does not exist.
func failNoCategory() failure {
	return failure{http.StatusNotFound, "not_found", "We couldn't find that category."}
}

// failCatalogOut answers when catalog is down and nothing is cached.
func failCatalogOut() failure {
	return failure{http.StatusServiceUnavailable, "unavailable",
		"Our catalog is taking a short break. Please try again in a moment."}
}

// failInternal answers a fault of the storefront itself.
func failInternal() failure {
	return failure{http.StatusInternalServerError, "internal", "Something went wrong on our side. Please try again."}
}

// badRequest is a 400 failure with message.
func badRequest(message string) failure {
	return failure{http.StatusBadRequest, "invalid_argument", message}
}

// failStaleForm answers a form POST without the session's CSRF token.
func failStaleForm() failure {
	return failure{http.StatusForbidden, "forbidden",
		"This form has expired or didn't come from this shop. Please go back, reload the page and try again."}
}

// httpStatus maps the gRPC code of a service's answer to the HTTP status
// and API error code the shopper gets. It is the only place where gRPC
// codes become HTTP statuses: a refusal keeps its meaning, anything else
// means the service could not answer (down, overloaded, too slow,
// failing) and is 503.
func httpStatus(code codes.Code) (int, string) {
	switch code {
	case codes.OK:
		return http.StatusOK, ""
	case codes.InvalidArgument, codes.OutOfRange:
		return http.StatusBadRequest, "invalid_argument"
	case codes.Unauthenticated:
		return http.StatusUnauthorized, "unauthenticated"
	case codes.NotFound, codes.PermissionDenied:
		return http.StatusNotFound, "not_found"
	case codes.AlreadyExists, codes.Aborted, codes.FailedPrecondition:
		return http.StatusConflict, "conflict"
	default:
		return http.StatusServiceUnavailable, "unavailable"
	}
}

// says are the words for the shopper when a call to one service fails,
// one per kind of failure; an empty one gets a general sentence.
type says struct {
	invalid         string // 400
	unauthenticated string // 401
	notFound        string // 404
	conflict        string // 409
	unavailable     string // 503
}

// callFailure maps an error of a service call to what the shopper is
// told: the status from httpStatus, the words from say. The service's own
// message is never shown: it may carry internal details.
func callFailure(err error, say says) failure {
	st, code := httpStatus(status.Code(err))
	if errors.Is(err, context.DeadlineExceeded) {
		st, code = http.StatusServiceUnavailable, "unavailable"
	}
	pick := func(msg, general string) string {
		if msg != "" {
			return msg
		}
		return general
	}
	var msg string
	switch st {
	case http.StatusBadRequest:
		msg = pick(say.invalid, "That request isn't valid. Please check it and try again.")
	case http.StatusUnauthorized:
		msg = pick(say.unauthenticated, "Please sign in and try again.")
	case http.StatusNotFound:
		msg = pick(say.notFound, "We couldn't find that.")
	case http.StatusConflict:
		msg = pick(say.conflict, "That conflicts with a change made meanwhile. Please reload and try again.")
	default:
		msg = pick(say.unavailable, "Part of the shop is taking a short break. Please try again in a moment.")
	}
	return failure{st, code, msg}
}

// catalogFailure maps an error of a catalog call to what the shopper is
// told; notFound is the failure for NOT_FOUND.
func catalogFailure(err error, notFound failure) failure {
	f := callFailure(err, says{
		invalid:     "That request isn't valid. Please check the address and try again.",
		notFound:    notFound.message,
		unavailable: failCatalogOut().message,
	})
	if f.status == http.StatusNotFound {
		return notFound
	}
	if f.status != http.StatusBadRequest {
		return failCatalogOut()
	}
	return f
}

// dependencyDown reports whether err means the called service could not
// answer (down, overloaded, too slow, failing) rather than that it refused
// the request. Only such errors are hidden behind a stale copy or a
// fallback.
func dependencyDown(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	st, _ := httpStatus(status.Code(err))
	return st == http.StatusServiceUnavailable
}
