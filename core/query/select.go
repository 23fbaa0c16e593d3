package query

import (
	"unsafe"

	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// selectStage adds the select of an ungrouped query: each row gains its
// selected value as its result value (Sel), and, when orderBy reads
// $selected, as slot len(aliases) too. It returns the scope of orderBy.
//
// owned says when the rows reaching the select belong to this path of the
// graph alone: no other stage, and no other live query, reads them later
// (nil: never). Then, unless orderBy needs the slot, the select sets Sel on
// the rows themselves instead of making an image of each (a first result of
// n rows makes n rows fewer), and orderBy may put its sort values in them
// too (aliasScope.owned).
//
// A query of one collection without a select selects each source row's
// value, which is the same for every such query: its select sets Sel on
// the rows in place even when they are shared.
//
// top says that the query is not a subquery: what follows the select
// (distinct, orderBy and its top-K, the result) never reads the selected
// value of a removal, which carries only its key and sort values to the
// result, so the select does not compute it (a join's update of a row
// removes and adds each of its pairs; half the objects a select would
// build).
func selectStage(p *pipeline, q *ir.Query, aliases []string, owned ownedRows, top bool) (scoped, []ir.Order, error) {
	sel, err := selection(q, aliases)
	if err != nil {
		return nil, nil, err
	}
	n := len(aliases)
	orderBy := inlineSelectedOrder(q.OrderBy, q.Select)
	if q.Select == nil && len(q.Joins) == 0 && q.From.Query == nil && !readsSelected(orderBy) {
		p.pass(func(in ivm.Batch) ivm.Batch { return selectInPlace(in, sel, false) })
		return &aliasScope{scope: scope{aliases: aliases, sel: -1}, owned: owned}, orderBy, nil
	}
	if readsSelected(orderBy) {
		p.pass(ivm.NewMap(func(r *ivm.Row, rows *ivm.Rows) *ivm.Row {
			s := sel(r.Vals)
			row := rows.New(r.Key, n+1)
			copy(row.Vals, r.Vals)
			row.Vals[n], row.Sel = s, s
			return row
		}).Push)
		return &aliasScope{scope: scope{aliases: aliases, sel: n}, owned: joinRows}, orderBy, nil
	}
	// Nothing reads a selected slot of Vals: an image shares its input's
	// Vals, which no stage changes, instead of copying them.
	image := ivm.NewDeltaMap(func(d ivm.Delta, rows *ivm.Rows) *ivm.Row {
		row := rows.New(d.Row.Key, 0)
		row.Vals = d.Row.Vals
		if !top || d.Mult >= 0 {
			row.Sel = sel(d.Row.Vals)
		}
		return row
	}).Push
	if owned == nil {
		p.pass(image)
		return &aliasScope{scope: scope{aliases: aliases, sel: -1}}, orderBy, nil
	}
	p.pass(func(in ivm.Batch) ivm.Batch {
		if !owned() {
			return image(in)
		}
		return selectInPlace(in, sel, top)
	})
	// An image shares its Vals with a row this path does not own: orderBy
	// may change them only when the rows were owned.
	return &aliasScope{scope: scope{aliases: aliases, sel: -1}, owned: owned}, orderBy, nil
}

// selectInPlace sets each row's Sel to sel of its Vals, on the rows
// themselves; when top, a removal's Sel is Undefined instead (nothing after
// a top-level select reads it).
func selectInPlace(in ivm.Batch, sel func([]value.Value) value.Value, top bool) ivm.Batch {
	for _, d := range in {
		switch {
		case d.Row == nil:
		case top && d.Mult < 0:
			d.Row.Sel = value.Undefined()
		default:
			d.Row.Sel = sel(d.Row.Vals)
		}
	}
	return in
}

// readsSelected reports whether an orderBy column reads $selected (a ref
// that inlineSelected could not replace).
func readsSelected(cols []ir.Order) bool {
	var reads func(e *ir.Expr) bool
	reads = func(e *ir.Expr) bool {
		switch e.Kind {
		case ir.Ref:
			return len(e.Path) > 0 && e.Path[0] == "$selected"
		case ir.Func, ir.Agg:
			for _, a := range e.Args {
				if reads(a) {
					return true
				}
			}
		}
		return false
	}
	for _, o := range cols {
		if reads(o.Expr) {
			return true
		}
	}
	return false
}

// selection compiles the select of an ungrouped query into the function
// that computes a row's selected value; without a select the value is the
// row itself (one source) or the object {alias: row} (joins).
func selection(q *ir.Query, aliases []string) (func([]value.Value) value.Value, error) {
	if q.Select == nil {
		if aliases[0] == rowAlias {
			return rowSelection(aliases), nil
		}
		if len(aliases) == 1 {
			return func(vals []value.Value) value.Value { return vals[0] }, nil
		}
		var b value.ObjectBuilder
		return func(vals []value.Value) value.Value {
			for i, a := range aliases {
				b.Add(a, vals[i])
			}
			return b.Build()
		}, nil
	}
	return compileSelect(q.Select, &scope{clause: "select", aliases: aliases, sel: -1, declared: subqueryFields(q)})
}

// subqueryFields returns, for each alias of q's sources that is a
// subquery with a select, the fields that select declares (declaredFields),
// or nil when there is none.
func subqueryFields(q *ir.Query) map[string]declared {
	var m map[string]declared
	for _, s := range querySources(q) {
		if s.Query == nil || s.Query.Select == nil {
			continue
		}
		if d := declaredFields(s.Query.Select); len(d.fields) > 0 {
			if m == nil {
				m = map[string]declared{}
			}
			m[s.Alias] = d
		}
	}
	return m
}

// declared lists the fields a subquery's select sets on every row it
// builds: each entry but a spread. In TanStack DB such a field is an own
// property of the row even when its value is undefined (a missing field),
// which our rows, JSON objects, cannot hold. Spreading the row copies that
// property, so it replaces an earlier field of the same name with
// undefined; a spread of the row does the same here with this list.
type declared struct {
	fields []string
	// afterSpread: the select also spreads a row, so its own fields are
	// interleaved with that row's in the row's order (which the row's text
	// keeps); a declared field the row lacks is placed after them. Without
	// a spread the row's fields are the declared ones, in that order.
	afterSpread bool
}

// declaredFields returns what a select declares (see declared).
func declaredFields(entries []ir.SelectEntry) declared {
	var d declared
	for _, e := range entries {
		if e.Spread == nil {
			d.fields = append(d.fields, e.Field)
		} else {
			d.afterSpread = true
		}
	}
	return d
}

// selectPart is one compiled select entry: a field computed by ev, a field
// holding a nested select's object, or a spread of ev's object.
type selectPart struct {
	field  string
	ev     expr.Eval
	nested func([]value.Value) value.Value
	spread bool
	// declared, for a spread of a subquery's row, lists the fields its
	// select sets even when undefined (declaredFields).
	declared declared
}

// compileSelect compiles select entries into a function building the
// selected object.
func compileSelect(entries []ir.SelectEntry, r expr.Resolver) (func([]value.Value) value.Value, error) {
	parts := make([]selectPart, len(entries))
	for i, e := range entries {
		var err error
		if parts[i], err = compileSelectEntry(e, r); err != nil {
			return nil, err
		}
	}
	if sel := flatSelect(entries, parts, r); sel != nil {
		return sel, nil
	}
	return builtSelect(parts), nil
}

// builtSelect returns the select function that builds each object with an
// ObjectBuilder, which puts the fields in property order and lets a later
// field replace an earlier one of the same name.
func builtSelect(parts []selectPart) func([]value.Value) value.Value {
	var b value.ObjectBuilder
	return func(vals []value.Value) value.Value {
		// A nested select builds its own object first, so one builder per
		// level is enough.
		var nested []value.Value
		for _, p := range parts {
			if p.nested != nil {
				nested = append(nested, p.nested(vals))
			}
		}
		k := 0
		for _, p := range parts {
			switch {
			case p.spread:
				o := p.ev(vals)
				isObject := o.Kind() == value.KindObject
				if isObject && !p.declared.afterSpread {
					// The row's fields are declared ones, in that order.
					for _, k := range p.declared.fields {
						b.Add(k, value.Value{})
					}
				}
				o.Fields(func(key string, v value.Value) bool {
					b.Add(key, v)
					return true
				})
				if isObject && p.declared.afterSpread {
					for _, k := range p.declared.fields {
						if o.Get(k).IsUndefined() {
							b.Add(k, value.Value{})
						}
					}
				}
			case p.nested != nil:
				b.Add(p.field, nested[k])
				k++
			default:
				b.Add(p.field, p.ev(vals))
			}
		}
		return b.Build()
	}
}

func compileSelectEntry(e ir.SelectEntry, r expr.Resolver) (selectPart, error) {
	switch {
	case e.Spread != nil:
		ev, err := compileExpr("select", &ir.Expr{Kind: ir.Ref, Path: e.Spread}, r)
		part := selectPart{ev: ev, spread: true}
		if s, ok := r.(*scope); ok && len(e.Spread) == 1 {
			part.declared = s.declared[e.Spread[0]]
		}
		return part, err
	case e.Select != nil:
		n, err := compileSelect(e.Select, r)
		return selectPart{field: e.Field, nested: n}, err
	}
	ev, err := compileExpr("select", e.Expr, r)
	return selectPart{field: e.Field, ev: ev}, err
}

// selectHasAggregate reports whether a select computes an aggregate, which
// makes its query a grouped one (a single group without a groupBy).
func selectHasAggregate(entries []ir.SelectEntry) bool {
	for _, e := range entries {
		if e.Expr != nil && expr.HasAggregate(e.Expr) {
			return true
		}
		if e.Select != nil && selectHasAggregate(e.Select) {
			return true
		}
	}
	return false
}

// flatPart is one field of a flat select: its key as JSON text with the
// colon, and where its value comes from.
type flatPart struct {
	prefix string    // "field": (the JSON string of the name, then ':')
	slot   int       // the slot a ref reads, or -1
	whole  bool      // the ref reads the slot's value itself (no field)
	field  string    // otherwise, the field of that slot it reads (maybe "")
	ev     expr.Eval // the entry's value (every entry that is not such a ref, and the fallback)
}

// flatSelect returns the select function of the common select: fields
// with distinct names that are not array indexes, none a spread or a
// nested select. It writes the object's text directly: a field read from
// a source row (alias.field) is copied as the row's JSON text holds it,
// which is canonical, instead of being decoded and encoded again, and the
// text takes one allocation. It returns nil for any other select, which
// the ObjectBuilder builds (property order, duplicates, spreads).
func flatSelect(entries []ir.SelectEntry, parts []selectPart, r expr.Resolver) func([]value.Value) value.Value {
	fps := make([]flatPart, len(entries))
	for i, e := range entries {
		p := parts[i]
		if p.spread || p.nested != nil || value.IsArrayIndex(p.field) {
			return nil
		}
		for _, q := range parts[:i] {
			if q.field == p.field {
				return nil
			}
		}
		fp := flatPart{prefix: string(value.AppendJSON(nil, value.String(p.field))) + ":", slot: -1, ev: p.ev}
		if e.Expr != nil && e.Expr.Kind == ir.Ref {
			if slot, fields, err := r.Ref(e.Expr.Path); err == nil && len(fields) <= 1 {
				fp.slot = slot
				fp.whole = len(fields) == 0
				if len(fields) == 1 {
					fp.field = fields[0]
				}
			}
		}
		fps[i] = fp
	}
	raws := make([]string, len(fps))
	var scratch []byte
	return func(vals []value.Value) value.Value {
		// The value text of each field ("" when undefined: left out, as
		// JSON.stringify leaves it out), then the object's size.
		size := 1
		for i := range fps {
			raws[i] = flatValue(&fps[i], vals, &scratch)
			if raws[i] != "" {
				size += len(fps[i].prefix) + len(raws[i]) + 1
			}
		}
		buf := make([]byte, 0, max(size, 2))
		buf = append(buf, '{')
		for i, raw := range raws {
			if raw == "" {
				continue
			}
			if len(buf) > 1 {
				buf = append(buf, ',')
			}
			buf = append(buf, fps[i].prefix...)
			buf = append(buf, raw...)
			raws[i] = ""
		}
		buf = append(buf, '}')
		scratch = scratch[:0]
		// buf is never written again: the Object takes it over.
		return value.Canonical(unsafe.String(unsafe.SliceData(buf), len(buf)))
	}
}

// flatValue returns the JSON text of a flat select field's value for the
// slots vals, or "" when it is undefined. A field of an object slot is its
// text in the slot's; a computed value is written into *scratch, which the
// caller empties once the object is made.
func flatValue(fp *flatPart, vals []value.Value, scratch *[]byte) string {
	if fp.slot >= 0 && fp.slot < len(vals) {
		v := vals[fp.slot]
		switch {
		case fp.whole:
			if v.Kind() == value.KindObject || v.Kind() == value.KindArray {
				return v.JSON()
			}
		case v.Kind() == value.KindObject:
			raw, _ := v.RawField(fp.field)
			return raw
		case v.IsNullish():
			return ""
		}
	}
	v := fp.ev(vals)
	if v.IsUndefined() {
		return ""
	}
	start := len(*scratch)
	*scratch = value.AppendJSON(*scratch, v)
	return unsafe.String(unsafe.SliceData((*scratch)[start:]), len(*scratch)-start)
}
