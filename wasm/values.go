//go:build js && wasm

package main

import (
	"errors"
	"math"
	"strconv"

	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/strfmt"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// This file converts values between Go and JS: argument decoding (which
// panics with *jswire.ArgError, recovered at the export boundary), result
// objects and errors.

// badArg panics with a *jswire.ArgError: the export boundary recovers it
// and rejects with a TypeError carrying its text.
func badArg(format string, a ...any) {
	panic(&jswire.ArgError{Msg: "streamdb: " + strfmt.Sprintf(format, a...)})
}

// abortError is the rejection of an operation whose AbortSignal fired.
type abortError struct {
	op     string
	reason jsval.Value // signal.reason
}

func (e *abortError) Error() string {
	msg := "streamdb: " + e.op + " aborted"
	if r := describe(e.reason); r != "" {
		msg += ": " + r
	}
	return msg
}

// describe returns the message of a JS Error, or "" for anything else.
func describe(v jsval.Value) string {
	if v.Type() != jsval.TypeObject {
		return ""
	}
	m, err := v.Get("message")
	if err != nil || m.Type() != jsval.TypeString {
		return ""
	}
	s, _ := m.String()
	return s
}

// errorValue returns the JS Error an error rejects with, made as
// jswire.Shape says; its message is the Go error text. A JS value thrown
// by JS code (a *jsError) passes through unchanged, and an abort gives an
// Error named "AbortError" whose cause is signal.reason.
func (b *bridge) errorValue(err error) jsval.Value {
	var je *jsError
	if errors.As(err, &je) {
		return je.v
	}
	shape := jswire.Shape(err)
	ctor := b.errorCtor
	if shape.TypeError {
		ctor = b.typeErrorCtor
	}
	e, jerr := ctor.New(err.Error())
	if jerr != nil {
		// Only a broken global Error gets here; a string still rejects.
		v, _ := jsval.ValueOf(err.Error())
		return v
	}
	var ab *abortError
	if errors.As(err, &ab) {
		shape = jswire.ErrorShape{Name: "AbortError", Props: []jswire.Prop{{Name: "cause", Value: ab.reason}}}
	}
	// Setting a property of a fresh Error cannot fail but on a broken
	// page; the error keeps its message then.
	if shape.Name != "" {
		_ = e.Set("name", shape.Name)
	}
	for _, p := range shape.Props {
		_ = e.Set(p.Name, p.Value)
	}
	return e
}

// obj is a JS object to build: field names to values that jsval.ValueOf
// takes, or jsval.Values.
type obj map[string]any

// jsValue converts a result for resolve: obj (shallow, jsval.Value fields
// allowed), jsval.Value, or anything js.ValueOf takes.
func jsValue(v any) any {
	switch v := v.(type) {
	case obj:
		m := make(map[string]any, len(v))
		for k, x := range v {
			if sv, ok := x.(jsval.Value); ok {
				x = jsval.Unsafe(sv)
			}
			m[k] = x
		}
		return m
	case nil:
		return jsval.Undefined()
	default:
		return v
	}
}

// newObject returns a new empty JS object.
func newObject() (jsval.Value, error) {
	ctor, err := jsval.Global().Get("Object")
	if err != nil {
		return jsval.Value{}, err
	}
	return ctor.New()
}

// bytesToJS returns a new Uint8Array holding a copy of p: one bulk copy.
func (b *bridge) bytesToJS(p []byte) (jsval.Value, error) {
	arr, err := b.uint8ArrayCtor.New(len(p))
	if err != nil {
		return jsval.Value{}, err
	}
	if len(p) > 0 {
		if _, err := jsval.CopyBytesToJS(arr, p); err != nil {
			return jsval.Value{}, err
		}
	}
	return arr, nil
}

// arg returns args[i], or undefined when it is missing.
func arg(args []jsval.Value, i int) jsval.Value {
	if i < len(args) {
		return args[i]
	}
	return jsval.Undefined()
}

// isNullish reports whether v is undefined or null.
func isNullish(v jsval.Value) bool { return v.IsUndefined() || v.IsNull() }

// argString decodes a required string argument.
func argString(v jsval.Value, name string) string {
	if v.Type() != jsval.TypeString {
		badArg("%s must be a string, got %v", name, v.Type())
	}
	s, err := v.String()
	if err != nil {
		badArg("%s: %v", name, err)
	}
	return s
}

// argStored decodes a string argument that must equal a stored string (an
// ID, a collection name, a txid): a JS string, or for one that is not
// well-formed UTF-16 a one-element array holding its JSON text, which
// keeps a lone surrogate that the JS string conversion would turn into
// U+FFFD (core/jswire's wire format).
func argStored(v jsval.Value, name string) string {
	if v.Type() != jsval.TypeObject {
		return argString(v, name)
	}
	text, err := v.Index(0)
	if err != nil {
		badArg("%s: %v", name, err)
	}
	s, err := jswire.ParseStoredString(name, argString(text, name+"[0]"))
	if err != nil {
		panic(err)
	}
	return s
}

// argOptions decodes an optional options object: undefined and null give
// undefined.
func argOptions(v jsval.Value, name string) jsval.Value {
	if isNullish(v) {
		return jsval.Undefined()
	}
	if v.Type() != jsval.TypeObject {
		badArg("%s must be an object, got %v", name, v.Type())
	}
	return v
}

// argFunc decodes an optional function argument: undefined and null give
// undefined.
func argFunc(v jsval.Value, name string) jsval.Value {
	if isNullish(v) {
		return jsval.Undefined()
	}
	if v.Type() != jsval.TypeFunction {
		badArg("%s must be a function, got %v", name, v.Type())
	}
	return v
}

// field returns o[key], undefined when o is undefined.
func field(o jsval.Value, key string) jsval.Value {
	if o.IsUndefined() {
		return o
	}
	v, err := o.Get(key)
	if err != nil {
		badArg("options.%s: %v", key, err)
	}
	return v
}

// optString decodes an optional string field; nullish gives "".
func optString(o jsval.Value, key string) string {
	v := field(o, key)
	if isNullish(v) {
		return ""
	}
	return argString(v, "options."+key)
}

// optBool decodes an optional boolean field; nullish gives false.
func optBool(o jsval.Value, key string) bool {
	v := field(o, key)
	if isNullish(v) {
		return false
	}
	if v.Type() != jsval.TypeBoolean {
		badArg("options.%s must be a boolean, got %v", key, v.Type())
	}
	x, _ := v.Bool()
	return x
}

// optUint decodes an optional non-negative integer field; nullish gives 0.
func optUint(o jsval.Value, key string) int {
	v := field(o, key)
	if isNullish(v) {
		return 0
	}
	if v.Type() != jsval.TypeNumber {
		badArg("options.%s must be a number, got %v", key, v.Type())
	}
	f, _ := v.Float()
	if f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		badArg("options.%s must be a non-negative integer, got %v", key, f)
	}
	return int(f)
}

// optHeaders decodes options.headers, a plain object of string values.
func optHeaders(o jsval.Value) stream.Header {
	v := field(o, "headers")
	if isNullish(v) {
		return nil
	}
	if v.Type() != jsval.TypeObject {
		badArg("options.headers must be an object, got %v", v.Type())
	}
	objectCtor, err := jsval.Global().Get("Object")
	if err != nil {
		badArg("options.headers: %v", err)
	}
	entries, err := objectCtor.Call("entries", v)
	if err != nil {
		badArg("options.headers: %v", err)
	}
	n, err := entries.Length()
	if err != nil {
		badArg("options.headers: %v", err)
	}
	h := make(stream.Header, n)
	for i := 0; i < n; i++ {
		pair, err := entries.Index(i)
		if err != nil {
			badArg("options.headers: %v", err)
		}
		k, _ := pair.Index(0)
		val, _ := pair.Index(1)
		name := argString(k, "header name")
		h.Set(name, argString(val, "options.headers."+name))
	}
	return h
}

// argBytes decodes data: a Uint8Array, copied into Go in one bulk copy, or
// a string, taken as UTF-8.
func (b *bridge) argBytes(v jsval.Value, name string) []byte {
	if v.Type() == jsval.TypeString {
		return []byte(argString(v, name))
	}
	if v.Type() == jsval.TypeObject {
		if ok, _ := v.InstanceOf(b.uint8ArrayCtor); ok {
			n, err := v.Length()
			if err != nil {
				badArg("%s: %v", name, err)
			}
			p := make([]byte, n)
			if _, err := jsval.CopyBytesToGo(p, v); err != nil {
				badArg("%s: %v", name, err)
			}
			return p
		}
	}
	badArg("%s must be a Uint8Array or a string, got %v", name, v.Type())
	return nil
}

// argBytesList decodes an Array of Uint8Arrays or strings (see argBytes).
func (b *bridge) argBytesList(v jsval.Value, name string) [][]byte {
	if ok, _ := v.InstanceOf(b.arrayCtor); !ok {
		badArg("%s must be an Array, got %v", name, v.Type())
	}
	n, err := v.Length()
	if err != nil {
		badArg("%s: %v", name, err)
	}
	out := make([][]byte, n)
	for i := range n {
		item, err := v.Index(i)
		if err != nil {
			badArg("%s[%d]: %v", name, i, err)
		}
		out[i] = b.argBytes(item, name+"["+strconv.Itoa(i)+"]")
	}
	return out
}
