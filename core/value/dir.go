package value

import "math"

// A memberDir says where the members of an object's text begin, so that a
// field read need not skip the values before it (a message's text, say,
// before its ts). It holds the index of the opening quote of members 1 to
// dirMembers-1 (member 0 begins at 1), 16 bits each, 0 where it is not
// known. It lives in an Object's num, which Objects do not otherwise use:
// ScanRow records it while checking a stream's row, which it reads member
// by member anyway, and BuildRow stores it; ObjectBuilder.Build records it
// as it writes the members. Every other Object has none (0), and its reads
// scan as before.
type memberDir uint64

// dirMembers is how many members a memberDir places (the first one
// included, which needs no entry).
const dirMembers = 5

// dirLimit bounds the offsets a memberDir holds: below it, no entry's top
// bits can make the word a NaN or an infinity as a float64 (num), whose
// bits a move might not keep.
const dirLimit = 0x7ff0

// with returns d with member k beginning at off, when d has room for it.
func (d memberDir) with(k, off int) memberDir {
	if k < 1 || k >= dirMembers || off <= 0 || off >= dirLimit {
		return d
	}
	return d | memberDir(off)<<(16*(k-1))
}

// at returns where member k (1 to dirMembers-1) begins, or 0.
func (d memberDir) at(k int) int { return int(d >> (16 * (k - 1)) & 0xffff) }

// shifted returns d for the text whose bytes after index from moved by
// delta (a value that BuildRow rewrote).
func (d memberDir) shifted(from, delta int) memberDir {
	var out memberDir
	for k := 1; k < dirMembers; k++ {
		off := d.at(k)
		if off > from {
			off += delta
		}
		out = out.with(k, off)
	}
	return out
}

// bits returns d as an Object's num.
func (d memberDir) bits() float64 { return math.Float64frombits(uint64(d)) }

// dirOf returns the memberDir of the Object v (0 when it has none).
func dirOf(v Value) memberDir { return memberDir(math.Float64bits(v.num)) }
