package ir

import (
	"math"

	"github.com/streamdb/streamdb/core/value"
)

// maxFn bounds a callback index: far more callbacks than a query holds.
const maxFn = 1 << 20

// fns decodes the callback members of a query: fnWhere and fnHaving, arrays
// of callback indexes, and fnSelect, one index.
func fns(q *Query, v value.Value) error {
	var err error
	if q.FnWhere, err = fnList("fn.where", v.Get("fnWhere")); err != nil {
		return err
	}
	if q.FnHaving, err = fnList("fn.having", v.Get("fnHaving")); err != nil {
		return err
	}
	if s := v.Get("fnSelect"); !s.IsUndefined() {
		i, err := fnIndex("fn.select", s)
		if err != nil {
			return err
		}
		q.FnSelect = &i
	}
	return nil
}

func fnList(clause string, v value.Value) ([]int, error) {
	if v.IsUndefined() {
		return nil, nil
	}
	if v.Kind() != value.KindArray {
		return nil, Errorf(clause, "want an array of callback indexes, got %s", v.Kind())
	}
	var out []int
	var err error
	v.Elems(func(_ int, e value.Value) bool {
		var i int
		if i, err = fnIndex(clause, e); err != nil {
			return false
		}
		out = append(out, i)
		return true
	})
	return out, err
}

func fnIndex(clause string, v value.Value) (int, error) {
	f, ok := v.Num()
	if !ok || f < 0 || f != math.Trunc(f) || f >= maxFn {
		return 0, Errorf(clause, "want a callback index (a non-negative integer), got %s", v)
	}
	return int(f), nil
}

// HasFn reports whether the query tree has a callback (fn.where, fn.select
// or fn.having), in itself or in a subquery.
func (q *Query) HasFn() bool {
	if len(q.FnWhere) > 0 || q.FnSelect != nil || len(q.FnHaving) > 0 {
		return true
	}
	if q.From.Query != nil && q.From.Query.HasFn() {
		return true
	}
	for _, j := range q.Joins {
		if j.Source.Query != nil && j.Source.Query.HasFn() {
			return true
		}
	}
	return false
}
