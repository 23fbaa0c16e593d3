package ivm

import (
	"math"
	"math/big"
	"math/bits"
)

// exactSum is the exact sum of a multiset of float64 values, maintained
// in O(1) per added or removed value. Its value is the exact sum rounded
// once to the nearest float64, so it does not depend on the order values
// came and went in: a sum maintained through any sequence of changes
// equals the sum of its current values computed afresh. (TanStack DB
// re-folds the group with float additions in its index order, which can
// differ from this in the last bits when the values are not integers; for
// integers below 2^53 both are exact.)
//
// Integers up to 2^53 in magnitude, the common case, are summed in an
// int64. Other finite values go to a big.Int counting units of 2^scale,
// where scale is the smallest exponent among them (a value m·2^e is added
// as m shifted by e−scale): a sum of prices such as 19.99 needs about 70
// bits. The big.Int is allocated when first needed and dropped when it
// returns to zero. NaN and the infinities are counted apart: any NaN, or
// both infinities, make the sum NaN, as JavaScript's additions would.
type exactSum struct {
	small           int64
	nan, pinf, ninf int32
	scale           int32
	big             *big.Int
}

// sumScratch is scratch space for exactSum, owned by its caller.
type sumScratch struct {
	tmp big.Int
	f   big.Float
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
	if f == math.Trunc(f) && f <= 1<<53 && f >= -(1<<53) {
		i := int64(f)
		if sign < 0 {
			i = -i
		}
		n := s.small + i
		if n > maxSmall || n < -maxSmall {
			s.addBig(uint64(absInt64(s.small)), 0, s.small < 0, sc)
			n = i
		}
		s.small = n
		return
	}
	b := math.Float64bits(f)
	mant := b & (1<<52 - 1)
	exp := int(b>>52) & 0x7ff
	if exp == 0 {
		exp = 1 // subnormal: mant × 2^-1074
	} else {
		mant |= 1 << 52
	}
	e := exp - 1075
	tz := bits.TrailingZeros64(mant)
	s.addBig(mant>>tz, e+tz, (b>>63 == 1) != (sign < 0), sc)
}

func absInt64(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

// addBig adds (or, when neg, subtracts) m·2^e to big.
func (s *exactSum) addBig(m uint64, e int, neg bool, sc *sumScratch) {
	if m == 0 {
		return
	}
	if s.big == nil {
		s.big = new(big.Int)
		s.scale = int32(e)
	}
	if e < int(s.scale) {
		s.big.Lsh(s.big, uint(int(s.scale)-e))
		s.scale = int32(e)
	}
	t := &sc.tmp
	t.SetUint64(m)
	t.Lsh(t, uint(e-int(s.scale)))
	if neg {
		s.big.Sub(s.big, t)
	} else {
		s.big.Add(s.big, t)
	}
	if s.big.Sign() == 0 {
		s.big = nil
	}
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
	case s.big == nil:
		return float64(s.small)
	}
	// big·2^scale + small, as t·2^lo.
	lo := min(int(s.scale), 0)
	t := &sc.tmp
	t.SetInt64(s.small)
	t.Lsh(t, uint(-lo))
	if s.scale > 0 {
		var b big.Int
		b.Lsh(s.big, uint(s.scale))
		t.Add(t, &b)
	} else {
		t.Add(t, s.big)
	}
	f := &sc.f
	f.SetPrec(uint(max(t.BitLen(), 64))) // exact
	f.SetInt(t)
	f.SetMantExp(f, lo)
	v, _ := f.Float64()
	return v
}
