package ir

import (
	"errors"

	"github.com/streamdb/streamdb/core/value"
)

// Include is a select field whose value is made of the rows of a subquery
// correlated with the row (TanStack DB's includes): the subquery's where
// holds an eq(child.f, parent.g), alone or in a top-level and, which
// matches child rows to the row; its other conditions and its select may
// read the row's fields too.
type Include struct {
	Query *Query
	// Materialize is what the child rows become: "array" (toArray, and
	// materialize of a query without findOne), "concat" (the string of the
	// scalar values), "singleton" (materialize of a query ending in
	// findOne: the first row, or undefined) or "collection" (a query
	// builder as the field: an array of [child key, row] pairs, which
	// the package turns into a collection).
	Materialize string
	// Scalar, when set, is the child's select of one value
	// (select(({c}) => c.text)); the child query then has no select.
	Scalar *Expr
}

// The materializations of an Include.
const (
	MaterializeArray      = "array"
	MaterializeConcat     = "concat"
	MaterializeSingleton  = "singleton"
	MaterializeCollection = "collection"
)

// include decodes the include member of select field f.
func (p parser) include(f string, v value.Value, depth int) (*Include, error) {
	if v.Kind() != value.KindObject {
		return nil, Errorf("select", "field %q: include must be an object, got %s", f, v.Kind())
	}
	inc := &Include{Materialize: MaterializeCollection}
	if m := v.Get("materialize"); !m.IsUndefined() {
		s, _ := m.Str()
		switch s {
		case MaterializeArray, MaterializeConcat, MaterializeSingleton, MaterializeCollection:
			inc.Materialize = s
		default:
			return nil, Errorf("select", "field %q: materialize must be array, concat, singleton or collection, got %s", f, m)
		}
	}
	q := v.Get("query")
	if q.IsUndefined() {
		return nil, Errorf("select", "field %q: include needs a query", f)
	}
	sub, err := p.query(q, depth+1)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, Errorf("select", "include %q: %s: %s", f, e.Clause, e.Reason)
		}
		return nil, err
	}
	inc.Query = sub
	if s := v.Get("scalar"); !s.IsUndefined() {
		if sub.Select != nil {
			return nil, Errorf("select", "include %q: a scalar select and a select", f)
		}
		if inc.Scalar, err = p.expr("select", s, depth+1); err != nil {
			return nil, err
		}
	}
	return inc, nil
}
