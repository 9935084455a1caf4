// Package load is Bazaar's open-loop load generator: virtual shoppers
// drive the storefront's public HTTP interface with the standard workload
// at a fixed arrival rate, and every operation's latency is measured from
// its intended start, so a stall is never hidden by coordinated omission.
package load

import (
	"fmt"
	"math/rand/v2"
)

// Op is one kind of shopper operation.
type Op int

// The operations of the standard workload.
const (
	OpHome Op = iota
	OpCurrency
	OpProduct
	OpAddToCart
	OpViewCart
	OpCheckout
	OpSearch
	OpSignIn
	numOps
)

var opNames = [numOps]string{"home", "currency", "product", "add-to-cart", "view-cart", "checkout", "search", "sign-in"}

// String returns the operation's name as the reports print it.
func (o Op) String() string {
	if o < 0 || o >= numOps {
		return fmt.Sprintf("op(%d)", int(o))
	}
	return opNames[o]
}

// Weight is an operation's relative share of a mix.
type Weight struct {
	Op     Op
	Weight int
}

// StandardMix returns the standard workload of BLUEPRINT §9: home 1,
// change currency 2, view product 10, add to cart 2, view cart 3,
// checkout 1, search 2, sign-in 1.
func StandardMix() []Weight {
	return []Weight{
		{OpHome, 1}, {OpCurrency, 2}, {OpProduct, 10}, {OpAddToCart, 2},
		{OpViewCart, 3}, {OpCheckout, 1}, {OpSearch, 2}, {OpSignIn, 1},
	}
}

// Mix draws operations at random in proportion to their weights.
type Mix struct {
	ops   []Op
	cum   []int
	total int
}

// NewMix returns the mix of weights; every weight must be positive and
// every operation known.
func NewMix(weights []Weight) (*Mix, error) {
	m := &Mix{}
	for _, w := range weights {
		if w.Op < 0 || w.Op >= numOps {
			return nil, fmt.Errorf("new mix: unknown operation %d", int(w.Op))
		}
		if w.Weight <= 0 {
			return nil, fmt.Errorf("new mix: weight of %s is %d, want > 0", w.Op, w.Weight)
		}
		m.total += w.Weight
		m.ops = append(m.ops, w.Op)
		m.cum = append(m.cum, m.total)
	}
	if m.total == 0 {
		return nil, fmt.Errorf("new mix: no operations")
	}
	return m, nil
}

// Pick draws one operation using r.
func (m *Mix) Pick(r *rand.Rand) Op {
	n := r.IntN(m.total)
	for i, c := range m.cum {
		if n < c {
			return m.ops[i]
		}
	}
	return m.ops[len(m.ops)-1]
}
