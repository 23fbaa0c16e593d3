//go:build js && wasm

package main

import (
	"context"
	"sync"
	"time"

	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/internal/strfmt"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// await calls the JS function fn and waits for the Promise (or value) it
// returns. A throw or a rejection comes back as a *jsError holding the JS
// value, so that it reaches JS unchanged. It must run in a goroutine, never
// in a js.FuncOf callback.
func (b *bridge) await(ctx context.Context, fn jsval.Value) error {
	_, err := b.awaitValue(ctx, fn)
	return err
}

// awaitValue is await that also returns what the Promise resolved to (or
// what fn returned, when that is not a Promise).
func (b *bridge) awaitValue(ctx context.Context, fn jsval.Value) (jsval.Value, error) {
	return b.awaitCall(ctx, func() (jsval.Value, error) { return invokeCatching(fn) })
}

// awaitMethod calls obj[name](args...) and waits for what it returns, as
// awaitValue does.
func (b *bridge) awaitMethod(ctx context.Context, obj jsval.Value, name string, args ...any) (jsval.Value, error) {
	return b.awaitCall(ctx, func() (jsval.Value, error) {
		res, err := obj.Call(name, args...)
		if err != nil {
			return jsval.Undefined(), &jsError{mustValue(err.Error())}
		}
		return res, nil
	})
}

// awaitCall makes a call into JS and waits for the Promise (or value) it
// returns.
func (b *bridge) awaitCall(ctx context.Context, call func() (jsval.Value, error)) (jsval.Value, error) {
	type outcome struct {
		v   jsval.Value
		err error
	}
	done := make(chan outcome, 1)
	var once sync.Once
	settle := func(o outcome) { once.Do(func() { done <- o }) }

	onOK, err := b.newFunc(func(_ jsval.Value, args []jsval.Value) any {
		settle(outcome{v: arg(args, 0)})
		return nil
	})
	if err != nil {
		return jsval.Undefined(), err
	}
	onErr, err := b.newFunc(func(_ jsval.Value, args []jsval.Value) any {
		settle(outcome{err: &jsError{arg(args, 0)}})
		return nil
	})
	if err != nil {
		b.release(onOK)
		return jsval.Undefined(), err
	}
	release := func() {
		b.release(onOK)
		b.release(onErr)
	}

	// A synchronous throw inside fn surfaces as an error from Invoke; jsval
	// gives us its value through the error.
	res, callErr := call()
	if callErr != nil {
		release()
		return jsval.Undefined(), callErr
	}
	if res.Type() == jsval.TypeObject {
		if then, _ := res.Get("then"); then.Type() == jsval.TypeFunction {
			if _, err := res.Call("then", onOK, onErr); err != nil {
				release()
				return jsval.Undefined(), strfmt.Errorf("streamdb: awaiting a Promise: %w", err)
			}
			select {
			case o := <-done:
				release()
				return o.v, o.err
			case <-ctx.Done():
				// The Promise still calls one of them when it settles:
				// they are released after that, never before.
				go func() {
					<-done
					release()
				}()
				return jsval.Undefined(), ctx.Err()
			}
		}
	}
	release()
	return res, nil
}

// invokeCatching calls fn; a JS exception becomes a *jsError.
func invokeCatching(fn jsval.Value) (res jsval.Value, err error) {
	// The shim passes functions that report failure by rejecting; a throw
	// still arrives here, with its message only.
	res, err = fn.Invoke()
	if err != nil {
		return jsval.Undefined(), &jsError{mustValue(err.Error())}
	}
	return res, nil
}

func mustValue(s string) jsval.Value {
	v, _ := jsval.ValueOf(s)
	return v
}

// newJSCompare is jswire.NewCompare over the page's Intl.Collator: through
// the loader's collation helper (js/collate.js), which ranks strings in
// bulk, when the page has it, else over Intl.Collator alone (one call per
// comparison).
func (b *bridge) newJSCompare(locale, options string) (jswire.PageCollation, error) {
	if b.helpers.Type() == jsval.TypeObject {
		if fn, err := b.helpers.Get("collation"); err == nil && fn.Type() == jsval.TypeFunction {
			return helperCollation(fn, locale, options)
		}
	}
	cmp, err := intlCompare(locale, options)
	return jswire.PageCollation{Compare: cmp}, err
}

// helperCollation makes a collation with js/collate.js's collation.
func helperCollation(fn jsval.Value, locale, options string) (jswire.PageCollation, error) {
	c, err := fn.Invoke(locale, options)
	if err != nil {
		return jswire.PageCollation{}, err
	}
	compare, err := c.Get("compare")
	if err != nil {
		return jswire.PageCollation{}, err
	}
	place, err := c.Get("place")
	if err != nil {
		return jswire.PageCollation{}, err
	}
	root, err := c.Get("rootASCII")
	if err != nil {
		return jswire.PageCollation{}, err
	}
	rootASCII, _ := root.Truthy()
	return jswire.PageCollation{
		Compare: jsCompare(compare),
		Place: func(text string) (string, error) {
			out, err := place.Invoke(text)
			if err != nil {
				return "", err
			}
			return out.String()
		},
		RootASCII: rootASCII,
	}, nil
}

// intlCompare is Intl.Collator(locale, options)'s compare.
func intlCompare(locale, options string) (jswire.Compare, error) {
	intl, err := jsval.Global().Get("Intl")
	if err != nil {
		return nil, err
	}
	ctor, err := intl.Get("Collator")
	if err != nil {
		return nil, err
	}
	var loc any = jsval.Undefined()
	if locale != "" {
		loc = locale
	}
	var opts any = jsval.Undefined()
	if options != "" {
		jsonObj, err := jsval.Global().Get("JSON")
		if err != nil {
			return nil, err
		}
		if opts, err = jsonObj.Call("parse", options); err != nil {
			return nil, err
		}
	}
	coll, err := ctor.New(loc, opts)
	if err != nil {
		return nil, err
	}
	compare, err := coll.Get("compare")
	if err != nil {
		return nil, err
	}
	return jsCompare(compare), nil
}

// jsCompare calls a collator's compare function.
func jsCompare(compare jsval.Value) jswire.Compare {
	return func(a, b string) (int, error) {
		r, err := compare.Invoke(a, b)
		if err != nil {
			return 0, err
		}
		return r.Int()
	}
}

// consoleError prints err with console.error, or to stderr when the page
// has no console.
func consoleError(err error) {
	if console, cerr := jsval.Global().Get("console"); cerr == nil {
		if _, cerr = console.Call("error", "StreamDB: "+err.Error()); cerr == nil {
			return
		}
	}
	println("StreamDB:", err.Error())
}

// yieldToPage returns after one turn of the page's event loop, so that the
// page paints, handles input and runs its callbacks meanwhile (db.Options'
// Yield: a long preload calls it between slices). It waits for a message
// posted to itself through a MessageChannel, which runs as soon as the
// event loop is free (setTimeout would be clamped to 4 ms). It must run in
// a goroutine, never in a js.FuncOf callback.
func (b *bridge) yieldToPage() {
	if err := b.postToSelf(); err != nil {
		// No MessageChannel (or it failed): a timer yields too.
		time.Sleep(time.Millisecond)
	}
}

func (b *bridge) postToSelf() error {
	ctor, err := jsval.Global().Get("MessageChannel")
	if err != nil || ctor.Type() != jsval.TypeFunction {
		return strfmt.Errorf("no MessageChannel")
	}
	mc, err := ctor.New()
	if err != nil {
		return err
	}
	port1, err := mc.Get("port1")
	if err != nil {
		return err
	}
	port2, err := mc.Get("port2")
	if err != nil {
		return err
	}
	defer func() { _, _ = port1.Call("close") }()
	err = b.waitCalled(func(onMessage jsval.Func) error {
		if err := port1.Set("onmessage", onMessage); err != nil {
			return err
		}
		_, err := port2.Call("postMessage", nil)
		return err
	})
	if err == b.ctx.Err() {
		return nil // shut down: nothing to wait for
	}
	return err
}

// waitCalled makes a callback, hands it to register, and returns once the
// callback has been called, or with the bridge's context error on
// shutdown; the callback is released then. It must run in a goroutine.
func (b *bridge) waitCalled(register func(cb jsval.Func) error) error {
	done := make(chan struct{}, 1)
	cb, err := b.newFunc(func(jsval.Value, []jsval.Value) any {
		select {
		case done <- struct{}{}:
		default:
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer b.release(cb)
	if err := register(cb); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-b.ctx.Done():
		return b.ctx.Err()
	}
}
