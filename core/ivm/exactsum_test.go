package ivm

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExactSum(t *testing.T) {
	var tmp sumScratch
	sum := func(vals ...float64) float64 {
		var s exactSum
		for _, v := range vals {
			s.add(v, 1, &tmp)
		}
		return s.value(&tmp)
	}
	cases := []struct {
		vals []float64
		want float64
	}{
		{nil, 0},
		{[]float64{1, 2, 3}, 6},
		{[]float64{0.1, 0.2}, 0.30000000000000004}, // as JS's 0.1 + 0.2
		{[]float64{1e300, 1, -1e300}, 1},
		{[]float64{0.1, 0.2, 0.3, -0.1, -0.2, -0.3}, 0},
		{[]float64{math.SmallestNonzeroFloat64, math.SmallestNonzeroFloat64}, 2 * math.SmallestNonzeroFloat64},
		{[]float64{math.MaxFloat64, math.MaxFloat64}, math.Inf(1)},
		{[]float64{1 << 53, 1}, 1<<53 + 0}, // ties to even
		{[]float64{1 << 53, 1, 1}, 1<<53 + 2},
		{[]float64{math.Inf(1), 1}, math.Inf(1)},
		{[]float64{math.Inf(-1), 1}, math.Inf(-1)},
		{[]float64{math.Inf(1), math.Inf(-1)}, math.NaN()},
		{[]float64{math.NaN(), 1}, math.NaN()},
		{[]float64{math.Copysign(0, -1)}, 0},
	}
	for _, c := range cases {
		got := sum(c.vals...)
		if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) || math.Signbit(got) != math.Signbit(c.want) {
			t.Errorf("sum(%v) = %v, want %v", c.vals, got, c.want)
		}
	}
	// Many integers near 2^53 overflow the int64 fast path into big.
	var s exactSum
	for range 3000 {
		s.add(1<<53, 1, &tmp)
	}
	if got := s.value(&tmp); got != 3000*(1<<53) {
		t.Errorf("3000·2^53 = %v", got)
	}
	for range 3000 {
		s.add(1<<53, -1, &tmp)
	}
	if got := s.value(&tmp); got != 0 {
		t.Errorf("back to 0: %v", got)
	}
	// Any order of additions and removals gives the fresh sum.
	rng := rand.New(rand.NewPCG(70, 1))
	var live []float64
	var inc exactSum
	for step := range 5000 {
		if len(live) > 0 && rng.IntN(3) == 0 {
			i := rng.IntN(len(live))
			inc.add(live[i], -1, &tmp)
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
		} else {
			v := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(30)-15))
			if rng.IntN(3) == 0 {
				v = math.Round(v)
			}
			live = append(live, v)
			inc.add(v, 1, &tmp)
		}
		if got, want := inc.value(&tmp), sum(live...); got != want {
			t.Fatalf("step %d: incremental %v, fresh %v", step, got, want)
		}
	}
}
