//go:build js && wasm

package main

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/core/query"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/strfmt"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// dbAPI holds the open databases of the StreamDB exports. Handles are small
// integers the JS shim keeps.
//
// Reads and transaction writes are synchronous calls (they never wait: the
// database's lock is never held across I/O). Everything a step changed
// reaches JS in one call of the db's onStep callback, as one JSON text.
// The texts that cross, both ways, are core/jswire's wire format.
type dbAPI struct {
	b    *bridge
	mu   sync.Mutex
	next int
	dbs  map[int]*dbHandle
}

type dbHandle struct {
	b         *bridge
	d         *db.DB
	url       string
	onStep    jsval.Value
	onError   jsval.Value
	setFollow func([]string)
	unwatch   func()
	collected sync.Once // the garbage collection after the first preload

	mu      sync.Mutex
	lives   map[int]*db.Live
	liveIDs map[*db.Live]int
	txs     map[int]*db.Tx
	nextID  int
	mirrors []func() // ends the mirrors of local collections (dbMirror)

	// virtual: the rows sent carry TanStack DB's virtual fields (the
	// virtualProps option); liveNames holds the live queries' ids then.
	virtual   bool
	liveNames map[*db.Live]string
}

func (a *dbAPI) register() error {
	for _, e := range []struct {
		name string
		fn   func([]jsval.Value) (any, error)
	}{
		{"dbOpen", a.open},
		{"dbClose", a.close},
		{"dbRelease", a.release},
		{"dbOffset", a.offset},
		{"dbFollow", a.follow},
		{"collGet", a.collGet},
		{"collHas", a.collHas},
		{"collSize", a.collSize},
		{"collRows", a.collRows},
		{"queryOpen", a.queryOpen},
		{"queryClose", a.queryClose},
		{"queryKeys", a.queryKeys},
		{"txBegin", a.txBegin},
		{"txMutate", a.txMutate},
		{"txRollback", a.txRollback},
		{"txInfo", a.txInfo},
	} {
		if err := a.b.export(e.name, e.fn); err != nil {
			return err
		}
	}
	for _, e := range []struct {
		name string
		fn   prepareFunc
	}{
		{"dbPreload", a.preload},
		{"txCommit", a.txCommit},
		{"awaitTxId", a.awaitTxID},
		{"dbSave", a.save},
	} {
		if err := a.b.async(e.name, e.fn); err != nil {
			return err
		}
	}
	return a.registerLocal()
}

// handle returns the open database of a handle argument.
func (a *dbAPI) handle(v jsval.Value) *dbHandle {
	n, err := v.Int()
	if err != nil {
		badArg("db handle: want a number")
	}
	a.mu.Lock()
	h := a.dbs[n]
	a.mu.Unlock()
	if h == nil {
		panic(&jswire.UsageError{Msg: "the StreamDB is closed"})
	}
	return h
}

// jsError carries a JS value thrown or rejected by JS code (a mutationFn's
// error), so that it reaches JS again unchanged.
type jsError struct{ v jsval.Value }

func (e *jsError) Error() string {
	if m := describe(e.v); m != "" {
		return m
	}
	return "mutationFn failed"
}

// open: dbOpen(config, onStep, onError, onProgress, onBatch,
// onConnection, refresh, store) → handle. onBatch, when given, gets every batch read (the
// shim's onEvent and onBatch); onConnection gets each change of the
// connection's state as (text, error or undefined); refresh, when given,
// is awaited before every read request for its header fields and params;
// store, when given, is the snapshot store of a persisted db (jsStore).
func (a *dbAPI) open(args []jsval.Value) (any, error) {
	c, err := jswire.ParseOpenConfig(argString(arg(args, 0), "config"))
	if err != nil {
		return nil, err
	}
	onStep := argFunc(arg(args, 1), "onStep")
	onError := argFunc(arg(args, 2), "onError")
	onProgress := argFunc(arg(args, 3), "onProgress")
	onBatch := argFunc(arg(args, 4), "onBatch")
	onConnection := argFunc(arg(args, 5), "onConnection")
	refresh := argFunc(arg(args, 6), "refresh")
	store := arg(args, 7)
	s := a.b.streams.client.Stream(c.URL)
	s.SetContentType("application/json")
	h := a.newHandle(onStep, onError)
	h.url = c.URL
	h.virtual = c.Options.VirtualProps
	opts := c.Options
	opts.Collator = jswire.Collator(a.b.newJSCompare)
	opts.Yield = a.b.yieldToPage
	opts.OnError = h.report
	if onProgress.Type() == jsval.TypeFunction {
		opts.OnProgress = func(p db.Progress) {
			h.notify(onProgress, "onProgress", handOver(jswire.Progress(p)))
		}
	}
	if onBatch.Type() == jsval.TypeFunction {
		opts.OnBatch = func(b *stream.Batch) {
			h.notify(onBatch, "onBatch", handOver(jswire.Batch(b)))
		}
	}
	if refresh.Type() == jsval.TypeFunction {
		opts.ReadRefresh = func(ctx context.Context) (stream.Header, map[string]string, error) {
			v, err := a.b.awaitValue(ctx, refresh)
			if err != nil {
				return nil, nil, strfmt.Errorf("streamOptions' header or params function failed: %w", err)
			}
			text, err := v.String()
			if err != nil {
				return nil, nil, strfmt.Errorf("refresh: %w", err)
			}
			return jswire.ParseRefresh(text)
		}
	}
	if onConnection.Type() == jsval.TypeFunction {
		opts.OnConnection = func(c db.Connection) {
			cause := jsval.Undefined()
			if c.Err != nil {
				cause = a.b.errorValue(c.Err)
			}
			h.notify(onConnection, "onConnection", handOver(jswire.Connection(c)), cause)
		}
	}
	if store.Type() == jsval.TypeObject {
		opts.Persist = &jsStore{b: a.b, v: store}
	}
	if c.Gateway != "" {
		if gatewaySource == nil {
			return nil, errNoGateway
		}
		src, err := gatewaySource(c.Gateway, c.URL)
		if err != nil {
			return nil, err
		}
		opts.Source = src
	}
	d, err := db.Open(s, opts)
	if err != nil {
		return nil, err
	}
	h.d = d
	h.setFollow, h.unwatch = d.Watch(nil, h.deliver)
	return a.add(h), nil
}

// deliver hands one step to JS as one JSON text.
func (h *dbHandle) deliver(st *db.Step) {
	if h.onStep.Type() != jsval.TypeFunction {
		return
	}
	h.mu.Lock()
	queryID := func(l *db.Live) (int, bool) {
		id, ok := h.liveIDs[l]
		return id, ok
	}
	var text []byte
	if h.virtual {
		text = jswire.StepVirtual(st, queryID, &jswire.Virtual{
			Collection: func(name string) string {
				if c := h.d.Collection(name); c != nil {
					return c.ID()
				}
				return name
			},
			Query: func(l *db.Live) string { return h.liveNames[l] },
		})
	} else {
		text = jswire.Step(st, queryID)
	}
	h.mu.Unlock()
	h.notify(h.onStep, "onStep", handOver(text))
}

// notify calls one of the db's JS callbacks with args. The shim's
// callbacks shield it from what user code throws; an exception that still
// escapes is reported through onError.
func (h *dbHandle) notify(fn jsval.Value, name string, args ...any) {
	if _, err := fn.Invoke(args...); err != nil {
		h.report(strfmt.Errorf("streamdb: %s threw: %w", name, err))
	}
}

// report hands an error to the db's onError; without one, or when onError
// throws, it goes to the console.
func (h *dbHandle) report(err error) {
	if h.onError.Type() == jsval.TypeFunction {
		_, jerr := h.onError.Invoke(h.b.errorValue(err))
		if jerr == nil {
			return
		}
		err = strfmt.Errorf("%w (and onError threw: %v)", err, jerr)
	}
	consoleError(err)
}

// close: dbClose(h) stops the database: no more reading, no more steps,
// waiters rejected. Its collections stay readable until dbRelease. Closing
// twice does nothing.
func (a *dbAPI) close(args []jsval.Value) (any, error) {
	n, err := arg(args, 0).Int()
	if err != nil {
		badArg("db handle: want a number")
	}
	a.mu.Lock()
	h := a.dbs[n]
	a.mu.Unlock()
	if h != nil {
		h.unwatch()
		h.d.Close()
		h.mu.Lock()
		for id, l := range h.lives {
			l.Close()
			delete(h.lives, id)
			delete(h.liveIDs, l)
		}
		h.txs = map[int]*db.Tx{}
		mirrors := h.mirrors
		h.mirrors = nil
		h.mu.Unlock()
		for _, stop := range mirrors {
			stop()
		}
		a.b.collectSoon()
	}
	return nil, nil
}

// release: dbRelease(h) closes the database if needed and forgets it, with
// its rows (the shim calls it once the StreamDB object is unreachable).
func (a *dbAPI) release(args []jsval.Value) (any, error) {
	if _, err := a.close(args); err != nil {
		return nil, err
	}
	n, _ := arg(args, 0).Int()
	a.mu.Lock()
	delete(a.dbs, n)
	a.mu.Unlock()
	return nil, nil
}

func (a *dbAPI) offset(args []jsval.Value) (any, error) {
	return a.handle(arg(args, 0)).d.Offset(), nil
}

// follow: dbFollow(h, [names]) sets the collections whose changes steps
// carry (those with JS subscribers).
func (a *dbAPI) follow(args []jsval.Value) (any, error) {
	h := a.handle(arg(args, 0))
	names, err := jswire.ParseNames(argString(arg(args, 1), "names"))
	if err != nil {
		return nil, err
	}
	h.setFollow(names)
	return nil, nil
}

// coll returns the named collection of a handle's database.
func (a *dbAPI) coll(args []jsval.Value) *db.Collection {
	h := a.handle(arg(args, 0))
	name := argStored(arg(args, 1), "collection")
	c := h.d.Collection(name)
	if c == nil {
		panic(&jswire.UsageError{Msg: strfmt.Sprintf("unknown collection %q", name)})
	}
	return c
}

func (a *dbAPI) collGet(args []jsval.Value) (any, error) {
	c := a.coll(args)
	key := argStored(arg(args, 2), "key")
	if a.handle(arg(args, 0)).virtual {
		v, m, ok := c.GetMeta(key)
		if !ok {
			return nil, nil
		}
		return handOver(jswire.CollectionRow(v, m, key, c.ID())), nil
	}
	v, ok := c.Get(key)
	if !ok {
		return nil, nil
	}
	return v.JSON(), nil
}

func (a *dbAPI) collHas(args []jsval.Value) (any, error) {
	return a.coll(args).Has(argStored(arg(args, 2), "key")), nil
}

func (a *dbAPI) collSize(args []jsval.Value) (any, error) {
	return a.coll(args).Size(), nil
}

// collRows: collRows(h, name) → the collection's rows, in key order.
func (a *dbAPI) collRows(args []jsval.Value) (any, error) {
	if a.handle(arg(args, 0)).virtual {
		c := a.coll(args)
		return handOver(jswire.CollectionRowsVirtual(c.RangeMeta, c.ID())), nil
	}
	return handOver(jswire.CollectionRows(a.coll(args).Range)), nil
}

// queryOpen: queryOpen(h, ir, runner, n, id, keys) → the query's id and
// first result, with its keys when keys is true (otherwise queryKeys gives
// them). runner, when given, runs the query's n callbacks (jsFuncs).
func (a *dbAPI) queryOpen(args []jsval.Value) (any, error) {
	h := a.handle(arg(args, 0))
	q, err := jswire.ParseQuery(argString(arg(args, 1), "query"))
	if err != nil {
		return nil, err
	}
	var fns query.Funcs
	if runner := arg(args, 2); runner.Type() == jsval.TypeFunction {
		n, err := arg(args, 3).Int()
		if err != nil {
			badArg("queryOpen: the number of callbacks: want a number")
		}
		fns = &jsFuncs{b: a.b, runner: runner, n: n}
	}
	// A first result's garbage is collected in the next idle period
	// (collectWhenIdle): a collection during it would mostly find rows
	// still in use, and slow it through write barriers and marking.
	a.b.gc.raise()
	defer a.b.collectWhenIdle() // which puts it back
	l, err := h.d.QueryFuncs(q, fns)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.nextID++
	id := h.nextID
	h.lives[id] = l
	h.liveIDs[l] = id
	var name string
	if h.virtual {
		// The live query's id, its rows' $collectionId.
		name = argString(arg(args, 4), "query id")
		if h.liveNames == nil {
			h.liveNames = map[*db.Live]string{}
		}
		h.liveNames[l] = name
	}
	h.mu.Unlock()
	// Without the argument, the keys come along.
	keys := true
	if b, err := arg(args, 5).Bool(); err == nil {
		keys = b
	}
	if h.virtual {
		return answerInPieces(func(p *jswire.Pieces) {
			jswire.QueryOpenedVirtual(id, l.SingleResult(), l.Ordered(), keys, l.Range, p, name)
		})
	}
	return answerInPieces(func(p *jswire.Pieces) { jswire.QueryOpened(id, l.SingleResult(), l.Ordered(), keys, l.Range, p) })
}

// queryKeys: queryKeys(h, query) → the keys of the query's result as it
// is, in result order (see the wire format).
func (a *dbAPI) queryKeys(args []jsval.Value) (any, error) {
	_, id, l := a.live(args)
	if l == nil {
		badArg("queryKeys: live query %d is not open", id)
	}
	return answerInPieces(func(p *jswire.Pieces) { jswire.QueryKeys(l.Range, p) })
}

// answerPiece is the size of the pieces a large answer crosses in.
const answerPiece = 1 << 20

// answerInPieces returns the text write makes: one string, or for a text
// longer than answerPiece an array of the strings of its pieces, each
// copied into JS as soon as it is written (the shim joins them). The wasm
// memory then holds one piece at a time instead of the whole text, which
// for a first result of 100,000 rows is about 9 MB: its high-water mark
// counts, since it never shrinks.
//
// It is not inlined: inlined, its closures would be compiled into the
// wasm once per caller.
//
//go:noinline
func answerInPieces(write func(*jswire.Pieces)) (any, error) {
	var (
		out  []any
		werr error
	)
	write(&jswire.Pieces{Size: answerPiece, Emit: func(b []byte) {
		if werr != nil {
			return
		}
		s, err := jsval.ValueOf(handOver(b)) // a JS string: a copy
		if err != nil {
			werr = strfmt.Errorf("streamdb: an answer's piece did not cross: %w", err)
			return
		}
		out = append(out, s)
	}})
	if werr != nil {
		return nil, werr
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func (a *dbAPI) live(args []jsval.Value) (*dbHandle, int, *db.Live) {
	h := a.handle(arg(args, 0))
	id, err := arg(args, 1).Int()
	if err != nil {
		badArg("query id: want a number")
	}
	h.mu.Lock()
	l := h.lives[id]
	h.mu.Unlock()
	return h, id, l
}

func (a *dbAPI) queryClose(args []jsval.Value) (any, error) {
	h, id, l := a.live(args)
	if l == nil {
		return nil, nil
	}
	h.mu.Lock()
	delete(h.lives, id)
	delete(h.liveIDs, l)
	delete(h.liveNames, l)
	h.mu.Unlock()
	l.Close()
	return nil, nil
}

// txBegin: txBegin(h, {txid}) → transaction id.
func (a *dbAPI) txBegin(args []jsval.Value) (any, error) {
	h := a.handle(arg(args, 0))
	o := argOptions(arg(args, 1), "options")
	tx := h.d.Begin(db.TxOptions{TxID: optString(o, "txid")})
	h.mu.Lock()
	h.nextID++
	id := h.nextID
	h.txs[id] = tx
	h.mu.Unlock()
	return id, nil
}

func (a *dbAPI) tx(args []jsval.Value) (*dbHandle, int, *db.Tx) {
	h := a.handle(arg(args, 0))
	id, err := arg(args, 1).Int()
	if err != nil {
		badArg("transaction id: want a number")
	}
	h.mu.Lock()
	tx := h.txs[id]
	h.mu.Unlock()
	if tx == nil {
		panic(&jswire.UsageError{Msg: "unknown transaction"})
	}
	return h, id, tx
}

// txMutate: txMutate(h, tx, "insert"|"update"|"delete", collection, key, value).
func (a *dbAPI) txMutate(args []jsval.Value) (any, error) {
	_, _, tx := a.tx(args)
	op := argString(arg(args, 2), "operation")
	coll := argStored(arg(args, 3), "collection")
	key := argStored(arg(args, 4), "key") // "" for an insert by primary key
	var v string
	if op != "delete" {
		v = argString(arg(args, 5), "value")
	}
	return nil, jswire.Mutate(tx, op, coll, key, v)
}

// txRollback: txRollback(h, tx) rolls back a pending transaction.
func (a *dbAPI) txRollback(args []jsval.Value) (any, error) {
	_, _, tx := a.tx(args)
	return nil, tx.Rollback(errors.New("transaction rolled back"))
}

// txInfo: txInfo(h, tx) → the transaction's state and mutations.
func (a *dbAPI) txInfo(args []jsval.Value) (any, error) {
	_, _, tx := a.tx(args)
	return handOver(jswire.TxInfo(tx.State(), tx.Mutations())), nil
}

// txCommit: txCommit(h, tx, persist) → Promise. persist is a JS function
// returning a Promise (the action's mutationFn); the transaction completes
// when it resolves and rolls back when it rejects, and the Promise settles
// the same way, with persist's own error.
func (a *dbAPI) txCommit(ctx context.Context, args []jsval.Value) (runFunc, func(), error) {
	h, id, tx := a.tx(args)
	persist := argFunc(arg(args, 2), "persist")
	return func() (any, error) {
		defer func() {
			h.mu.Lock()
			delete(h.txs, id)
			h.mu.Unlock()
		}()
		var fn func(context.Context) error
		if persist.Type() == jsval.TypeFunction {
			// The wait ends with the bridge, not when the transaction
			// fails first: the shim settles persist's Promise then (a
			// rollback, a close), and the callbacks await hands to it
			// must live until it does.
			fn = func(context.Context) error { return a.b.await(ctx, persist) }
		}
		return nil, tx.Commit(ctx, fn)
	}, nil, nil
}

// awaitTxId: awaitTxId(h, txid, signal) → Promise. The wait has no timer
// of its own (a Go timer keeps a JS timeout scheduled until its deadline,
// even once stopped): the shim times it and aborts signal.
func (a *dbAPI) awaitTxID(ctx context.Context, args []jsval.Value) (runFunc, func(), error) {
	h := a.handle(arg(args, 0))
	txid := argStored(arg(args, 1), "txid")
	ctx, cleanup, err := a.b.abortable(ctx, arg(args, 2), "awaitTxId")
	if err != nil {
		return nil, cleanup, err
	}
	return func() (any, error) { return nil, h.d.AwaitTxID(ctx, txid, -1) }, cleanup, nil
}

// preload: dbPreload(h) → Promise.
func (a *dbAPI) preload(ctx context.Context, args []jsval.Value) (runFunc, func(), error) {
	h := a.handle(arg(args, 0))
	return func() (any, error) {
		if err := h.d.Preload(ctx); err != nil {
			return nil, err
		}
		// The catch-up leaves garbage (the bodies as read, their split
		// items): collected now, before preload() resolves and the page
		// opens its queries, their rows reuse its memory instead of growing
		// the wasm memory, which never shrinks (100k events: 180 -> 151 MiB
		// after the four bench queries). It costs one task of the page's
		// thread (about 100 ms at 100k): a collection would come during the
		// first results otherwise, and slow them through write barriers.
		h.collected.Do(func() {
			runtime.GC()
			h.b.gc.last.Store(allocated())
		})
		return nil, nil
	}, nil, nil
}
