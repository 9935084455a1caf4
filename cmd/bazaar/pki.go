package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/grpc/credentials"

	"github.com/bazaar-shop/bazaar/platform/identity"
)

// pkiDir is where `bazaar up` keeps the shop's certificate authority and
// the services' certificates.
func pkiDir(dataDir string) string { return filepath.Join(dataDir, "pki") }

// openPKI opens (on first use, creates) the shop's authority.
func openPKI(dataDir string) (*identity.Authority, error) {
	a, err := identity.OpenAuthority(pkiDir(dataDir))
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	return a, nil
}

// operatorCredentials returns the mTLS credentials of the operator's
// tools (the console, bazaar verify) towards each service, from the
// shop's authority; nil, nil when the data directory has no authority
// (a shop that is not running with mTLS).
func operatorCredentials(dataDir string) (func(service string) credentials.TransportCredentials, error) {
	if _, err := os.Stat(filepath.Join(pkiDir(dataDir), "ca.crt")); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	a, err := openPKI(dataDir)
	if err != nil {
		return nil, err
	}
	f, err := a.EnsureCert(identity.Operator)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	src, err := identity.LoadSource(f)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	return func(service string) credentials.TransportCredentials { return identity.ClientCredentials(src, service) }, nil
}
