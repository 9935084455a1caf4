package observe

import (
	"math"
	"slices"
)

// histogram is a Prometheus histogram: cumulative counts by upper bound,
// sorted by bound, the last bound +Inf.
type histogram []bucket

type bucket struct {
	le    float64 // upper bound, seconds
	count float64 // observations ≤ le
}

// count is the number of observations.
func (h histogram) count() float64 {
	if len(h) == 0 {
		return 0
	}
	return h[len(h)-1].count
}

// at is the cumulative count at bound le: the count of the largest bound
// of h not above le (exact when h has the bound le).
func (h histogram) at(le float64) float64 {
	c := 0.0
	for _, b := range h {
		if b.le > le {
			break
		}
		c = b.count
	}
	return c
}

// plus returns h + o, over the union of their bounds.
func (h histogram) plus(o histogram) histogram {
	if len(o) == 0 {
		return h
	}
	if len(h) == 0 {
		return slices.Clone(o)
	}
	bounds := make([]float64, 0, len(h)+len(o))
	for _, b := range h {
		bounds = append(bounds, b.le)
	}
	for _, b := range o {
		bounds = append(bounds, b.le)
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	out := make(histogram, len(bounds))
	for i, le := range bounds {
		out[i] = bucket{le: le, count: h.at(le) + o.at(le)}
	}
	return out
}

// minus returns the observations made between prev and h, two readings of
// one cumulative histogram; a count that went down (the process
// restarted) counts from zero.
func (h histogram) minus(prev histogram) histogram {
	if len(prev) == 0 || prev.count() > h.count() {
		return slices.Clone(h)
	}
	out := make(histogram, len(h))
	for i, b := range h {
		out[i] = bucket{le: b.le, count: max(b.count-prev.at(b.le), 0)}
	}
	return out
}

// quantile estimates the q-quantile (0 < q < 1) in seconds by linear
// interpolation inside the bucket that holds it, as Prometheus's
// histogram_quantile does. Observations above the last finite bound are
// reported at that bound. It returns NaN when h is empty.
func (h histogram) quantile(q float64) float64 {
	total := h.count()
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range h {
		if b.count >= rank {
			if math.IsInf(b.le, 1) {
				return lower
			}
			inBucket := b.count - below
			if inBucket <= 0 {
				return b.le
			}
			return lower + (b.le-lower)*(rank-below)/inBucket
		}
		lower, below = b.le, b.count
	}
	return lower
}
