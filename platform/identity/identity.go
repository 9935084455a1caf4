// Package identity gives Bazaar's services their identities for mutual
// TLS: a local certificate authority, a certificate per service carrying
// the SPIFFE-style URI spiffe://bazaar.local/svc/<service> (ECDSA P-256),
// files that are re-read when they change (rotation without restart), and
// the tls.Configs and gRPC credentials that require, verify and read those
// identities.
package identity

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// TrustDomain is the SPIFFE trust domain of every Bazaar identity.
const TrustDomain = "bazaar.local"

// Operator is the identity of the operator's tools (bazaar verify, the
// console) when they call services.
const Operator = "operator"

// ID returns the SPIFFE ID of a service: spiffe://bazaar.local/svc/<name>.
func ID(service string) *url.URL {
	return &url.URL{Scheme: "spiffe", Host: TrustDomain, Path: "/svc/" + service}
}

// ServiceOf returns the service a SPIFFE ID names, or an error if the ID
// is not a Bazaar service identity.
func ServiceOf(id *url.URL) (string, error) {
	if id == nil || id.Scheme != "spiffe" || id.Host != TrustDomain {
		return "", fmt.Errorf("identity %v: not in trust domain %s", id, TrustDomain)
	}
	name, ok := strings.CutPrefix(id.Path, "/svc/")
	if !ok || !validName(name) {
		return "", fmt.Errorf("identity %v: not a service identity (spiffe://%s/svc/<name>)", id, TrustDomain)
	}
	return name, nil
}

// validName reports whether s is a service name: 1 to 63 lower-case
// letters, digits and hyphens.
func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// errNoIdentity is returned for a peer certificate without exactly one
// Bazaar identity.
var errNoIdentity = errors.New("certificate carries no single spiffe://" + TrustDomain + "/svc/ identity")
