//go:build js && wasm

package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/internal/strfmt"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// bridge is the JavaScript face of the module: an API object whose methods
// are Go functions. It only marshals arguments and results and schedules
// the work; the logic lives in core/.
//
// Every asynchronous export follows the same two-step shape (see async):
// a prepare step runs inside the js.FuncOf callback, reads and copies its
// arguments (so that JS may reuse them as soon as the call returns) and
// must never block; it returns a run step, which a goroutine executes while
// the JS event loop goes on. The export returns a Promise that settles with
// the run step's result.
type bridge struct {
	// ctx ends on shutdown; every operation's context derives from it.
	ctx    context.Context
	cancel context.CancelFunc

	// api is the object handed to JS.
	api jsval.Value
	// promiseCtor is globalThis.Promise.
	promiseCtor jsval.Value
	// errorCtor is globalThis.Error; typeErrorCtor is globalThis.TypeError.
	errorCtor, typeErrorCtor jsval.Value
	// uint8ArrayCtor is globalThis.Uint8Array; arrayCtor is globalThis.Array.
	uint8ArrayCtor, arrayCtor jsval.Value
	// helpers is what the loader's ready function returned (js/wasm.js),
	// or undefined.
	helpers jsval.Value
	// warmOnce runs warmUp once per module; warmErr is what stopped it.
	warmOnce sync.Once
	warmErr  error
	// gc schedules collections in the page's idle time (idlegc.go).
	gc idleGC

	mu      sync.Mutex
	exports []jsval.Func // released on shutdown
	closed  bool
	done    chan struct{}

	// funcs counts the js.Funcs this bridge created and has not released
	// (exports, promise executors, abort listeners). Tests use it to find
	// leaks.
	funcs atomic.Int64
	// inFn counts the query callbacks running (fn.go): the exports refuse
	// to run meanwhile.
	inFn atomic.Int64

	// streams is the state of the Durable Streams exports.
	streams *streamAPI
	// dbs is the state of the StreamDB exports.
	dbs *dbAPI
}

// newBridge builds the API object. Exports are added by the caller with
// export / async (see newStreamDB for the module's set).
func newBridge() (*bridge, error) {
	g := jsval.Global()
	b := &bridge{done: make(chan struct{}), helpers: jsval.Undefined()}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	for _, c := range []struct {
		name string
		dst  *jsval.Value
	}{
		{"Promise", &b.promiseCtor},
		{"Error", &b.errorCtor},
		{"TypeError", &b.typeErrorCtor},
		{"Uint8Array", &b.uint8ArrayCtor},
		{"Array", &b.arrayCtor},
	} {
		v, err := g.Get(c.name)
		if err != nil || v.Type() != jsval.TypeFunction {
			return nil, strfmt.Errorf("streamdb: globalThis.%s is missing", c.name)
		}
		*c.dst = v
	}
	obj, err := newObject()
	if err != nil {
		return nil, err
	}
	b.api = obj
	return b, nil
}

// API returns the object handed to JS.
func (b *bridge) API() jsval.Value { return b.api }

// Done is closed by shutdown.
func (b *bridge) Done() <-chan struct{} { return b.done }

// liveFuncs returns how many js.Funcs the bridge holds right now.
func (b *bridge) liveFuncs() int64 { return b.funcs.Load() }

// newFunc wraps fn in a js.Func and counts it; release it with release.
func (b *bridge) newFunc(fn func(this jsval.Value, args []jsval.Value) any) (jsval.Func, error) {
	f, err := jsval.FuncOf(fn)
	if err != nil {
		return jsval.Func{}, err
	}
	b.funcs.Add(1)
	return f, nil
}

// release releases a js.Func made by newFunc. Call it exactly once per Func.
func (b *bridge) release(f jsval.Func) {
	f.Release()
	b.funcs.Add(-1)
}

// export adds a synchronous method to the API object. syscall/js cannot
// throw from a Go function: an error, or a recovered panic, is returned to
// the caller as an Error object. Use it as is only for calls that cannot
// fail (version); everything else goes through async.
func (b *bridge) export(name string, fn func(args []jsval.Value) (any, error)) error {
	f, err := b.newFunc(func(_ jsval.Value, args []jsval.Value) (ret any) {
		defer func() {
			if r := recover(); r != nil {
				ret = b.errorValue(panicError(name, r))
			}
		}()
		if b.inFn.Load() > 0 {
			return b.errorValue(errInCallback)
		}
		v, err := fn(args)
		if err != nil {
			return b.errorValue(err)
		}
		return v
	})
	if err != nil {
		return strfmt.Errorf("streamdb: export %s: %w", name, err)
	}
	b.mu.Lock()
	b.exports = append(b.exports, f)
	b.mu.Unlock()
	if err := b.api.Set(name, f); err != nil {
		return strfmt.Errorf("streamdb: export %s: %w", name, err)
	}
	return nil
}

// runFunc is the asynchronous half of an export: it runs in a goroutine,
// may block, and returns the value the Promise resolves to (see jsValue).
type runFunc func() (any, error)

// prepareFunc is the synchronous half of an export: it runs inside the
// js.FuncOf callback, decodes and copies the arguments, and must not block.
// ctx ends on shutdown; the run step it returns uses it or a context
// derived from it. cleanup, when not nil, runs once the run step has ended
// (or at once when prepare fails).
type prepareFunc func(ctx context.Context, args []jsval.Value) (run runFunc, cleanup func(), err error)

// async adds a method that returns a Promise to the API object.
//
// The prepare step runs in the callback; the run step in a goroutine. Any
// error rejects the Promise (see errorValue); a panic in either step is
// recovered and rejects it too, so a bad argument or a bug never takes the
// module down.
//
// It is not inlined: inlined, its closures would be compiled into the
// wasm once per caller.
//
//go:noinline
func (b *bridge) async(name string, prepare prepareFunc) error {
	return b.export(name, func(args []jsval.Value) (any, error) {
		p, err := b.newPromise()
		if err != nil {
			return nil, err
		}
		var (
			run     runFunc
			cleanup func()
		)
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = panicError(name, r)
				}
			}()
			run, cleanup, err = prepare(b.ctx, args)
		}()
		if err != nil {
			if cleanup != nil {
				cleanup()
			}
			p.settle(b, nil, err)
			return p.promise, nil
		}
		go func() {
			var (
				v   any
				err error
			)
			func() {
				defer func() {
					if r := recover(); r != nil {
						err = panicError(name, r)
					}
				}()
				v, err = run()
			}()
			if cleanup != nil {
				cleanup()
			}
			p.settle(b, v, err)
		}()
		return p.promise, nil
	})
}

// promise is a JS Promise with its resolving functions.
type promise struct {
	promise, resolve, reject jsval.Value
}

// newPromise creates a pending Promise. The executor is a js.Func that
// runs synchronously inside the Promise constructor and is released at
// once.
func (b *bridge) newPromise() (*promise, error) {
	p := &promise{}
	exec, err := b.newFunc(func(_ jsval.Value, args []jsval.Value) any {
		if len(args) >= 2 {
			p.resolve, p.reject = args[0], args[1]
		}
		return nil
	})
	if err != nil {
		return nil, strfmt.Errorf("streamdb: new Promise: %w", err)
	}
	defer b.release(exec)
	p.promise, err = b.promiseCtor.New(exec)
	if err != nil {
		return nil, strfmt.Errorf("streamdb: new Promise: %w", err)
	}
	if p.resolve.Type() != jsval.TypeFunction || p.reject.Type() != jsval.TypeFunction {
		return nil, errors.New("streamdb: new Promise: the executor did not run")
	}
	return p, nil
}

// settle resolves the promise with v, or rejects it when err is not nil. A
// value that cannot be converted rejects it.
func (p *promise) settle(b *bridge, v any, err error) {
	if err == nil {
		if _, cerr := p.resolve.Invoke(jsValue(v)); cerr == nil {
			return
		} else {
			err = strfmt.Errorf("streamdb: resolve: %w", cerr)
		}
	}
	_, _ = p.reject.Invoke(b.errorValue(err))
}

// shutdown cancels every operation in flight, releases every export and
// closes Done, which lets main return. It is safe to call more than once.
func (b *bridge) shutdown() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	exports := b.exports
	b.exports = nil
	b.mu.Unlock()
	b.cancel()
	for _, f := range exports {
		b.release(f)
	}
	close(b.done)
}

// publish hands the API object to JS following the loading contract (see
// main.go): with a key (os.Args[1]), it calls globalThis[key](api);
// without one, it sets globalThis.streamdb = api.
func (b *bridge) publish(args []string) error {
	g := jsval.Global()
	if len(args) == 0 || args[0] == "" {
		return g.Set("streamdb", b.api)
	}
	key := args[0]
	ready, err := g.Get(key)
	if err != nil {
		return strfmt.Errorf("streamdb: read globalThis[%q]: %w", key, err)
	}
	if ready.Type() != jsval.TypeFunction {
		return strfmt.Errorf("streamdb: globalThis[%q] is %v, not the ready function", key, ready.Type())
	}
	helpers, err := ready.Invoke(b.api)
	if err != nil {
		return strfmt.Errorf("streamdb: call globalThis[%q]: %w", key, err)
	}
	b.helpers = helpers
	return nil
}

// panicError turns a recovered panic value into an error. A
// *jswire.ArgError (a bad argument found while decoding) is returned as is.
func panicError(name string, r any) error {
	switch e := r.(type) {
	case *jswire.ArgError:
		return e
	case error:
		return strfmt.Errorf("streamdb: %s: panic: %w", name, e)
	default:
		return strfmt.Errorf("streamdb: %s: panic: %v", name, r)
	}
}
