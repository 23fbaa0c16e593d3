package ivm

import (
	"math"
	"slices"
	"strings"
)

// sortByPosition sorts s by cmp through its positions (sortedOrder), not
// by moving its elements while it compares them.
func sortByPosition[T any](s []T, cmp func(a, b T) int) {
	permute(s, sortedOrder(len(s), func(a, b int32) int { return cmp(s[a], s[b]) }))
}

// sortedOrder returns the positions 0..n-1 sorted by cmp. Sorting
// positions instead of the pointers themselves moves no pointer while the
// sort runs: in a browser the garbage collector shares the page's thread,
// and while it marks, every pointer a sort moves goes through its write
// barrier.
func sortedOrder(n int, cmp func(a, b int32) int) []int32 {
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, cmp)
	return order
}

// selectOrder returns the positions 0..n-1 with the keep first under cmp
// first, in order, then the others in no particular order. It keeps a
// max-heap of the best keep positions seen, which turns most positions
// away with one comparison: n + keep·log keep·log n comparisons at worst
// for positions in random order, where a sort takes n·log n.
func selectOrder(n, keep int, cmp func(a, b int32) int) []int32 {
	keep = min(keep, n)
	h := make([]int32, 0, keep) // the best keep so far; h[0] the worst of them
	rest := make([]int32, 0, n-keep)
	down := func(i int) {
		for {
			worst, l, r := i, 2*i+1, 2*i+2
			if l < len(h) && cmp(h[l], h[worst]) > 0 {
				worst = l
			}
			if r < len(h) && cmp(h[r], h[worst]) > 0 {
				worst = r
			}
			if worst == i {
				return
			}
			h[i], h[worst] = h[worst], h[i]
			i = worst
		}
	}
	for i := range int32(n) {
		if len(h) < keep {
			h = append(h, i)
			for j := len(h) - 1; j > 0 && cmp(h[j], h[(j-1)/2]) > 0; j = (j - 1) / 2 {
				h[j], h[(j-1)/2] = h[(j-1)/2], h[j]
			}
			continue
		}
		if keep > 0 && cmp(i, h[0]) < 0 {
			rest = append(rest, h[0])
			h[0] = i
			down(0)
		} else {
			rest = append(rest, i)
		}
	}
	slices.SortFunc(h, cmp)
	return append(h, rest...)
}

// permute rearranges s so that s[i] is the old s[order[i]].
func permute[T any](s []T, order []int32) {
	old := slices.Clone(s)
	for i, j := range order {
		s[i] = old[j]
	}
}

// stringOrder returns the positions of keys sorted by byte order
// (strings.Compare), with equal strings in any order. It is a radix sort
// on the eight bytes that follow the keys' common prefix, then a
// comparison sort of each run of keys that agree on those bytes: the keys
// of a first result (join keys such as ["m12345","u0987"], row ids) share
// a prefix and then differ within a few bytes, where comparing them
// pairwise would read the prefix again in each of the n·log n
// comparisons.
func stringOrder(keys []string) []int32 {
	n := len(keys)
	if n < 256 {
		return sortedOrder(n, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
	}
	common := keys[0]
	for _, k := range keys[1:] {
		l := min(len(common), len(k))
		i := 0
		for i < l && common[i] == k[i] {
			i++
		}
		common = common[:i]
		if i == 0 {
			break
		}
	}
	p := len(common)
	// The next eight bytes, big-endian; a key that ends sooner is padded
	// with zero bytes, and the runs' comparison sort tells it from a key
	// holding zero bytes.
	digits := make([]uint64, n)
	for i, k := range keys {
		var d uint64
		for j := range 8 {
			d <<= 8
			if p+j < len(k) {
				d |= uint64(k[p+j])
			}
		}
		digits[i] = d
	}
	return radixOrder(digits, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
}

// numberOrder returns the positions of ks sorted by number, the positions
// of equal numbers ordered by tie. -0 counts as 0; ks holds no NaN.
func numberOrder(ks []float64, tie func(a, b int32) int) []int32 {
	n := len(ks)
	if n < 256 {
		return sortedOrder(n, byNumber(ks, tie))
	}
	// An order-preserving map of float64 onto uint64: flip every bit of a
	// negative number, and the sign bit of the others.
	digits := make([]uint64, n)
	for i, f := range ks {
		b := math.Float64bits(f + 0) // -0 + 0 is 0
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		digits[i] = b
	}
	return radixOrder(digits, tie)
}

// byNumber compares positions by their numbers in ks, then by tie.
func byNumber(ks []float64, tie func(a, b int32) int) func(a, b int32) int {
	return func(a, b int32) int {
		switch {
		case ks[a] < ks[b]:
			return -1
		case ks[a] > ks[b]:
			return 1
		}
		return tie(a, b)
	}
}

// radixOrder returns the positions of digits sorted by them, 16 bits at a
// time from the lowest (a pass in which every digit has the same 16 bits
// is skipped), then each run of equal digits sorted by tie.
func radixOrder(digits []uint64, tie func(a, b int32) int) []int32 {
	n := len(digits)
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	tmp := make([]int32, n)
	var count [1 << 16]int32
	for shift := 0; shift < 64; shift += 16 {
		clear(count[:])
		for _, i := range order {
			count[(digits[i]>>shift)&0xffff]++
		}
		if count[(digits[order[0]]>>shift)&0xffff] == int32(n) {
			continue // every digit has the same 16 bits here
		}
		sum := int32(0)
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for _, i := range order {
			d := (digits[i] >> shift) & 0xffff
			tmp[count[d]] = i
			count[d]++
		}
		order, tmp = tmp, order
	}
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && digits[order[hi]] == digits[order[lo]] {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(order[lo:hi], tie)
		}
		lo = hi
	}
	return order
}
