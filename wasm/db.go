//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
)

// dbAPI holds the open databases of the StreamDB exports. Handles are small
// integers the JS shim keeps.
//
// Reads and transaction writes are synchronous calls (they never wait: the
// database's lock is never held across I/O). Everything a step changed
// reaches JS in one call of the db's onStep callback, as one JSON string:
//
//	{"c": {"users": [["i", key, row], ["u", key, row, previous], ["d", key, row]]},
//	 "q": [[queryID, [["i", keyJSON, value, -1, rank], ["u", keyJSON, value, previous, oldRank, rank],
//	                  ["d", keyJSON, value, oldRank]]], ...]}
//
// Collections appear only when followed (dbFollow). Query keys are JSON
// text (TanStack's keys can be strings, numbers, null...). Ranks are
// positions in the query's result order: oldRank before the step, rank
// after it, so the shim can splice its result array.
type dbAPI struct {
	b    *bridge
	mu   sync.Mutex
	next int
	dbs  map[int]*dbHandle
}

type dbHandle struct {
	d         *db.DB
	url       string
	onStep    safejs.Value
	setFollow func([]string)
	unwatch   func()

	mu      sync.Mutex
	lives   map[int]*db.Live
	liveIDs map[*db.Live]int
	txs     map[int]*db.Tx
	nextID  int
}

func (a *dbAPI) register() error {
	for _, e := range []struct {
		name string
		fn   func([]safejs.Value) (any, error)
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
		{"queryRows", a.queryRows},
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
	} {
		if err := a.b.async(e.name, e.fn); err != nil {
			return err
		}
	}
	return nil
}

// handle returns the open database of a handle argument.
func (a *dbAPI) handle(v safejs.Value) *dbHandle {
	n, err := v.Int()
	if err != nil {
		badArg("db handle: want a number")
	}
	a.mu.Lock()
	h := a.dbs[n]
	a.mu.Unlock()
	if h == nil {
		panic(&usageError{"the StreamDB is closed"})
	}
	return h
}

// usageError is an API call that cannot be honoured (a closed db, an
// unknown collection, query or transaction).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// jsError carries a JS value thrown or rejected by JS code (a mutationFn's
// error), so that it reaches JS again unchanged.
type jsError struct{ v safejs.Value }

func (e *jsError) Error() string {
	if m := describe(e.v); m != "" {
		return m
	}
	return "mutationFn failed"
}

// openConfig is dbOpen's configuration, as JSON.
type openConfig struct {
	url         string
	header      stream.Header
	live        db.LiveMode
	collections []db.CollectionDef
	maxTxIDs    int
}

func parseOpenConfig(s string) openConfig {
	v, err := value.ParseString(s)
	if err != nil || v.Kind() != value.KindObject {
		badArg("dbOpen: config must be a JSON object")
	}
	var c openConfig
	c.url, _ = v.Get("url").Str()
	if c.url == "" {
		badArg("dbOpen: config.url must be a non-empty string")
	}
	h := v.Get("headers")
	h.Fields(func(k string, x value.Value) bool {
		if s, ok := x.Str(); ok {
			if c.header == nil {
				c.header = stream.Header{}
			}
			c.header.Set(k, s)
		}
		return true
	})
	switch l, _ := v.Get("live").Str(); l {
	case "", "long-poll":
		c.live = db.LiveLongPoll
	case "sse":
		c.live = db.LiveSSE
	case "off":
		c.live = db.LiveOff
	default:
		badArg("dbOpen: config.live must be long-poll, sse or off, got %q", l)
	}
	v.Get("collections").Elems(func(_ int, e value.Value) bool {
		var d db.CollectionDef
		d.Name, _ = e.Get("name").Str()
		d.Type, _ = e.Get("type").Str()
		d.PrimaryKey, _ = e.Get("primaryKey").Str()
		c.collections = append(c.collections, d)
		return true
	})
	if n, ok := v.Get("maxTxIds").Num(); ok && n > 0 {
		c.maxTxIDs = int(n)
	}
	return c
}

// open: dbOpen(configJSON, onStep, onError, onProgress, onBatch) → handle.
// onBatch, when given, gets every batch read as JSON
// {"offset", "upToDate", "items": [...]} (the shim's onEvent and onBatch).
func (a *dbAPI) open(args []safejs.Value) (any, error) {
	c := parseOpenConfig(argString(arg(args, 0), "config"))
	onStep := argFunc(arg(args, 1), "onStep")
	onError := argFunc(arg(args, 2), "onError")
	onProgress := argFunc(arg(args, 3), "onProgress")
	onBatch := argFunc(arg(args, 4), "onBatch")
	s := a.b.streams.client.Stream(c.url)
	s.SetContentType("application/json")
	h := &dbHandle{url: c.url, onStep: onStep, lives: map[int]*db.Live{}, liveIDs: map[*db.Live]int{}, txs: map[int]*db.Tx{}}
	opts := db.Options{
		Collections: c.collections,
		Live:        c.live,
		MaxTxIDs:    c.maxTxIDs,
		ReadHeader:  c.header,
		Collator:    jsCollator(),
	}
	if onError.Type() == safejs.TypeFunction {
		opts.OnError = func(err error) { _, _ = onError.Invoke(a.b.errorValue(err)) }
	}
	if onProgress.Type() == safejs.TypeFunction {
		opts.OnProgress = func(p db.Progress) {
			_, _ = onProgress.Invoke(fmt.Sprintf(`{"bytes":%d,"events":%d,"offset":%s,"ready":%t}`,
				p.Bytes, p.Events, strconv.Quote(p.Offset), p.Ready))
		}
	}
	if onBatch.Type() == safejs.TypeFunction {
		opts.OnBatch = func(b *stream.Batch) {
			buf := fmt.Appendf(nil, `{"offset":%s,"upToDate":%t,"items":[`, strconv.Quote(b.Offset), b.UpToDate)
			for i, it := range b.Items {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, it...)
			}
			_, _ = onBatch.Invoke(string(append(buf, "]}"...)))
		}
	}
	d, err := db.Open(s, opts)
	if err != nil {
		return nil, err
	}
	h.d = d
	h.setFollow, h.unwatch = d.Watch(nil, h.deliver)
	a.mu.Lock()
	a.next++
	id := a.next
	if a.dbs == nil {
		a.dbs = map[int]*dbHandle{}
	}
	a.dbs[id] = h
	a.mu.Unlock()
	return id, nil
}

// deliver hands one step to JS as one JSON string.
func (h *dbHandle) deliver(st *db.Step) {
	if h.onStep.Type() != safejs.TypeFunction {
		return
	}
	size := 64
	for name, ch := range st.Collections {
		size += len(name) + 8
		for _, c := range ch {
			size += len(c.Key) + jsonSize(c.Value) + jsonSize(c.Previous) + 12
		}
	}
	for _, qc := range st.Queries {
		size += 16
		for _, c := range qc.Changes {
			size += 2*jsonSize(c.Key) + jsonSize(c.Value) + jsonSize(c.Previous) + 32
		}
	}
	buf := make([]byte, 0, size)
	buf = append(buf, `{"c":{`...)
	first := true
	for name, ch := range st.Collections {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = value.AppendJSON(buf, value.String(name))
		buf = append(buf, ":["...)
		for i, c := range ch {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendCollChange(buf, c)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `},"q":[`...)
	first = true
	h.mu.Lock()
	for _, qc := range st.Queries {
		id, ok := h.liveIDs[qc.Live]
		if !ok {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '[')
		buf = strconv.AppendInt(buf, int64(id), 10)
		buf = append(buf, ",["...)
		for i, c := range qc.Changes {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendQueryChange(buf, c)
		}
		buf = append(buf, "]]"...)
	}
	h.mu.Unlock()
	buf = append(buf, "]}"...)
	_, _ = h.onStep.Invoke(handOver(buf))
}

func appendCollChange(buf []byte, c db.Change) []byte {
	switch c.Type {
	case db.Insert:
		buf = append(buf, `["i",`...)
	case db.Update:
		buf = append(buf, `["u",`...)
	default:
		buf = append(buf, `["d",`...)
	}
	buf = value.AppendJSON(buf, value.String(c.Key))
	buf = append(buf, ',')
	buf = value.AppendJSON(buf, c.Value)
	if c.Type == db.Update {
		buf = append(buf, ',')
		buf = value.AppendJSON(buf, c.Previous)
	}
	return append(buf, ']')
}

// appendQueryChange writes [type, keyJSON, value, previous, oldRank, rank].
func appendQueryChange(buf []byte, c ivm.Change) []byte {
	switch c.Type {
	case ivm.Insert:
		buf = append(buf, `["i",`...)
	case ivm.Update:
		buf = append(buf, `["u",`...)
	default:
		buf = append(buf, `["d",`...)
	}
	buf = value.AppendJSON(buf, value.String(c.Key.JSON()))
	buf = append(buf, ',')
	buf = value.AppendJSON(buf, c.Value)
	buf = append(buf, ',')
	buf = value.AppendJSON(buf, c.Previous)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, int64(c.OldRank), 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, int64(c.Rank), 10)
	return append(buf, ']')
}

// close: dbClose(h) stops the database: no more reading, no more steps,
// waiters rejected. Its collections stay readable until dbRelease. Closing
// twice does nothing.
func (a *dbAPI) close(args []safejs.Value) (any, error) {
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
		h.mu.Unlock()
	}
	return nil, nil
}

// release: dbRelease(h) closes the database if needed and forgets it, with
// its rows (the shim calls it once the StreamDB object is unreachable).
func (a *dbAPI) release(args []safejs.Value) (any, error) {
	if _, err := a.close(args); err != nil {
		return nil, err
	}
	n, _ := arg(args, 0).Int()
	a.mu.Lock()
	delete(a.dbs, n)
	a.mu.Unlock()
	return nil, nil
}

func (a *dbAPI) offset(args []safejs.Value) (any, error) {
	return a.handle(arg(args, 0)).d.Offset(), nil
}

// follow: dbFollow(h, [names]) sets the collections whose changes steps
// carry (those with JS subscribers).
func (a *dbAPI) follow(args []safejs.Value) (any, error) {
	h := a.handle(arg(args, 0))
	v, err := value.ParseString(argString(arg(args, 1), "names"))
	if err != nil {
		badArg("dbFollow: names must be a JSON array")
	}
	var names []string
	v.Elems(func(_ int, e value.Value) bool {
		if s, ok := e.Str(); ok {
			names = append(names, s)
		}
		return true
	})
	h.setFollow(names)
	return nil, nil
}

// coll returns the named collection of a handle's database.
func (a *dbAPI) coll(args []safejs.Value) *db.Collection {
	h := a.handle(arg(args, 0))
	name := argString(arg(args, 1), "collection")
	c := h.d.Collection(name)
	if c == nil {
		panic(&usageError{fmt.Sprintf("unknown collection %q", name)})
	}
	return c
}

func (a *dbAPI) collGet(args []safejs.Value) (any, error) {
	c := a.coll(args)
	v, ok := c.Get(argString(arg(args, 2), "key"))
	if !ok {
		return nil, nil
	}
	return v.JSON(), nil
}

func (a *dbAPI) collHas(args []safejs.Value) (any, error) {
	return a.coll(args).Has(argString(arg(args, 2), "key")), nil
}

func (a *dbAPI) collSize(args []safejs.Value) (any, error) {
	return a.coll(args).Size(), nil
}

// collRows: collRows(h, name) → JSON [[key, row], ...] in key order.
func (a *dbAPI) collRows(args []safejs.Value) (any, error) {
	c := a.coll(args)
	size := 2
	c.Range(func(k string, v value.Value) bool {
		size += len(k) + jsonSize(v) + 6
		return true
	})
	buf := make([]byte, 0, size)
	buf = append(buf, '[')
	first := true
	c.Range(func(k string, v value.Value) bool {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '[')
		buf = value.AppendJSON(buf, value.String(k))
		buf = append(buf, ',')
		buf = value.AppendJSON(buf, v)
		buf = append(buf, ']')
		return true
	})
	return handOver(append(buf, ']')), nil
}

// queryOpen: queryOpen(h, irJSON) → JSON {"id", "single", "rows": [[keyJSON, value], ...]}.
func (a *dbAPI) queryOpen(args []safejs.Value) (any, error) {
	h := a.handle(arg(args, 0))
	q, err := ir.Parse([]byte(argString(arg(args, 1), "query")))
	if err != nil {
		return nil, err
	}
	l, err := h.d.Query(q)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.nextID++
	id := h.nextID
	h.lives[id] = l
	h.liveIDs[l] = id
	h.mu.Unlock()
	buf := fmt.Appendf(make([]byte, 0, 64+liveRowsSize(l)), `{"id":%d,"single":%t,"ordered":%t,"rows":`, id, l.SingleResult(), l.Ordered())
	buf = appendLiveRows(buf, l)
	return handOver(append(buf, '}')), nil
}

// liveRowsSize estimates the length of appendLiveRows' text.
func liveRowsSize(l *db.Live) int {
	size := 2
	l.Range(func(k, v value.Value) bool {
		size += 2*jsonSize(k) + jsonSize(v) + 8
		return true
	})
	return size
}

func appendLiveRows(buf []byte, l *db.Live) []byte {
	buf = append(buf, '[')
	first := true
	l.Range(func(k, v value.Value) bool {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '[')
		buf = value.AppendJSON(buf, value.String(k.JSON()))
		buf = append(buf, ',')
		buf = value.AppendJSON(buf, v)
		buf = append(buf, ']')
		return true
	})
	return append(buf, ']')
}

func (a *dbAPI) live(args []safejs.Value) (*dbHandle, int, *db.Live) {
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

func (a *dbAPI) queryClose(args []safejs.Value) (any, error) {
	h, id, l := a.live(args)
	if l == nil {
		return nil, nil
	}
	h.mu.Lock()
	delete(h.lives, id)
	delete(h.liveIDs, l)
	h.mu.Unlock()
	l.Close()
	return nil, nil
}

func (a *dbAPI) queryRows(args []safejs.Value) (any, error) {
	_, _, l := a.live(args)
	if l == nil {
		panic(&usageError{"the live query is disposed"})
	}
	return handOver(appendLiveRows(make([]byte, 0, liveRowsSize(l)), l)), nil
}

// txBegin: txBegin(h, {txid}) → transaction id.
func (a *dbAPI) txBegin(args []safejs.Value) (any, error) {
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

func (a *dbAPI) tx(args []safejs.Value) (*dbHandle, int, *db.Tx) {
	h := a.handle(arg(args, 0))
	id, err := arg(args, 1).Int()
	if err != nil {
		badArg("transaction id: want a number")
	}
	h.mu.Lock()
	tx := h.txs[id]
	h.mu.Unlock()
	if tx == nil {
		panic(&usageError{"unknown transaction"})
	}
	return h, id, tx
}

// txMutate: txMutate(h, tx, "insert"|"update"|"delete", collection, key, valueJSON).
func (a *dbAPI) txMutate(args []safejs.Value) (any, error) {
	_, _, tx := a.tx(args)
	op := argString(arg(args, 2), "operation")
	coll := argString(arg(args, 3), "collection")
	var v value.Value
	if op != "delete" {
		var err error
		if v, err = value.ParseString(argString(arg(args, 5), "value")); err != nil {
			badArg("%s: value is not JSON: %v", op, err)
		}
	}
	switch op {
	case "insert":
		return nil, tx.Insert(coll, v)
	case "update":
		return nil, tx.Update(coll, argString(arg(args, 4), "key"), v)
	case "delete":
		return nil, tx.Delete(coll, argString(arg(args, 4), "key"))
	}
	badArg("unknown operation %q", op)
	return nil, nil
}

// txRollback: txRollback(h, tx) rolls back a pending transaction.
func (a *dbAPI) txRollback(args []safejs.Value) (any, error) {
	_, _, tx := a.tx(args)
	return nil, tx.Rollback(errors.New("transaction rolled back"))
}

// txInfo: txInfo(h, tx) → JSON {"state", "mutations": [{type, collection, key, original, modified, changes}]}.
func (a *dbAPI) txInfo(args []safejs.Value) (any, error) {
	_, _, tx := a.tx(args)
	buf := fmt.Appendf(nil, `{"state":%q,"mutations":[`, tx.State().String())
	for i, m := range tx.Mutations() {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = fmt.Appendf(buf, `{"type":%q,"collection":`, m.Type.String())
		buf = value.AppendJSON(buf, value.String(m.Collection))
		buf = append(buf, `,"key":`...)
		buf = value.AppendJSON(buf, value.String(m.Key))
		buf = append(buf, `,"original":`...)
		buf = value.AppendJSON(buf, m.Original)
		buf = append(buf, `,"modified":`...)
		buf = value.AppendJSON(buf, m.Modified)
		buf = append(buf, '}')
	}
	return string(append(buf, "]}"...)), nil
}

// txCommit: txCommit(h, tx, persist) → Promise. persist is a JS function
// returning a Promise (the action's mutationFn); the transaction completes
// when it resolves and rolls back when it rejects, and the Promise settles
// the same way, with persist's own error.
func (a *dbAPI) txCommit(ctx context.Context, args []safejs.Value) (runFunc, func(), error) {
	h, id, tx := a.tx(args)
	persist := argFunc(arg(args, 2), "persist")
	return func() (any, error) {
		defer func() {
			h.mu.Lock()
			delete(h.txs, id)
			h.mu.Unlock()
		}()
		var fn func(context.Context) error
		if persist.Type() == safejs.TypeFunction {
			fn = func(ctx context.Context) error { return a.b.await(ctx, persist) }
		}
		return nil, tx.Commit(ctx, fn)
	}, nil, nil
}

// awaitTxId: awaitTxId(h, txid, timeoutMs) → Promise.
func (a *dbAPI) awaitTxID(ctx context.Context, args []safejs.Value) (runFunc, func(), error) {
	h := a.handle(arg(args, 0))
	txid := argString(arg(args, 1), "txid")
	timeout := db.DefaultTxIDTimeout
	if ms, err := arg(args, 2).Float(); err == nil && ms > 0 {
		timeout = time.Duration(ms * float64(time.Millisecond))
	}
	return func() (any, error) { return nil, h.d.AwaitTxID(ctx, txid, timeout) }, nil, nil
}

// preload: dbPreload(h) → Promise.
func (a *dbAPI) preload(ctx context.Context, args []safejs.Value) (runFunc, func(), error) {
	h := a.handle(arg(args, 0))
	return func() (any, error) { return nil, h.d.Preload(ctx) }, nil, nil
}
