//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/testserver"
	"github.com/streamdb/streamdb/wasm/fetch"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// The tests call the bridge the way JS does: through the methods of the API
// object, awaiting the Promises they return. The test goroutine is not
// inside a JS callback, so it may block on a channel while the event loop
// runs.

func TestMain(m *testing.M) { testserver.Main(m) }

var (
	sharedOnce   sync.Once
	sharedBridge *bridge
	sharedAPI    jsval.Value
	sharedErr    error
)

// newTestBridge builds a bridge like main does.
func newTestBridge(t *testing.T) *bridge {
	t.Helper()
	retry := stream.DefaultRetryPolicy()
	client, err := stream.NewClient(fetch.New(), stream.Options{Retry: &retry})
	require.NoError(t, err)
	b, err := newStreamDB(client)
	require.NoError(t, err)
	return b
}

// api returns the shared bridge and the API object it handed to JS through
// the keyed loading contract: globalThis[key](api).
func api(t *testing.T) (*bridge, jsval.Value) {
	t.Helper()
	sharedOnce.Do(func() {
		b := newTestBridge(t)
		key := "__streamdb_test_ready"
		var got jsval.Value
		ready, err := jsval.FuncOf(func(_ jsval.Value, args []jsval.Value) any {
			got = args[0]
			return nil
		})
		if err != nil {
			sharedErr = err
			return
		}
		defer ready.Release()
		g := jsval.Global()
		if sharedErr = g.Set(key, ready); sharedErr != nil {
			return
		}
		defer g.Delete(key)
		if sharedErr = b.publish([]string{key}); sharedErr != nil {
			return
		}
		if !got.Equal(b.API()) {
			sharedErr = errors.New("globalThis[key] was not called with the API object")
			return
		}
		sharedBridge, sharedAPI = b, got
	})
	require.NoError(t, sharedErr)
	return sharedBridge, sharedAPI
}

// outcome is how a Promise settled.
type outcome struct {
	value    jsval.Value
	rejected bool
}

// call calls api[method](args...) and returns the Promise it returned.
func call(t *testing.T, method string, args ...any) jsval.Value {
	t.Helper()
	_, a := api(t)
	p, err := a.Call(method, args...)
	require.NoError(t, err, "api.%s threw", method)
	require.Equal(t, jsval.TypeObject, p.Type(), "api.%s returns a Promise", method)
	return p
}

// await waits for the Promise p to settle, through then/catch callbacks
// that feed a channel.
func await(t *testing.T, p jsval.Value) outcome {
	t.Helper()
	ch := make(chan outcome, 1)
	settle := func(rejected bool) func(jsval.Value, []jsval.Value) any {
		return func(_ jsval.Value, args []jsval.Value) any {
			v := jsval.Undefined()
			if len(args) > 0 {
				v = args[0]
			}
			ch <- outcome{value: v, rejected: rejected}
			return nil
		}
	}
	onOK, err := jsval.FuncOf(settle(false))
	require.NoError(t, err)
	defer onOK.Release()
	onErr, err := jsval.FuncOf(settle(true))
	require.NoError(t, err)
	defer onErr.Release()
	p, err = p.Call("then", onOK)
	require.NoError(t, err)
	_, err = p.Call("catch", onErr)
	require.NoError(t, err)
	select {
	case o := <-ch:
		return o
	case <-time.After(30 * time.Second):
		t.Fatal("the Promise did not settle in 30 s")
		return outcome{}
	}
}

// resolved awaits p and fails the test unless it resolved.
func resolved(t *testing.T, p jsval.Value) jsval.Value {
	t.Helper()
	o := await(t, p)
	if o.rejected {
		t.Fatalf("rejected: %s: %s", str(t, o.value, "name"), str(t, o.value, "message"))
	}
	return o.value
}

// rejected awaits p and fails the test unless it rejected with an Error.
func rejected(t *testing.T, p jsval.Value) jsval.Value {
	t.Helper()
	o := await(t, p)
	require.True(t, o.rejected, "the Promise resolved")
	errCtor, err := jsval.Global().Get("Error")
	require.NoError(t, err)
	isErr, err := o.value.InstanceOf(errCtor)
	require.NoError(t, err)
	require.True(t, isErr, "rejects with an Error")
	return o.value
}

func prop(t *testing.T, v jsval.Value, key string) jsval.Value {
	t.Helper()
	p, err := v.Get(key)
	require.NoError(t, err)
	return p
}

func str(t *testing.T, v jsval.Value, key string) string {
	t.Helper()
	p := prop(t, v, key)
	require.Equal(t, jsval.TypeString, p.Type(), "%s is a string", key)
	s, err := p.String()
	require.NoError(t, err)
	return s
}

func boolean(t *testing.T, v jsval.Value, key string) bool {
	t.Helper()
	b, err := prop(t, v, key).Bool()
	require.NoError(t, err, "%s is a boolean", key)
	return b
}

func integer(t *testing.T, v jsval.Value, key string) int {
	t.Helper()
	n, err := prop(t, v, key).Int()
	require.NoError(t, err, "%s is a number", key)
	return n
}

// object makes a JS object from fields (values as js.ValueOf takes them,
// or jsval.Values).
func object(t *testing.T, fields map[string]any) jsval.Value {
	t.Helper()
	o, err := newObject()
	require.NoError(t, err)
	for k, v := range fields {
		require.NoError(t, o.Set(k, v))
	}
	return o
}

// uint8Array makes a JS Uint8Array holding a copy of p.
func uint8Array(t *testing.T, p []byte) jsval.Value {
	t.Helper()
	b, _ := api(t)
	v, err := b.bytesToJS(p)
	require.NoError(t, err)
	return v
}

// batchLog is an onBatch callback that records what it was given.
type batchLog struct {
	fn jsval.Func

	mu      sync.Mutex
	data    []byte
	batches []recordedBatch
}

type recordedBatch struct {
	data             string
	offset           string
	upToDate, closed bool
	status           int
	dataIsUint8Array bool
}

func newBatchLog(t *testing.T) *batchLog {
	t.Helper()
	l := &batchLog{}
	u8, err := jsval.Global().Get("Uint8Array")
	require.NoError(t, err)
	l.fn, err = jsval.FuncOf(func(_ jsval.Value, args []jsval.Value) any {
		v := args[0]
		d, _ := v.Get("data")
		isU8, _ := d.InstanceOf(u8)
		n, _ := d.Length()
		p := make([]byte, n)
		_, _ = jsval.CopyBytesToGo(p, d)
		off, _ := v.Get("offset")
		offset, _ := off.String()
		up, _ := v.Get("upToDate")
		upToDate, _ := up.Bool()
		cl, _ := v.Get("closed")
		closed, _ := cl.Bool()
		st, _ := v.Get("status")
		status, _ := st.Int()
		l.mu.Lock()
		l.data = append(l.data, p...)
		l.batches = append(l.batches, recordedBatch{data: string(p), offset: offset, upToDate: upToDate,
			closed: closed, status: status, dataIsUint8Array: isU8})
		l.mu.Unlock()
		return nil
	})
	require.NoError(t, err)
	t.Cleanup(l.fn.Release)
	return l
}

func (l *batchLog) snapshot() []recordedBatch {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]recordedBatch(nil), l.batches...)
}

// createJSON creates a JSON stream at a fresh URL and returns the URL.
func createJSON(t *testing.T) string {
	t.Helper()
	url := testserver.StreamURL(t)
	res := resolved(t, call(t, "create", url, object(t, map[string]any{"contentType": "application/json"})))
	require.True(t, boolean(t, res, "created"))
	return url
}

// checkNoLeak fails when the bridge holds more js.Funcs than before fn.
func checkNoLeak(t *testing.T, fn func()) {
	t.Helper()
	b, _ := api(t)
	before := b.liveFuncs()
	fn()
	assert.Equal(t, before, b.liveFuncs(), "js.Funcs held by the bridge")
}

func TestVersion(t *testing.T) {
	_, a := api(t)
	v, err := a.Call("version")
	require.NoError(t, err)
	s, err := v.String()
	require.NoError(t, err)
	assert.Equal(t, version, s)
}

func TestPublishWithoutKeySetsGlobal(t *testing.T) {
	b := newTestBridge(t)
	require.NoError(t, b.publish(nil))
	g := jsval.Global()
	got, err := g.Get("streamdb")
	require.NoError(t, err)
	assert.True(t, got.Equal(b.API()))
	require.NoError(t, g.Delete("streamdb"))

	assert.Positive(t, b.liveFuncs())
	_, err = b.API().Call("shutdown")
	require.NoError(t, err)
	assert.Zero(t, b.liveFuncs(), "shutdown releases every export")
	select {
	case <-b.Done():
	default:
		t.Fatal("shutdown did not close Done")
	}
	b.shutdown() // twice is fine
}

func TestCreateAppendReadHead(t *testing.T) {
	checkNoLeak(t, func() {
		url := testserver.StreamURL(t)
		jsonCT := map[string]any{"contentType": "application/json"}
		res := resolved(t, call(t, "create", url, object(t, jsonCT)))
		assert.True(t, boolean(t, res, "created"))
		assert.Equal(t, 201, integer(t, res, "status"))
		start := str(t, res, "offset")
		assert.NotEmpty(t, start)

		again := resolved(t, call(t, "create", url, object(t, jsonCT)))
		assert.False(t, boolean(t, again, "created"), "same configuration: 200")
		assert.Equal(t, 200, integer(t, again, "status"))

		// Two appends made without awaiting: they keep their call order.
		p1 := call(t, "append", url, `{"n":1}`, object(t, jsonCT))
		p2 := call(t, "append", url, uint8Array(t, []byte(`{"n":2,"s":"wörld"}`)), object(t, jsonCT))
		off1 := str(t, resolved(t, p1), "offset")
		off2 := str(t, resolved(t, p2), "offset")
		assert.Greater(t, off1, start)
		assert.GreaterOrEqual(t, off2, off1)

		log := newBatchLog(t)
		res = resolved(t, call(t, "read", url, object(t, map[string]any{"offset": "-1"}), log.fn))
		assert.Equal(t, off2, str(t, res, "offset"))
		assert.True(t, boolean(t, res, "upToDate"))
		assert.False(t, boolean(t, res, "closed"))
		assert.Equal(t, "application/json", str(t, res, "contentType"))
		batches := log.snapshot()
		require.Len(t, batches, 1)
		assert.Equal(t, `[{"n":1},{"n":2,"s":"wörld"}]`, strings.ReplaceAll(batches[0].data, "\n", ""))
		assert.Equal(t, off2, batches[0].offset)
		assert.True(t, batches[0].upToDate)
		assert.True(t, batches[0].dataIsUint8Array)
		assert.Equal(t, 200, batches[0].status)

		// From the tail: no data, up to date; onBatch is optional.
		res = resolved(t, call(t, "read", url, object(t, map[string]any{"offset": off2})))
		assert.Equal(t, off2, str(t, res, "offset"))
		assert.True(t, boolean(t, res, "upToDate"))

		h := resolved(t, call(t, "head", url))
		assert.Equal(t, "application/json", str(t, h, "contentType"))
		assert.Equal(t, off2, str(t, h, "offset"))
		assert.False(t, boolean(t, h, "closed"))
	})
}

func TestAppendWithoutContentTypeAsksHead(t *testing.T) {
	url := testserver.StreamURL(t)
	resolved(t, call(t, "create", url, object(t, map[string]any{"contentType": "text/plain"})))
	// Made without awaiting, the first ones wait for a HEAD: the order
	// still holds.
	var want strings.Builder
	ps := make([]jsval.Value, 30)
	for i := range ps {
		part := fmt.Sprintf("%d;", i)
		want.WriteString(part)
		ps[i] = call(t, "append", url, part)
	}
	for _, p := range ps {
		resolved(t, p)
	}
	log := newBatchLog(t)
	resolved(t, call(t, "read", url, nil, log.fn))
	assert.Equal(t, want.String(), string(log.data))
}

func TestStreamErrors(t *testing.T) {
	checkNoLeak(t, func() {
		url := testserver.StreamURL(t) // never created
		e := rejected(t, call(t, "read", url, object(t, map[string]any{})))
		assert.Equal(t, "StreamError", str(t, e, "name"))
		assert.Equal(t, "NOT_FOUND", str(t, e, "code"))
		assert.Equal(t, 404, integer(t, e, "status"))
		assert.Equal(t, url, str(t, e, "url"))
		assert.Equal(t, "-1", str(t, e, "offset"))
		msg := str(t, e, "message")
		assert.Contains(t, msg, "stream read "+url)
		assert.Contains(t, msg, "NOT_FOUND (404)")

		e = rejected(t, call(t, "head", url))
		assert.Equal(t, "StreamError", str(t, e, "name"))
		assert.Equal(t, "NOT_FOUND", str(t, e, "code"))

		// Same URL with another content type: CONFLICT.
		url = createJSON(t)
		e = rejected(t, call(t, "create", url, object(t, map[string]any{"contentType": "text/plain"})))
		assert.Equal(t, "StreamError", str(t, e, "name"))
		assert.Equal(t, "CONFLICT", str(t, e, "code"))
		assert.Equal(t, 409, integer(t, e, "status"))

		// Not JSON in JSON mode: rejected before any request.
		e = rejected(t, call(t, "append", url, "{nope", object(t, map[string]any{"contentType": "application/json"})))
		assert.Equal(t, "INVALID_ARGUMENT", str(t, e, "code"))
		assert.Equal(t, 0, integer(t, e, "status"))
	})
}

func TestLongPollSeesLaterAppend(t *testing.T) {
	checkNoLeak(t, func() {
		url := createJSON(t)
		tail := str(t, resolved(t, call(t, "head", url)), "offset")
		log := newBatchLog(t)
		p := call(t, "read", url, object(t, map[string]any{"offset": tail, "live": "long-poll", "maxBatches": 1}), log.fn)
		time.Sleep(300 * time.Millisecond) // let the long-poll start
		off := str(t, resolved(t, call(t, "append", url, `"later"`, object(t, map[string]any{"contentType": "application/json"}))), "offset")
		res := resolved(t, p)
		assert.Equal(t, off, str(t, res, "offset"))
		assert.True(t, boolean(t, res, "upToDate"))
		assert.Equal(t, `["later"]`, string(log.data))
		batches := log.snapshot()
		require.NotEmpty(t, batches)
		last := batches[len(batches)-1]
		assert.Equal(t, off, last.offset)
		assert.Equal(t, `["later"]`, last.data)
	})
}

func TestReadAbort(t *testing.T) {
	checkNoLeak(t, func() {
		url := createJSON(t)
		ctor, err := jsval.Global().Get("AbortController")
		require.NoError(t, err)

		// Abort while a long-poll is waiting.
		ctl, err := ctor.New()
		require.NoError(t, err)
		p := call(t, "read", url, object(t, map[string]any{"live": "long-poll", "signal": prop(t, ctl, "signal")}))
		time.Sleep(200 * time.Millisecond)
		_, err = ctl.Call("abort")
		require.NoError(t, err)
		e := rejected(t, p)
		assert.Equal(t, "AbortError", str(t, e, "name"))
		assert.Contains(t, str(t, e, "message"), "read aborted")

		// A signal that has already aborted rejects at once.
		ctl, err = ctor.New()
		require.NoError(t, err)
		_, err = ctl.Call("abort")
		require.NoError(t, err)
		e = rejected(t, call(t, "read", url, object(t, map[string]any{"signal": prop(t, ctl, "signal")})))
		assert.Equal(t, "AbortError", str(t, e, "name"))
	})
}

func TestBadArgumentsAndPanicsReject(t *testing.T) {
	b, a := api(t)
	checkNoLeak(t, func() {
		e := rejected(t, call(t, "read", 42))
		assert.Equal(t, "TypeError", str(t, e, "name"))
		assert.Equal(t, "streamdb: url must be a string, got number", str(t, e, "message"))

		e = rejected(t, call(t, "append", testserver.StreamURL(t), 7))
		assert.Contains(t, str(t, e, "message"), "data must be a Uint8Array or a string")

		e = rejected(t, call(t, "read", "http://x/", object(t, map[string]any{"live": "poll"})))
		assert.Contains(t, str(t, e, "message"), `options.live must be false, "long-poll" or "sse"`)

		e = rejected(t, call(t, "read", "http://x/", nil, "not a function"))
		assert.Contains(t, str(t, e, "message"), "onBatch must be a function")
	})

	// Panics anywhere in an export reject the Promise; the module goes on.
	require.NoError(t, b.async("testPanicInPrepare", func(context.Context, []jsval.Value) (runFunc, func(), error) {
		var m map[string]int
		//lint:ignore SA5000 the test needs a real runtime panic, not a panic call
		m["boom"]++
		return nil, nil, nil
	}))
	require.NoError(t, b.async("testPanicInRun", func(context.Context, []jsval.Value) (runFunc, func(), error) {
		return func() (any, error) { panic(fmt.Errorf("boom in run")) }, nil, nil
	}))
	checkNoLeak(t, func() {
		e := rejected(t, call(t, "testPanicInPrepare"))
		assert.Equal(t, "Error", str(t, e, "name"))
		assert.Contains(t, str(t, e, "message"), "streamdb: testPanicInPrepare: panic: assignment to entry in nil map")
		e = rejected(t, call(t, "testPanicInRun"))
		assert.Equal(t, "streamdb: testPanicInRun: panic: boom in run", str(t, e, "message"))
	})
	_, err := a.Call("version")
	require.NoError(t, err, "still alive")
}

func TestNoFuncLeakAndOrderUnderLoad(t *testing.T) {
	const n = 200
	url := createJSON(t)
	checkNoLeak(t, func() {
		jsonCT := object(t, map[string]any{"contentType": "application/json"})
		ps := make([]jsval.Value, n)
		for i := range ps {
			ps[i] = call(t, "append", url, fmt.Sprint(i), jsonCT)
		}
		for _, p := range ps {
			resolved(t, p)
		}
		for i := 0; i < n; i++ {
			res := resolved(t, call(t, "create", url, jsonCT))
			require.False(t, boolean(t, res, "created"))
		}
	})
	log := newBatchLog(t)
	resolved(t, call(t, "read", url, nil, log.fn))
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprint(i)
	}
	assert.Equal(t, "["+strings.Join(want, ",")+"]", strings.ReplaceAll(string(log.data), "][", ","),
		"appends made without awaiting land in call order")
}
