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

// catalogFailure maps an error of a catalog call to what the shopper is
// told; notFound is the failure for NOT_FOUND.
func catalogFailure(err error, notFound failure) failure {
	switch status.Code(err) {
	case codes.NotFound:
		return notFound
	case codes.InvalidArgument, codes.OutOfRange:
		return badRequest("That request isn't valid. Please check the address and try again.")
	default:
		return failCatalogOut()
	}
}

// dependencyDown reports whether err means the called service could not
// answer (down, overloaded, too slow, failing) rather than that it refused
// the request. Only such errors are hidden behind a stale copy or a
// fallback.
func dependencyDown(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	switch status.Code(err) {
	case codes.NotFound, codes.InvalidArgument, codes.OutOfRange, codes.FailedPrecondition,
		codes.AlreadyExists, codes.PermissionDenied, codes.Unauthenticated:
		return false
	default:
		return true
	}
}
