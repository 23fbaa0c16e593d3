package ivm

import (
	"math"
)

// exactSum is the exact sum of a multiset of float64 values, maintained
// in O(1) per added or removed value (amortised: a handful of float
// operations). Its value is the exact sum rounded once to the nearest
// float64, so it does not depend on the order values came and went in: a
// sum maintained through any sequence of changes equals the sum of its
// current values computed afresh. (TanStack DB re-folds the group with
// float additions in its index order, which can differ from this in the
// last bits when the values are not integers; for integers below 2^53 both
// are exact.)
//
// Integers up to 2^53 in magnitude, the common case, are summed in an
// int64. Other finite values are kept as a Shewchuk expansion: a short
// list of non-overlapping floats whose sum is exactly the sum of the
// values (Shewchuk, "Adaptive Precision Floating-Point Arithmetic", 1997;
// the algorithm of Python's math.fsum). Removing a value adds its negation,
// which the expansion absorbs exactly. NaN and the infinities are counted
// apart: any NaN, or both infinities, make the sum NaN, as JavaScript's
// additions would. Sums whose partial results exceed the float64 range are
// not exact.
type exactSum struct {
	small           int64
	nan, pinf, ninf int32
	partials        []float64
	huge            []float64 // values of magnitude ≥ 2^1000, scaled by 2^-100
}

// hugeMin and hugeScale keep huge values apart, scaled down exactly, so
// that their partial sums cannot overflow.
const (
	hugeMin   = 0x1p1000
	hugeScale = 0x1p-100
)

// sumScratch is scratch space for exactSum, owned by its caller.
type sumScratch struct {
	tmp []float64
}

// maxSmall bounds small so that adding an integer of magnitude 2^53 cannot
// overflow.
const maxSmall = 1 << 62

// add adds f (sign > 0) or removes it (sign < 0).
func (s *exactSum) add(f float64, sign int, sc *sumScratch) {
	switch {
	case math.IsNaN(f):
		s.nan += int32(sign)
		return
	case math.IsInf(f, 1):
		s.pinf += int32(sign)
		return
	case math.IsInf(f, -1):
		s.ninf += int32(sign)
		return
	}
	if sign < 0 {
		f = -f
	}
	if f == math.Trunc(f) && f <= 1<<53 && f >= -(1<<53) {
		n := s.small + int64(f)
		if n > maxSmall || n < -maxSmall {
			// Spill the int64 into the expansion, exactly, as two floats.
			a := float64(s.small)
			s.partials = grow(grow(s.partials, a), float64(s.small-int64(a)))
			n = int64(f)
		}
		s.small = n
		return
	}
	if math.Abs(f) >= hugeMin {
		s.huge = grow(s.huge, f*hugeScale)
		return
	}
	s.partials = grow(s.partials, f)
}

// grow adds x to the expansion p exactly (Shewchuk's grow-expansion with
// zero elimination) and returns it.
func grow(p []float64, x float64) []float64 {
	i := 0
	for _, y := range p {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		lo := y - (hi - x)
		if lo != 0 {
			p[i] = lo
			i++
		}
		x = hi
	}
	p = p[:i]
	if x != 0 {
		p = append(p, x)
	}
	return p
}

// value returns the sum rounded to the nearest float64 (0 when empty).
func (s *exactSum) value(sc *sumScratch) float64 {
	switch {
	case s.nan > 0 || s.pinf > 0 && s.ninf > 0:
		return math.NaN()
	case s.pinf > 0:
		return math.Inf(1)
	case s.ninf > 0:
		return math.Inf(-1)
	case len(s.partials) == 0 && len(s.huge) == 0:
		return float64(s.small)
	}
	if len(s.huge) > 0 {
		// Huge values dominate: the small ones change the sum by less
		// than its last bit except when the huge ones cancel.
		if h := roundExpansion(s.huge); h != 0 {
			return h / hugeScale
		}
	}
	// The int64 part as two floats whose sum is exact (|small| < 2^63).
	p := append(sc.tmp[:0], s.partials...)
	a := float64(s.small)
	b := float64(s.small - int64(a))
	p = grow(grow(p, a), b)
	sc.tmp = p
	return roundExpansion(p)
}

// roundExpansion returns the sum of the non-overlapping expansion p (in
// increasing magnitude) correctly rounded to the nearest float64, ties to
// even, as math.fsum does.
func roundExpansion(p []float64) float64 {
	n := len(p)
	if n == 0 {
		return 0
	}
	hi := p[n-1]
	lo := 0.0
	i := n - 1
	for i > 0 {
		x := hi
		y := p[i-1]
		i--
		hi = x + y
		yr := hi - x
		lo = y - yr
		if lo != 0 {
			break
		}
	}
	// A half-way case: the rest of the expansion decides the rounding.
	if i > 0 && ((lo < 0 && p[i-1] < 0) || (lo > 0 && p[i-1] > 0)) {
		y := lo * 2
		x := hi + y
		if yr := x - hi; y == yr {
			hi = x
		}
	}
	return hi
}
