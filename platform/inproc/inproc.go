// Package inproc is an in-memory network for running every service in one
// process (`bazaar up --single`): servers listen on a service's name, and
// clients dial that name, with no socket and no loopback hop. gRPC runs
// over it unchanged, so the service code is the same as in its own
// process.
package inproc

import (
	"context"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc/test/bufconn"
)

// bufferBytes is the in-memory buffer of each connection direction.
const bufferBytes = 1 << 20

// Network holds the listeners of the services in this process. Its
// methods are safe for concurrent use.
type Network struct {
	mu        sync.Mutex
	listeners map[string][]*listener
	next      map[string]int
}

// New returns an empty network.
func New() *Network {
	return &Network{listeners: map[string][]*listener{}, next: map[string]int{}}
}

// listener is one server's in-memory listener under a service's name.
type listener struct {
	*bufconn.Listener
	nw      *Network
	service string
	once    sync.Once
}

// Close stops accepting and removes the listener from the network.
func (l *listener) Close() error {
	l.once.Do(func() { l.nw.remove(l) })
	return l.Listener.Close()
}

// Addr names the listener by its service.
func (l *listener) Addr() net.Addr { return addr(l.service) }

// Listen adds a listener for service; several listeners under one name
// share its connections round robin, like replicas.
func (n *Network) Listen(service string) (net.Listener, error) {
	if service == "" {
		return nil, fmt.Errorf("inproc: listen: empty service name")
	}
	l := &listener{Listener: bufconn.Listen(bufferBytes), nw: n, service: service}
	n.mu.Lock()
	n.listeners[service] = append(n.listeners[service], l)
	n.mu.Unlock()
	return l, nil
}

func (n *Network) remove(l *listener) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ls := n.listeners[l.service]
	for i, x := range ls {
		if x == l {
			n.listeners[l.service] = append(ls[:i:i], ls[i+1:]...)
			return
		}
	}
}

// Dial connects to a listener of service (the address is the service's
// name), round robin over its listeners. It is a grpc.WithContextDialer
// dialer.
func (n *Network) Dial(ctx context.Context, service string) (net.Conn, error) {
	n.mu.Lock()
	ls := n.listeners[service]
	if len(ls) == 0 {
		n.mu.Unlock()
		return nil, fmt.Errorf("inproc: dial %s: no listener", service)
	}
	l := ls[n.next[service]%len(ls)]
	n.next[service]++
	n.mu.Unlock()
	conn, err := l.DialContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("inproc: dial %s: %w", service, err)
	}
	return conn, nil
}

// addr is a service name as a net.Addr.
type addr string

func (a addr) Network() string { return "inproc" }
func (a addr) String() string  { return string(a) }
