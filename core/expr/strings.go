package expr

import (
	"github.com/streamdb/streamdb/core/value"
)

// buildIn is TanStack's in (inArray): null when the value is null or
// undefined, false when the list is not an array, else whether an element
// equals the value as eq sees it (a null element never matches; arrays and
// objects never match, being distinct objects).
func buildIn(args []operand) Eval {
	a, l := args[0], args[1]
	if l.kind == opConst {
		set := newMemberSet(l.c)
		return func(vals []value.Value) value.Value {
			x := a.get(vals)
			if x.IsNullish() {
				return vNull
			}
			return value.Bool(set.has(x))
		}
	}
	return func(vals []value.Value) value.Value {
		x := a.get(vals)
		if x.IsNullish() {
			return vNull
		}
		list := l.get(vals)
		if list.Kind() != value.KindArray {
			return vFalse
		}
		found := false
		list.Elems(func(_ int, e value.Value) bool {
			found = strictEqual(e, x)
			return !found
		})
		return value.Bool(found)
	}
}

// memberSet is a constant list of in, prepared for lookups.
type memberSet struct {
	elems       []value.Value // the scalar elements, when few
	strs        map[string]struct{}
	nums        map[float64]struct{}
	nan, t, f   bool
	usesIndexes bool
}

// setThreshold is the list length from which in uses maps.
const setThreshold = 8

// newMemberSet prepares the constant list v (anything but an array matches
// nothing).
func newMemberSet(v value.Value) *memberSet {
	s := &memberSet{}
	if v.Kind() != value.KindArray {
		return s
	}
	v.Elems(func(_ int, e value.Value) bool {
		switch e.Kind() {
		case value.KindString, value.KindNumber, value.KindBool:
			s.elems = append(s.elems, e)
		}
		return true
	})
	if len(s.elems) < setThreshold {
		return s
	}
	s.usesIndexes = true
	s.strs = map[string]struct{}{}
	s.nums = map[float64]struct{}{}
	for _, e := range s.elems {
		switch e.Kind() {
		case value.KindString:
			str, _ := e.Str()
			s.strs[str] = struct{}{}
		case value.KindNumber:
			f, _ := e.Num()
			if f != f {
				s.nan = true
			} else {
				s.nums[f+0] = struct{}{} // -0 as 0
			}
		case value.KindBool:
			if b, _ := e.BoolVal(); b {
				s.t = true
			} else {
				s.f = true
			}
		}
	}
	s.elems = nil
	return s
}

// has reports whether the non-nullish x is in the set.
func (s *memberSet) has(x value.Value) bool {
	if !s.usesIndexes {
		for _, e := range s.elems {
			if strictEqual(e, x) {
				return true
			}
		}
		return false
	}
	switch x.Kind() {
	case value.KindString:
		str, _ := x.Str()
		_, ok := s.strs[str]
		return ok
	case value.KindNumber:
		f, _ := x.Num()
		if f != f {
			return s.nan
		}
		_, ok := s.nums[f]
		return ok
	case value.KindBool:
		if b, _ := x.BoolVal(); b {
			return s.t
		}
		return s.f
	}
	return false
}

// buildLike is like (fold false) or ilike (fold true): null when either
// side is null or undefined, false when either is not a string.
func buildLike(fold bool) func(args []operand) Eval {
	return func(args []operand) Eval {
		a, p := args[0], args[1]
		if p.kind == opConst {
			ps, ok := p.c.Str()
			switch {
			case p.c.IsNullish():
				return func([]value.Value) value.Value { return vNull }
			case !ok:
				return func(vals []value.Value) value.Value {
					if a.get(vals).IsNullish() {
						return vNull
					}
					return vFalse
				}
			}
			lp := newLikePattern(ps, fold)
			return func(vals []value.Value) value.Value {
				x := a.get(vals)
				s, ok := x.Str()
				if !ok {
					if x.IsNullish() {
						return vNull
					}
					return vFalse
				}
				return value.Bool(lp.match(s, fold))
			}
		}
		return func(vals []value.Value) value.Value {
			x, y := a.get(vals), p.get(vals)
			if x.IsNullish() || y.IsNullish() {
				return vNull
			}
			s, ok1 := x.Str()
			ps, ok2 := y.Str()
			if !ok1 || !ok2 {
				return vFalse
			}
			return value.Bool(newLikePattern(ps, fold).match(s, fold))
		}
	}
}

// buildCase is upper or lower: strings are mapped, anything else returned
// as it is.
func buildCase(mapping func(string) string) func(args []operand) Eval {
	return func(args []operand) Eval {
		a := args[0]
		return func(vals []value.Value) value.Value {
			x := a.get(vals)
			if s, ok := x.Str(); ok {
				return value.String(mapping(s))
			}
			return x
		}
	}
}

// buildLength is the UTF-16 length of a string, the length of an array,
// and 0 for anything else.
func buildLength(args []operand) Eval {
	a := args[0]
	return func(vals []value.Value) value.Value {
		x := a.get(vals)
		switch x.Kind() {
		case value.KindString:
			s, _ := x.Str()
			return value.Number(float64(value.UTF16Len(s)))
		case value.KindArray:
			return value.Number(float64(x.Len()))
		}
		return value.Number(0)
	}
}

// buildConcat joins String() of every argument, null and undefined as "".
func buildConcat(args []operand) Eval {
	return func(vals []value.Value) value.Value {
		var buf []byte
		for i := range args {
			x := args[i].get(vals)
			if x.IsNullish() {
				continue
			}
			if s, ok := x.Str(); ok {
				if len(args) == 1 {
					return x
				}
				buf = append(buf, s...)
				continue
			}
			buf = append(buf, value.ToString(x)...)
		}
		return value.String(string(buf))
	}
}

// buildArray is an array of the arguments' values (JSON: undefined and
// non-finite numbers become null in it).
func buildArray(args []operand) Eval {
	return func(vals []value.Value) value.Value {
		out := make([]value.Value, len(args))
		for i := range args {
			out[i] = args[i].get(vals)
		}
		return value.ArrayOf(out)
	}
}
