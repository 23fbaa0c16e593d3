package ivm

import (
	"math"
	"math/big"
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
// int64; other finite values in a big.Int counting units of 2^-1074 (the
// smallest subnormal), allocated when first needed and dropped when it
// returns to zero. NaN and the infinities are counted apart: any NaN, or
// both infinities, make the sum NaN, as JavaScript's additions would.
type exactSum struct {
	small           int64
	nan, pinf, ninf int32
	big             *big.Int
}

// maxSmall bounds small so that adding an integer of magnitude 2^53 cannot
// overflow.
const maxSmall = 1 << 62

// add adds f (sign > 0) or removes it (sign < 0). tmp is scratch space.
func (s *exactSum) add(f float64, sign int, tmp *big.Int) {
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
			s.spill(tmp)
			n = i
		}
		s.small = n
		return
	}
	bits := math.Float64bits(f)
	mant := bits & (1<<52 - 1)
	exp := int(bits>>52) & 0x7ff
	if exp == 0 {
		exp = 1 // subnormal: mant × 2^-1074
	} else {
		mant |= 1 << 52
	}
	tmp.SetUint64(mant)
	tmp.Lsh(tmp, uint(exp-1))
	if s.big == nil {
		s.big = new(big.Int)
	}
	if (bits>>63 == 1) != (sign < 0) {
		s.big.Sub(s.big, tmp)
	} else {
		s.big.Add(s.big, tmp)
	}
	if s.big.Sign() == 0 {
		s.big = nil
	}
}

// spill moves small into big.
func (s *exactSum) spill(tmp *big.Int) {
	if s.big == nil {
		s.big = new(big.Int)
	}
	tmp.SetInt64(s.small)
	tmp.Lsh(tmp, 1074)
	s.big.Add(s.big, tmp)
	s.small = 0
	// When what big holds is again a small integer, it goes back to small.
	if s.big.Sign() == 0 {
		s.big = nil
	} else if s.big.TrailingZeroBits() >= 1074 && s.big.BitLen() <= 1074+61 {
		tmp.Rsh(s.big, 1074)
		s.small = tmp.Int64()
		s.big = nil
	}
}

// value returns the sum rounded to the nearest float64 (0 when empty).
func (s *exactSum) value(tmp *big.Int) float64 {
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
	tmp.SetInt64(s.small)
	tmp.Lsh(tmp, 1074)
	tmp.Add(tmp, s.big)
	var f big.Float
	f.SetInt(tmp)
	f.SetMantExp(&f, -1074)
	v, _ := f.Float64()
	return v
}
