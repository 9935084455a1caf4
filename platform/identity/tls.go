package identity

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// ServerTLS returns the TLS configuration of a server with src's
// identity: TLS 1.3, a client certificate required and verified against
// src's CA, carrying exactly one Bazaar service identity. Certificate and
// CA are read from src at each handshake, so rotation needs no restart.
func ServerTLS(src *Source) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cert, pool := src.current()
			return &tls.Config{
				MinVersion:   tls.VersionTLS13,
				Certificates: []tls.Certificate{cert},
				ClientAuth:   tls.RequireAndVerifyClientCert,
				ClientCAs:    pool,
				NextProtos:   []string{"h2"},
				VerifyPeerCertificate: func(_ [][]byte, chains [][]*x509.Certificate) error {
					if len(chains) == 0 {
						return errNoIdentity
					}
					_, err := serviceOfCert(chains[0][0])
					return err
				},
			}, nil
		},
	}
}

// ClientTLS returns the TLS configuration of a client with src's identity
// calling service: it presents src's certificate and accepts only a
// server certificate from src's CA whose identity is ID(service). Host
// names are not checked: the SPIFFE identity is what names a service,
// wherever it runs.
func ClientTLS(src *Source, service string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, _ := src.current()
			return &cert, nil
		},
		// Verification is VerifyConnection's: the chain against the
		// current CA, then the identity instead of the host name.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyServer(src, service, cs)
		},
	}
}

// verifyServer checks the server's chain against src's CA and its
// identity against service.
func verifyServer(src *Source, service string, cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server sent no certificate")
	}
	_, pool := src.current()
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	leaf := cs.PeerCertificates[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return fmt.Errorf("server certificate: %w", err)
	}
	got, err := serviceOfCert(leaf)
	if err != nil {
		return fmt.Errorf("server certificate: %w", err)
	}
	if got != service {
		return fmt.Errorf("server is %s, want %s", ID(got), ID(service))
	}
	return nil
}

// ServerCredentials are gRPC transport credentials for a server with
// src's identity (see ServerTLS).
func ServerCredentials(src *Source) credentials.TransportCredentials {
	return credentials.NewTLS(ServerTLS(src))
}

// ClientCredentials are gRPC transport credentials for calls from src's
// identity to service (see ClientTLS).
func ClientCredentials(src *Source, service string) credentials.TransportCredentials {
	return credentials.NewTLS(ClientTLS(src, service))
}

// ErrNoPeerIdentity is returned by PeerService for a call that did not
// come over mutual TLS with a verified Bazaar identity.
var ErrNoPeerIdentity = errors.New("caller has no verified identity")

// PeerService returns the service name of the caller of a gRPC call,
// from its verified client certificate. It never trusts metadata.
func PeerService(ctx context.Context) (string, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "", ErrNoPeerIdentity
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return "", ErrNoPeerIdentity
	}
	name, err := serviceOfCert(info.State.VerifiedChains[0][0])
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoPeerIdentity, err)
	}
	return name, nil
}
