package identity

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"time"
)

// Source holds one identity's certificate, key and trusted CA, loaded
// from Files and loaded again whenever one of the files changes (its
// modification time or size), checked at every TLS handshake. A rotated
// certificate or CA is thus used from the next connection on, without a
// restart; files that fail to load (half written) leave the last good ones
// in use.
type Source struct {
	files Files

	mu      sync.Mutex
	stamp   [3]fileStamp
	cert    tls.Certificate
	pool    *x509.CertPool
	loadErr error // of the last reload attempt; nil when current
}

// fileStamp is what tells that a file changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

// LoadSource loads files, which must all be readable and valid.
func LoadSource(files Files) (*Source, error) {
	if files.Cert == "" || files.Key == "" || files.CA == "" {
		return nil, fmt.Errorf("load identity: certificate, key and CA files are all required (got %q, %q, %q)", files.Cert, files.Key, files.CA)
	}
	s := &Source{files: files}
	stamp, err := s.stat()
	if err != nil {
		return nil, fmt.Errorf("load identity: %w", err)
	}
	if err := s.load(stamp); err != nil {
		return nil, fmt.Errorf("load identity: %w", err)
	}
	return s, nil
}

// Name is the service name of the loaded certificate.
func (s *Source) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, _ := serviceOfCert(s.cert.Leaf)
	return name
}

// current returns the certificate and CA pool in use, reloading them
// first if a file changed.
func (s *Source) current() (tls.Certificate, *x509.CertPool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stamp, err := s.stat(); err == nil && stamp != s.stamp {
		s.loadErr = s.load(stamp)
	}
	return s.cert, s.pool
}

// ReloadError is the error of the last reload that failed, or nil when
// the files in use are the ones on disk.
func (s *Source) ReloadError() error {
	s.current()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadErr
}

func (s *Source) stat() ([3]fileStamp, error) {
	var out [3]fileStamp
	for i, p := range []string{s.files.Cert, s.files.Key, s.files.CA} {
		fi, err := os.Stat(p)
		if err != nil {
			return out, err
		}
		out[i] = fileStamp{mod: fi.ModTime(), size: fi.Size()}
	}
	return out, nil
}

// load reads the files; call with s.mu held.
func (s *Source) load(stamp [3]fileStamp) error {
	cert, err := tls.LoadX509KeyPair(s.files.Cert, s.files.Key)
	if err != nil {
		return fmt.Errorf("certificate %s, key %s: %w", s.files.Cert, s.files.Key, err)
	}
	if _, err := serviceOfCert(cert.Leaf); err != nil {
		return fmt.Errorf("certificate %s: %w", s.files.Cert, err)
	}
	caPEM, err := os.ReadFile(s.files.CA)
	if err != nil {
		return fmt.Errorf("CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("CA %s: no PEM certificate", s.files.CA)
	}
	s.cert, s.pool, s.stamp = cert, pool, stamp
	return nil
}

// serviceOfCert returns the service of the one Bazaar identity cert
// carries.
func serviceOfCert(cert *x509.Certificate) (string, error) {
	if cert == nil {
		return "", errNoIdentity
	}
	var name string
	found := 0
	for _, u := range cert.URIs {
		if u.Scheme != "spiffe" {
			continue
		}
		found++
		n, err := ServiceOf(u)
		if err != nil {
			return "", err
		}
		name = n
	}
	if found != 1 {
		return "", errNoIdentity
	}
	return name, nil
}
