package observe

import (
	"math"
	"testing"
)

var inf = math.Inf(1)

func TestHistogramQuantile(t *testing.T) {
	h := histogram{{0.01, 50}, {0.1, 90}, {1, 100}, {inf, 100}}
	tests := []struct {
		name string
		h    histogram
		q    float64
		want float64
	}{
		{"median in first bucket", h, 0.5, 0.01},
		{"p25 interpolated from zero", h, 0.25, 0.005},
		{"p99 interpolated", h, 0.99, 0.1 + 0.9*9/10},
		{"p90 at a bound", h, 0.9, 0.1},
		{"above the last finite bound", histogram{{0.1, 1}, {inf, 10}}, 0.99, 0.1},
		{"empty", histogram{{0.1, 0}, {inf, 0}}, 0.5, math.NaN()},
		{"nil", nil, 0.5, math.NaN()},
	}
	for _, tc := range tests {
		got := tc.h.quantile(tc.q)
		if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tc.want) > 1e-9) {
			t.Errorf("%s: quantile(%v) = %v, want %v", tc.name, tc.q, got, tc.want)
		}
	}
}

func TestHistogramArithmetic(t *testing.T) {
	a := histogram{{0.1, 5}, {1, 8}, {inf, 10}}
	b := histogram{{0.5, 1}, {inf, 4}}
	sum := a.plus(b)
	want := histogram{{0.1, 5}, {0.5, 6}, {1, 9}, {inf, 14}}
	if !equalHist(sum, want) {
		t.Errorf("plus = %v, want %v", sum, want)
	}
	later := histogram{{0.1, 7}, {1, 12}, {inf, 15}}
	if d := later.minus(a); !equalHist(d, histogram{{0.1, 2}, {1, 4}, {inf, 5}}) {
		t.Errorf("minus = %v", d)
	}
	restarted := histogram{{0.1, 1}, {1, 1}, {inf, 2}}
	if d := restarted.minus(a); !equalHist(d, restarted) {
		t.Errorf("minus after a restart = %v, want the new counts %v", d, restarted)
	}
}

func equalHist(a, b histogram) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
