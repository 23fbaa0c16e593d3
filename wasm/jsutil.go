//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/hack-pad/safejs"

	"github.com/streamdb/streamdb/core/query"
	"github.com/streamdb/streamdb/core/value"
)

// await calls the JS function fn and waits for the Promise (or value) it
// returns. A throw or a rejection comes back as a *jsError holding the JS
// value, so that it reaches JS unchanged. It must run in a goroutine, never
// in a js.FuncOf callback.
func (b *bridge) await(ctx context.Context, fn safejs.Value) (err error) {
	type outcome struct{ err error }
	done := make(chan outcome, 1)
	var once sync.Once
	settle := func(o outcome) { once.Do(func() { done <- o }) }

	onOK, err := b.newFunc(func(_ safejs.Value, _ []safejs.Value) any {
		settle(outcome{})
		return nil
	})
	if err != nil {
		return err
	}
	defer b.release(onOK)
	onErr, err := b.newFunc(func(_ safejs.Value, args []safejs.Value) any {
		settle(outcome{&jsError{arg(args, 0)}})
		return nil
	})
	if err != nil {
		return err
	}
	defer b.release(onErr)

	// A synchronous throw inside fn surfaces as an error from Invoke; safejs
	// gives us its value through the error.
	res, callErr := invokeCatching(fn)
	if callErr != nil {
		return callErr
	}
	if res.Type() == safejs.TypeObject {
		if then, _ := res.Get("then"); then.Type() == safejs.TypeFunction {
			if _, err := res.Call("then", onOK, onErr); err != nil {
				return fmt.Errorf("streamdb: awaiting a Promise: %w", err)
			}
			select {
			case o := <-done:
				return o.err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// invokeCatching calls fn; a JS exception becomes a *jsError.
func invokeCatching(fn safejs.Value) (res safejs.Value, err error) {
	// The shim passes functions that report failure by rejecting; a throw
	// still arrives here, with its message only.
	res, err = fn.Invoke()
	if err != nil {
		return safejs.Undefined(), &jsError{mustValue(err.Error())}
	}
	return res, nil
}

func mustValue(s string) safejs.Value {
	v, _ := safejs.ValueOf(s)
	return v
}

// jsCollator orders strings with the page's Intl.Collator, as TanStack
// DB's default stringSort 'locale' (localeCompare) does. Collators are
// cached by locale and options.
func jsCollator() query.Collator {
	var mu sync.Mutex
	cache := map[string]value.Collation{}
	return func(locale string, options value.Value) (value.Collation, error) {
		id := locale + "\x00" + options.JSON()
		mu.Lock()
		defer mu.Unlock()
		if c, ok := cache[id]; ok {
			return c, nil
		}
		intl, err := safejs.Global().Get("Intl")
		if err != nil {
			return nil, err
		}
		ctor, err := intl.Get("Collator")
		if err != nil {
			return nil, err
		}
		var loc any = safejs.Undefined()
		if locale != "" {
			loc = locale
		}
		var opts any = safejs.Undefined()
		if options.Kind() == value.KindObject {
			jsonObj, _ := safejs.Global().Get("JSON")
			o, err := jsonObj.Call("parse", options.JSON())
			if err != nil {
				return nil, err
			}
			opts = o
		}
		coll, err := ctor.New(loc, opts)
		if err != nil {
			return nil, fmt.Errorf("Intl.Collator(%q): %w", locale, err)
		}
		compare, err := coll.Get("compare")
		if err != nil {
			return nil, err
		}
		c := func(a, b string) int {
			if a == b {
				return 0
			}
			r, err := compare.Invoke(a, b)
			if err != nil {
				return value.Lexical(a, b)
			}
			n, _ := r.Int()
			return n
		}
		cache[id] = c
		return c, nil
	}
}
