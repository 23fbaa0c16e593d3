package ivm

import (
	"github.com/streamdb/streamdb/core/value"
)

// Union concatenates the rows of several inputs (SQL's UNION ALL), as
// TanStack DB's unionAll does: the rows of input i come out under the key
// Tag + UnionKey(key), which keeps rows of different inputs apart even when
// their keys are equal, with the input's value in one slot of Vals (the
// other slots Undefined). It is stateless: a removal becomes the removal of
// the same image.
type Union struct {
	width  int
	inputs []UnionInput
}

// UnionInput says how the rows of one input enter a Union.
type UnionInput struct {
	// Tag starts the keys of the input's rows: TanStack DB's "alias:" for
	// unionAll({alias: source, ...}), "index:" for unionAll(query, ...).
	Tag string
	// Slot is the index in Vals where the input's value goes.
	Slot int
	// Sel takes the row's Sel as its value (a query's result row), instead
	// of Vals[0] (a source row).
	Sel bool
}

// NewUnion returns a Union of the inputs, whose output rows have width
// Vals.
func NewUnion(width int, inputs []UnionInput) *Union {
	return &Union{width: width, inputs: inputs}
}

// Push returns the images of a batch of input i's deltas, in order.
func (u *Union) Push(i int, in Batch) Batch {
	if len(in) == 0 {
		return nil
	}
	spec := u.inputs[i]
	out := make(Batch, 0, len(in))
	var rows Rows
	for _, d := range in {
		if d.Row == nil {
			continue
		}
		r := rows.New(value.String(spec.Tag+UnionKey(d.Row.Key)), u.width)
		if spec.Sel {
			r.Vals[spec.Slot] = d.Row.Sel
		} else {
			r.Vals[spec.Slot] = d.Row.Vals[0]
		}
		out = append(out, Delta{Row: r, Mult: d.Mult})
	}
	return out
}

// UnionKey is how a key of a union's input appears in the union's key,
// after its tag: TanStack DB's "string:" + the string, "number:" + the
// number as JavaScript writes it, and for other keys typeof, ":" and the
// JSON text ("boolean:true", "object:null", "object:[1,2]",
// "undefined:undefined").
func UnionKey(k value.Value) string {
	switch k.Kind() {
	case value.KindString:
		s, _ := k.Str()
		return "string:" + s
	case value.KindNumber:
		f, _ := k.Num()
		return "number:" + value.NumberToString(f)
	case value.KindBool:
		return "boolean:" + k.JSON()
	case value.KindUndefined:
		return "undefined:undefined"
	}
	return "object:" + k.JSON()
}
