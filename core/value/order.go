package value

// positions returns 0..n-1, to sort with slices.SortFunc in place of the
// elements they stand for.
//
// The sorts of the module sort []int32 positions, not their own element
// types: each element type given to slices.SortFunc or
// slices.SortStableFunc adds its own copy of the sort's code to the wasm
// (about 15 KB each). A stable sort breaks ties by position.
func positions(n int) []int32 {
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	return order
}
