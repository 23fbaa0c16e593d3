//go:build js && wasm

package fetch

import (
	"errors"

	"github.com/streamdb/streamdb/internal/strfmt"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// outcome is how a JS Promise settled: with a value, or rejected.
type outcome struct {
	value jsval.Value
	// rejected holds the rejection reason when the promise was rejected.
	rejected *JSError
	// err reports a Go-side failure inside the callback (a recovered panic).
	err error
}

// await attaches settle callbacks to the promise p and returns a channel
// that receives exactly one outcome once p settles.
//
// It never blocks: the caller (a goroutine, never a js.FuncOf callback)
// waits on the channel, which lets the JS event loop run meanwhile. The two
// callbacks release themselves when the promise settles, so a caller that
// stops waiting early (its context is done) leaks nothing as long as the
// promise settles eventually; every promise awaited here is settled by the
// request's AbortController or by reader.cancel().
func await(p jsval.Value) (<-chan outcome, error) {
	ch := make(chan outcome, 1) // buffered: a callback never blocks the event loop
	var onFulfilled, onRejected jsval.Func
	release := func() {
		onFulfilled.Release()
		onRejected.Release()
	}
	// send delivers o unless a callback already did (it cannot: a promise
	// settles once; the select only guards against misbehaving thenables).
	send := func(o outcome) {
		select {
		case ch <- o:
		default:
		}
	}
	callback := func(fulfilled bool) func(jsval.Value, []jsval.Value) any {
		return func(_ jsval.Value, args []jsval.Value) (ret any) {
			defer release()
			defer func() {
				// Recover at the JS boundary: a panic here would otherwise
				// crash the whole Go program from inside the event loop.
				if r := recover(); r != nil {
					send(outcome{err: strfmt.Errorf("fetch: panic in promise callback: %v", r)})
					ret = nil
				}
			}()
			arg := jsval.Undefined()
			if len(args) > 0 {
				arg = args[0]
			}
			if fulfilled {
				send(outcome{value: arg})
			} else {
				send(outcome{rejected: newJSError(arg)})
			}
			return nil
		}
	}

	var err error
	onFulfilled, err = jsval.FuncOf(callback(true))
	if err != nil {
		return nil, strfmt.Errorf("fetch: create promise callback: %w", err)
	}
	onRejected, err = jsval.FuncOf(callback(false))
	if err != nil {
		onFulfilled.Release()
		return nil, strfmt.Errorf("fetch: create promise callback: %w", err)
	}
	if _, err := p.Call("then", onFulfilled, onRejected); err != nil {
		release()
		return nil, strfmt.Errorf("fetch: attach promise callbacks: %w", err)
	}
	return ch, nil
}

// JSError is a JavaScript exception or promise rejection reason, for
// example a TypeError from a failed fetch or a DOMException named
// AbortError.
type JSError struct {
	// Name is the error's name property, such as "TypeError" or
	// "AbortError"; empty when the value was not an Error-like object.
	Name string
	// Message is the error's message, or String(value) for other values.
	Message string
}

// Error returns "Name: Message", or only the message when Name is empty.
func (e *JSError) Error() string {
	if e.Name == "" {
		return e.Message
	}
	return e.Name + ": " + e.Message
}

// newJSError describes the JS value v (usually an Error) as a JSError.
func newJSError(v jsval.Value) *JSError {
	if v.Type() == jsval.TypeObject {
		name := stringProp(v, "name")
		if msg := stringProp(v, "message"); name != "" || msg != "" {
			return &JSError{Name: name, Message: msg}
		}
	}
	return &JSError{Message: jsString(v)}
}

// stringProp returns v[name] when it is a string, else "".
func stringProp(v jsval.Value, name string) string {
	p, err := v.Get(name)
	if err != nil || p.Type() != jsval.TypeString {
		return ""
	}
	s, err := p.String()
	if err != nil {
		return ""
	}
	return s
}

// jsString returns String(v) as JS computes it.
func jsString(v jsval.Value) string {
	fn, err := jsval.Global().Get("String")
	if err == nil {
		if s, err := fn.Invoke(v); err == nil {
			if str, err := s.String(); err == nil {
				return str
			}
		}
	}
	return "<" + v.Type().String() + ">"
}

// errInvalid reports a JS value of an unexpected shape.
var errInvalid = errors.New("unexpected JavaScript value")
