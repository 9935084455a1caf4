package daemon

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/bazaar-shop/bazaar/platform/authz"
	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/identity"
	"github.com/bazaar-shop/bazaar/platform/server"
)

// TLSSettings are the files of the service's mTLS identity. All three set
// turns mutual TLS and per-call authorization on; none set serves
// plaintext (the single-process shop, and tests). `bazaar up` always sets
// them.
type TLSSettings struct {
	Cert, Key, CA string
}

// enabled reports whether the files are set.
func (t TLSSettings) enabled() bool { return t.Cert != "" || t.Key != "" || t.CA != "" }

// tlsFlags declares -tls-cert, -tls-key and -tls-ca (BAZAAR_TLS_CERT, …).
func tlsFlags(fs *config.FlagSet, t *TLSSettings) {
	fs.StringVar(&t.Cert, "tls-cert", "", "PEM certificate of this service's identity (spiffe://bazaar.local/svc/<service>); with -tls-key and -tls-ca turns on mTLS")
	fs.StringVar(&t.Key, "tls-key", "", "PEM private key of -tls-cert")
	fs.StringVar(&t.CA, "tls-ca", "", "PEM certificate of the CA that signs every service's identity")
	fs.Check("tls-cert", func() bool { return !t.enabled() || (t.Cert != "" && t.Key != "" && t.CA != "") },
		"-tls-cert, -tls-key and -tls-ca must be set together")
}

// secure loads the service's identity and sets scfg to serve mutual TLS
// with the service's authorization table first in the interceptor chains.
// It returns nil (plaintext) without TLS settings or in one process.
func secure(s Settings, inProcess bool, scfg *server.Config) (*identity.Source, error) {
	if !s.TLS.enabled() || inProcess {
		return nil, nil
	}
	src, err := identity.LoadSource(identity.Files{Cert: s.TLS.Cert, Key: s.TLS.Key, CA: s.TLS.CA})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Service, err)
	}
	if name := src.Name(); name != s.Service {
		return nil, fmt.Errorf("%s: -tls-cert is the identity of %s, not of this service", s.Service, identity.ID(name))
	}
	rules, ok := authz.Policy(s.Service)
	if !ok {
		rules = authz.Rules{} // no table: only health and reflection
	}
	scfg.Credentials = identity.ServerCredentials(src)
	scfg.UnaryInterceptors = append([]grpc.UnaryServerInterceptor{authz.Unary(s.Service, rules)}, scfg.UnaryInterceptors...)
	scfg.StreamInterceptors = append([]grpc.StreamServerInterceptor{authz.Stream(s.Service, rules)}, scfg.StreamInterceptors...)
	return src, nil
}

// serviceOf is the Bazaar service name of an API: "catalog" for
// bazaar.catalog.v1.CatalogService.
func serviceOf(svc protoreflect.ServiceDescriptor) (string, error) {
	parts := strings.Split(string(svc.ParentFile().Package()), ".")
	if len(parts) != 3 || parts[0] != "bazaar" {
		return "", errors.New("service " + string(svc.FullName()) + " is not in a bazaar.<service>.v1 package")
	}
	return parts[1], nil
}

// busService is the identity of the event bus (`bazaar nats`).
const busService = "nats"

// busTLS is the TLS configuration of the connection to the event bus:
// mutual TLS towards the identity of the bus when the service has an
// identity, nil (plaintext) otherwise.
func (e *Env) busTLS() *tls.Config {
	if e.ident == nil {
		return nil
	}
	return identity.ClientTLS(e.ident, busService)
}
