package load

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
)

// CheckTarget parses rawURL and makes sure it is an http(s) URL whose host
// resolves only to loopback addresses: this generator never loads another
// machine.
func CheckTarget(ctx context.Context, rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("target %q: scheme must be http or https", rawURL)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("target %q: no host", rawURL)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("target %q: %s is not a loopback address; only this machine may be loaded", rawURL, host)
		}
		return u, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("target %q: resolve %s: %w", rawURL, host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("target %q: %s resolves to no address", rawURL, host)
	}
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			return nil, fmt.Errorf("target %q: %s resolves to %s, not a loopback address; only this machine may be loaded", rawURL, host, a)
		}
	}
	return u, nil
}

// loopbackOnly is a net.Dialer Control function refusing any connection
// to an address that is not loopback, whatever the name resolved to.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("dial %s: not a loopback address; only this machine may be loaded", address)
	}
	return nil
}
