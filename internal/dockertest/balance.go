package dockertest

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/bazaar-shop/bazaar/internal/load"
)

// Storefronts drives several storefront replicas as a load balancer in
// front of them would: shopper w goes to replica w mod n (its session
// stays there), and an operation that cannot connect to its replica (the
// container is gone) is sent to the next one. Only a refused connection
// fails over: a request that reached a replica is never sent twice.
type Storefronts struct {
	shops []*load.Shop
}

// NewStorefronts prepares workers shoppers over the storefronts at urls.
func NewStorefronts(ctx context.Context, urls []string, workers int, seed uint64) (*Storefronts, error) {
	if len(urls) == 0 {
		return nil, errors.New("storefronts: no URL")
	}
	s := &Storefronts{}
	for i, u := range urls {
		shop, err := load.NewShop(ctx, u, workers, seed+uint64(i))
		if err != nil {
			return nil, fmt.Errorf("storefronts: %w", err)
		}
		s.shops = append(s.shops, shop)
	}
	return s, nil
}

// Do runs op for shopper worker, failing over on a refused connection.
func (s *Storefronts) Do(ctx context.Context, worker int, op load.Op) error {
	var err error
	for i := range s.shops {
		err = s.shops[(worker+i)%len(s.shops)].Do(ctx, worker, op)
		if !refused(err) {
			return err
		}
	}
	return err
}

// refused reports whether err is a failure to connect, so nothing was
// sent.
func refused(err error) bool {
	var op *net.OpError
	return err != nil && errors.As(err, &op) && op.Op == "dial"
}
