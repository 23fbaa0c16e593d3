//go:build js && wasm

package main

import (
	"errors"
	"github.com/streamdb/streamdb/internal/strfmt"

	"github.com/streamdb/streamdb/wasm/internal/jsval"

	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/core/query"
	"github.com/streamdb/streamdb/core/value"
)

// jsFuncs runs a query's callbacks (fn.where, fn.select, fn.having): runner
// is the JS function the shim made for the query (js/fn.js), called as
// runner(op, fn, rows) with the JSON text of a batch's rows. It calls the
// callback once per row, in order, and returns a Uint8Array of 0/1 (op
// opExact or opTruthy), the JSON text of the results (opMap), or false when
// a callback threw; the error it made for the user is then runner.failure.
//
// The call is synchronous, on the engine's goroutine, with the database
// locked: while it runs, the bridge refuses every call from JS (a callback
// calling the database would wait for that lock forever, inside a
// js.FuncOf callback).
type jsFuncs struct {
	b      *bridge
	runner jsval.Value
	n      int
	buf    []byte
	keep   []byte
}

// The runner's operations.
const (
	opExact  = 0 // keep the rows whose callback returned true
	opTruthy = 1 // keep the rows whose callback returned a truthy value
	opMap    = 2 // the callback's results
)

func (f *jsFuncs) Len() int { return f.n }

// call runs op of callback fn over rows and returns the runner's answer.
func (f *jsFuncs) call(op, fn int, rows *query.FnRows) (jsval.Value, error) {
	f.buf = rows.AppendJSON(f.buf[:0])
	f.b.inFn.Add(1)
	r, err := f.runner.Invoke(op, fn, handOver(f.buf))
	f.b.inFn.Add(-1)
	if len(f.buf) > 1<<20 {
		f.buf = nil // a first result's batch: not kept for the small ones after
	}
	if err != nil {
		return jsval.Value{}, strfmt.Errorf("streamdb: the callback runner threw: %w", err)
	}
	if r.Type() == jsval.TypeBoolean {
		failure, err := f.runner.Get("failure")
		if err != nil || failure.Type() == jsval.TypeUndefined {
			return jsval.Value{}, errors.New("streamdb: a query callback failed")
		}
		return jsval.Value{}, &jsError{v: failure}
	}
	return r, nil
}

// Test implements query.Funcs.
func (f *jsFuncs) Test(fn int, rows *query.FnRows, exact bool, keep []bool) error {
	op := opTruthy
	if exact {
		op = opExact
	}
	r, err := f.call(op, fn, rows)
	if err != nil {
		return err
	}
	if cap(f.keep) < len(keep) {
		f.keep = make([]byte, len(keep))
	}
	k := f.keep[:len(keep)]
	n, err := jsval.CopyBytesToGo(k, r)
	if err != nil || n != len(keep) {
		return strfmt.Errorf("streamdb: the callback runner answered %d of %d rows (%v)", n, len(keep), err)
	}
	for i, b := range k {
		keep[i] = b == 1
	}
	return nil
}

// Map implements query.Funcs: the results cross as JSON (what
// JSON.stringify makes of them).
func (f *jsFuncs) Map(fn int, rows *query.FnRows, out []value.Value) error {
	r, err := f.call(opMap, fn, rows)
	if err != nil {
		return err
	}
	text, err := r.String()
	if err != nil {
		return strfmt.Errorf("streamdb: fn.select's results: %w", err)
	}
	arr, err := value.ParseString(text)
	if err != nil || arr.Kind() != value.KindArray || arr.Len() != len(out) {
		return strfmt.Errorf("streamdb: fn.select's results are not an array of %d values (%v)", len(out), err)
	}
	arr.Elems(func(i int, v value.Value) bool {
		out[i] = v
		return true
	})
	return nil
}

// errInCallback is the answer to a call from JS while a query callback
// runs.
var errInCallback = &jswire.UsageError{Msg: "a query callback (fn.where, fn.select, fn.having) cannot call the StreamDB: it runs while the engine updates the query; read what it needs from its row argument"}
