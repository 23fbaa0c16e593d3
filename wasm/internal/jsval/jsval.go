//go:build js && wasm

// Package jsval wraps syscall/js so that what would panic returns an
// error instead: a JS exception thrown by a call, a property read on
// undefined, a value that has no JS form. syscall/js panics in all of
// these; one recover per call turns the panic into an error, with the
// text the panic carried (a JS exception reads "JavaScript error: <its
// message>", as js.Error says).
//
// Arguments (of Call, Invoke, New, Set, a Func's result) take what
// js.ValueOf takes, and also Value and Func, also inside a
// map[string]any or []any.
package jsval

import (
	"errors"
	"syscall/js"

	"github.com/streamdb/streamdb/internal/strfmt"
)

// Value is a JS value. The zero Value is undefined.
type Value struct{ v js.Value }

// Func is a Go function callable from JS (js.FuncOf).
type Func struct{ f js.Func }

// Type is a value's JS type, as js.Type.
type Type int

// The JS types.
const (
	TypeUndefined = Type(js.TypeUndefined)
	TypeNull      = Type(js.TypeNull)
	TypeBoolean   = Type(js.TypeBoolean)
	TypeNumber    = Type(js.TypeNumber)
	TypeString    = Type(js.TypeString)
	TypeSymbol    = Type(js.TypeSymbol)
	TypeObject    = Type(js.TypeObject)
	TypeFunction  = Type(js.TypeFunction)
)

// String returns the type's name as typeof spells it ("null" for null).
func (t Type) String() string {
	if t < TypeUndefined || t > TypeFunction {
		return "Type(" + strfmt.Sprintf("%d", int(t)) + ")"
	}
	return js.Type(t).String()
}

// Of returns v as a Value.
func Of(v js.Value) Value { return Value{v} }

// Unsafe returns the js.Value inside v.
func Unsafe(v Value) js.Value { return v.v }

// Global returns JS's globalThis.
func Global() Value { return Value{js.Global()} }

// Undefined returns JS's undefined.
func Undefined() Value { return Value{js.Undefined()} }

// Null returns JS's null.
func Null() Value { return Value{js.Null()} }

// ValueOf returns x as a JS value, as js.ValueOf does; an error when x
// has no JS form.
func ValueOf(x any) (v Value, err error) {
	defer catch(&err)
	return Value{js.ValueOf(toJS(x))}, nil
}

// FuncOf returns fn as a JS function, as js.FuncOf does. Release it when
// JS no longer calls it.
func FuncOf(fn func(this Value, args []Value) any) (f Func, err error) {
	defer catch(&err)
	return Func{js.FuncOf(func(this js.Value, args []js.Value) any {
		vs := make([]Value, len(args))
		for i, a := range args {
			vs[i] = Value{a}
		}
		return toJS(fn(Value{this}, vs))
	})}, nil
}

// Release frees the function; JS must not call it afterwards.
func (f Func) Release() { f.f.Release() }

// Value returns the function as a JS value.
func (f Func) Value() Value { return Value{f.f.Value} }

// CopyBytesToGo copies from the Uint8Array src into dst; an error when src
// is not a Uint8Array.
func CopyBytesToGo(dst []byte, src Value) (n int, err error) {
	defer catch(&err)
	return js.CopyBytesToGo(dst, src.v), nil
}

// CopyBytesToJS copies src into the Uint8Array dst; an error when dst is
// not a Uint8Array.
func CopyBytesToJS(dst Value, src []byte) (n int, err error) {
	defer catch(&err)
	return js.CopyBytesToJS(dst.v, src), nil
}

// Type returns v's JS type.
func (v Value) Type() Type { return Type(v.v.Type()) }

// Equal reports whether v === w.
func (v Value) Equal(w Value) bool { return v.v.Equal(w.v) }

// IsUndefined reports whether v is undefined.
func (v Value) IsUndefined() bool { return v.v.IsUndefined() }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.v.IsNull() }

// Get returns v[p].
func (v Value) Get(p string) (r Value, err error) {
	defer catch(&err)
	return Value{v.v.Get(p)}, nil
}

// Set does v[p] = x.
func (v Value) Set(p string, x any) (err error) {
	defer catch(&err)
	v.v.Set(p, toJS(x))
	return nil
}

// Delete does delete v[p].
func (v Value) Delete(p string) (err error) {
	defer catch(&err)
	v.v.Delete(p)
	return nil
}

// Index returns v[i].
func (v Value) Index(i int) (r Value, err error) {
	defer catch(&err)
	return Value{v.v.Index(i)}, nil
}

// SetIndex does v[i] = x.
func (v Value) SetIndex(i int, x any) (err error) {
	defer catch(&err)
	v.v.SetIndex(i, toJS(x))
	return nil
}

// Length returns v.length.
func (v Value) Length() (n int, err error) {
	defer catch(&err)
	return v.v.Length(), nil
}

// Call calls the method m of v: v[m](args...).
func (v Value) Call(m string, args ...any) (r Value, err error) {
	defer catch(&err)
	return Value{v.v.Call(m, toJSArgs(args)...)}, nil
}

// Invoke calls v as a function: v(args...).
func (v Value) Invoke(args ...any) (r Value, err error) {
	defer catch(&err)
	return Value{v.v.Invoke(toJSArgs(args)...)}, nil
}

// New calls v as a constructor: new v(args...).
func (v Value) New(args ...any) (r Value, err error) {
	defer catch(&err)
	return Value{v.v.New(toJSArgs(args)...)}, nil
}

// InstanceOf reports whether v instanceof t; an error when t is not a
// constructor (a function whose prototype is an object).
func (v Value) InstanceOf(t Value) (ok bool, err error) {
	if t.Type() != TypeFunction {
		return false, errors.New("invalid type for instanceof: " + t.Type().String())
	}
	proto, err := t.Get("prototype")
	if err != nil {
		return false, errors.New("invalid constructor type for instanceof: " + err.Error())
	}
	if proto.Type() != TypeObject {
		return false, errors.New("invalid constructor type for instanceof: " + proto.Type().String())
	}
	defer catch(&err)
	return v.v.InstanceOf(t.v), nil
}

// String returns v as a Go string when v is a JS string; for other types
// a description such as "<number: 1>", as js.Value.String.
func (v Value) String() (s string, err error) {
	defer catch(&err)
	return v.v.String(), nil
}

// Int returns the number v truncated to an int; an error when v is not a
// number.
func (v Value) Int() (n int, err error) {
	defer catch(&err)
	return v.v.Int(), nil
}

// Float returns the number v; an error when v is not a number.
func (v Value) Float() (f float64, err error) {
	defer catch(&err)
	return v.v.Float(), nil
}

// Bool returns the boolean v; an error when v is not a boolean.
func (v Value) Bool() (b bool, err error) {
	defer catch(&err)
	return v.v.Bool(), nil
}

// Truthy reports whether v is truthy in JS.
func (v Value) Truthy() (b bool, err error) {
	defer catch(&err)
	return v.v.Truthy(), nil
}

// catch turns a panic of the deferring function into *err.
func catch(err *error) {
	r := recover()
	if r == nil {
		return
	}
	switch r := r.(type) {
	case error: // js.Error (a JS exception), *js.ValueError
		*err = r
	case js.Value:
		*err = js.Error{Value: r}
	case string:
		*err = errors.New(r)
	default:
		*err = strfmt.Errorf("%v", r)
	}
}

// toJS turns Value and Func (also inside maps and slices) into their js
// forms, for js.ValueOf.
func toJS(x any) any {
	switch x := x.(type) {
	case Value:
		return x.v
	case Func:
		return x.f
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = toJS(e)
		}
		return m
	case []any:
		return toJSArgs(x)
	}
	return x
}

func toJSArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = toJS(a)
	}
	return out
}
