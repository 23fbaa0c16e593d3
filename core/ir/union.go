package ir

import (
	"errors"

	"github.com/streamdb/streamdb/core/value"
)

// from decodes a query's from: a source, or a union ({"union": [Source,
// ...]} or {"unionAll": [Query, ...]}, see the package comment).
func (p parser) from(v value.Value, depth int) (Source, error) {
	if v.Kind() != value.KindObject {
		return p.source("from", v, depth)
	}
	u, b := v.Get("union"), v.Get("unionAll")
	if u.IsUndefined() && b.IsUndefined() {
		return p.source("from", v, depth)
	}
	var extra string
	v.Fields(func(k string, _ value.Value) bool {
		if k != "union" && k != "unionAll" {
			extra = k
		}
		return extra == ""
	})
	switch {
	case extra != "":
		return Source{}, Errorf("from", "a union has no member %q (only union or unionAll)", extra)
	case !u.IsUndefined() && !b.IsUndefined():
		return Source{}, Errorf("from", "a union has either union (sources) or unionAll (queries), not both")
	case !u.IsUndefined():
		if u.Kind() != value.KindArray || u.Len() < 2 {
			return Source{}, Errorf("from", "union needs an array of two or more sources")
		}
		s := Source{Union: make([]Source, 0, u.Len())}
		for i := range u.Len() {
			src, err := p.source("from", u.Index(i), depth)
			if err != nil {
				return Source{}, err
			}
			s.Union = append(s.Union, src)
		}
		return s, nil
	}
	if b.Kind() != value.KindArray || b.Len() < 1 {
		return Source{}, Errorf("from", "unionAll needs an array of one or more queries")
	}
	s := Source{Branches: make([]*Query, 0, b.Len())}
	for i := range b.Len() {
		q, err := p.query(b.Index(i), depth+1)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				return Source{}, Errorf("from", "unionAll query %d: %s: %s", i, e.Clause, e.Reason)
			}
			return Source{}, err
		}
		s.Branches = append(s.Branches, q)
	}
	return s, nil
}
