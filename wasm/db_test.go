//go:build js && wasm

package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// callSync calls a synchronous export and returns its result; an Error
// result fails the test unless wantErr.
func callSync(t *testing.T, method string, args ...any) jsval.Value {
	t.Helper()
	_, a := api(t)
	v, err := a.Call(method, args...)
	require.NoError(t, err, "api.%s threw", method)
	return v
}

// errorOf returns the name and message of an Error result, or "" when v is
// not an Error.
func errorOf(t *testing.T, v jsval.Value) (name, msg string) {
	t.Helper()
	errCtor, err := jsval.Global().Get("Error")
	require.NoError(t, err)
	if ok, _ := v.InstanceOf(errCtor); !ok {
		return "", ""
	}
	return str(t, v, "name"), str(t, v, "message")
}

// callLog records what a JS callback (fn) is called with, as text.
type callLog struct {
	mu      sync.Mutex
	entries []string
	fn      jsval.Func
}

// newCallLog returns a callLog that records text(first argument).
func newCallLog(t *testing.T, text func(jsval.Value) string) *callLog {
	l := &callLog{}
	fn, err := jsval.FuncOf(func(_ jsval.Value, args []jsval.Value) any {
		s := text(args[0])
		l.mu.Lock()
		l.entries = append(l.entries, s)
		l.mu.Unlock()
		return nil
	})
	require.NoError(t, err)
	l.fn = fn
	t.Cleanup(fn.Release)
	return l
}

// newStepLog records the JSON steps a db delivers through onStep.
func newStepLog(t *testing.T) *callLog {
	return newCallLog(t, func(v jsval.Value) string { s, _ := v.String(); return s })
}

// newErrorLog records the messages of the Errors a db reports through
// onError.
func newErrorLog(t *testing.T) *callLog {
	return newCallLog(t, func(v jsval.Value) string {
		m, _ := v.Get("message")
		s, _ := m.String()
		return s
	})
}

func (l *callLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.entries...)
}

// waitFor returns the entries once one contains want (10 s at most).
func (l *callLog) waitFor(t *testing.T, want string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries := l.all()
		for _, e := range entries {
			if strings.Contains(e, want) {
				return entries
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no entry containing %q; got %q", want, entries)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dbConfig(url string) string {
	return fmt.Sprintf(`{"url":%q,"live":"long-poll","collections":[{"name":"users","type":"user","primaryKey":"id"}]}`, url)
}

// Opening and closing a database a thousand times leaves no js.Func, no
// handle and no goroutine behind.
func TestDBOpenCloseLeaksNothing(t *testing.T) {
	b, _ := api(t)
	url := createJSON(t)
	steps := newStepLog(t)
	// One round first, so that lazily started runtime goroutines exist.
	h := callSync(t, "dbOpen", dbConfig(url), steps.fn, nil, nil)
	callSync(t, "dbRelease", h)
	runtime.GC()
	goroutines := runtime.NumGoroutine()
	checkNoLeak(t, func() {
		for i := range 1000 {
			h := callSync(t, "dbOpen", dbConfig(url), steps.fn, nil, nil)
			if i%100 == 0 { // some of them read the stream too
				resolved(t, call(t, "dbPreload", h))
			}
			callSync(t, "dbClose", h)
			callSync(t, "dbRelease", h)
		}
	})
	b.dbs.mu.Lock()
	open := len(b.dbs.dbs)
	b.dbs.mu.Unlock()
	assert.Zero(t, open, "open handles")
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), goroutines+2, "goroutines after 1000 open/close")
}

// A live query's first result comes back from queryOpen, and each later
// stream batch reaches JS as one step carrying the query's changes with
// their ranks.
func TestDBLiveQueryStep(t *testing.T) {
	url := createJSON(t)
	resolved(t, call(t, "append", url, `{"type":"user","key":"1","value":{"id":"1","name":"Kyle","age":30},"headers":{"operation":"insert"}}`, nil))
	steps := newStepLog(t)
	h := callSync(t, "dbOpen", dbConfig(url), steps.fn, nil, nil)
	defer callSync(t, "dbClose", h)
	resolved(t, call(t, "dbPreload", h))
	size, _ := callSync(t, "collSize", h, "users").Int()
	require.Equal(t, 1, size, "the user is in after preload")

	ir := `{"from":{"alias":"u","collection":"users"},"select":[{"field":"name","expr":{"type":"ref","path":["u","name"]}}],"orderBy":[{"expr":{"type":"ref","path":["u","age"]},"direction":"desc"}]}`
	res := callSync(t, "queryOpen", h, ir)
	name, msg := errorOf(t, res)
	require.Empty(t, name, msg)
	s, _ := res.String()
	var opened struct {
		ID      int               `json:"id"`
		Ordered bool              `json:"ordered"`
		Special bool              `json:"special"`
		Keys    []json.RawMessage `json:"keys"`
		Rows    []json.RawMessage `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(s), &opened))
	assert.True(t, opened.Ordered)
	assert.False(t, opened.Special)
	require.Len(t, opened.Rows, 1)
	require.Len(t, opened.Keys, 1)
	assert.Equal(t, `"1"`, string(opened.Keys[0]), "a string key crosses as itself")
	assert.JSONEq(t, `{"name":"Kyle"}`, string(opened.Rows[0]))

	resolved(t, call(t, "append", url, `{"type":"user","key":"2","value":{"id":"2","name":"Sam","age":40},"headers":{"operation":"insert"}}`, nil))
	deadline := time.Now().Add(10 * time.Second)
	for len(steps.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.NotEmpty(t, steps.all(), "a step")
	assert.JSONEq(t, fmt.Sprintf(`{"c":{},"q":[[%d,[["i","2",{"name":"Sam"},-1,0]]]]}`, opened.ID), steps.all()[0],
		"Sam is older: rank 0")
	callSync(t, "queryClose", h, opened.ID)
}

// Wrong calls return Errors naming the problem, and never take the module
// down.
func TestDBErrors(t *testing.T) {
	url := createJSON(t)
	h := callSync(t, "dbOpen", dbConfig(url), nil, nil, nil)

	name, msg := errorOf(t, callSync(t, "queryOpen", h, `{"from":{"alias":"u","collection":"users"},"limit":1}`))
	assert.Equal(t, "QueryCompileError", name)
	assert.Contains(t, msg, "limit needs an orderBy")
	v := callSync(t, "queryOpen", h, `{"from":{"alias":"u","collection":"users"},"limit":1}`)
	assert.Equal(t, "limit", str(t, v, "clause"))

	name, msg = errorOf(t, callSync(t, "collGet", h, "nope", "1"))
	assert.Equal(t, "StreamDBError", name)
	assert.Contains(t, msg, `unknown collection "nope"`)

	name, _ = errorOf(t, callSync(t, "dbOpen", `{"url":""}`, nil, nil, nil))
	assert.Equal(t, "TypeError", name)

	tx := callSync(t, "txBegin", h, nil)
	name, msg = errorOf(t, callSync(t, "txMutate", h, tx, "insert", "users", "", `{"name":"no key"}`))
	assert.Equal(t, "StreamDBError", name)
	assert.Contains(t, msg, "primary key")
	name, _ = errorOf(t, callSync(t, "txMutate", h, tx, "insert", "users", "", `not json`))
	assert.Equal(t, "TypeError", name)

	callSync(t, "dbClose", h)
	size := callSync(t, "collSize", h, "users")
	name, _ = errorOf(t, size)
	assert.Empty(t, name, "a closed db's collections stay readable")
	rejected(t, call(t, "dbPreload", h))
	callSync(t, "dbRelease", h)
	name, msg = errorOf(t, callSync(t, "collSize", h, "users"))
	assert.Equal(t, "StreamDBError", name)
	assert.True(t, strings.Contains(msg, "closed"), msg)
}

// A key or collection name sent as [JSON] (the shim's form of a string
// with a lone surrogate) reaches the row or collection stored under the
// same string, never the one of U+FFFD; a bad [JSON] is a TypeError.
func TestDBStoredStringArguments(t *testing.T) {
	h := callSync(t, "dbOpen", dbConfig(createJSON(t)), nil, nil, nil)
	t.Cleanup(func() { callSync(t, "dbRelease", h) })
	tx := callSync(t, "txBegin", h, nil)
	for _, row := range []string{`{"id":"\ud800","v":"high"}`, `{"id":"\udc00","v":"low"}`, `{"id":"\ufffd","v":"replacement"}`} {
		name, msg := errorOf(t, callSync(t, "txMutate", h, tx, "insert", "users", "", row))
		require.Empty(t, name, msg)
	}
	asJSON := func(text string) []any { return []any{text} }
	get := func(coll, key any) string {
		t.Helper()
		v := callSync(t, "collGet", h, coll, key)
		name, msg := errorOf(t, v)
		require.Empty(t, name, msg)
		if v.IsNull() || v.IsUndefined() {
			return ""
		}
		s, err := v.String()
		require.NoError(t, err)
		return s
	}
	assert.Contains(t, get("users", asJSON(`"\ud800"`)), `"high"`)
	assert.Contains(t, get(asJSON(`"users"`), asJSON(`"\udc00"`)), `"low"`)
	assert.Contains(t, get("users", "\ufffd"), `"replacement"`)
	assert.Empty(t, get("users", asJSON(`"\udbff"`)))
	has, _ := callSync(t, "collHas", h, "users", asJSON(`"\ud800"`)).Bool()
	assert.True(t, has)

	name, msg := errorOf(t, callSync(t, "txMutate", h, tx, "delete", "users", asJSON(`"\ud800"`)))
	require.Empty(t, name, msg)
	assert.Empty(t, get("users", asJSON(`"\ud800"`)), "deleted")
	assert.Contains(t, get("users", "\ufffd"), `"replacement"`, "the other rows stay")
	assert.Contains(t, get("users", asJSON(`"\udc00"`)), `"low"`)

	for _, bad := range [][]any{{`1`}, {`"a`}, {}, {1}} {
		name, msg := errorOf(t, callSync(t, "collGet", h, "users", bad))
		assert.Equal(t, "TypeError", name, "%v: %s", bad, msg)
		assert.Contains(t, msg, "key", "%v", bad)
	}
}

// thrower returns a JS function that throws an Error with message msg.
func thrower(t *testing.T, msg string) jsval.Value {
	t.Helper()
	ctor, err := jsval.Global().Get("Function")
	require.NoError(t, err)
	fn, err := ctor.New(fmt.Sprintf("throw new Error(%q)", msg))
	require.NoError(t, err)
	return fn
}

// An exception thrown by a callback the module calls (onStep, onProgress,
// onBatch) is not dropped: it reaches onError, and the db goes on.
func TestDBCallbackExceptionsReachOnError(t *testing.T) {
	for _, tc := range []struct {
		callback string
		arg      int // position in dbOpen's arguments
	}{
		{"onStep", 1},
		{"onProgress", 3},
		{"onBatch", 4},
	} {
		t.Run(tc.callback, func(t *testing.T) {
			url := createJSON(t)
			resolved(t, call(t, "append", url, `{"type":"user","key":"1","value":{"id":"1"},"headers":{"operation":"insert"}}`, nil))
			errs := newErrorLog(t)
			args := []any{dbConfig(url), nil, errs.fn, nil, nil}
			args[tc.arg] = thrower(t, tc.callback+" bug")
			h := callSync(t, "dbOpen", args...)
			defer callSync(t, "dbClose", h)
			resolved(t, call(t, "dbPreload", h))
			// A step needs a followed collection or a live query.
			callSync(t, "dbFollow", h, `["users"]`)
			resolved(t, call(t, "append", url, `{"type":"user","key":"2","value":{"id":"2"},"headers":{"operation":"insert"}}`, nil))
			msgs := errs.waitFor(t, tc.callback+" bug")
			assert.Contains(t, strings.Join(msgs, "\n"), "streamdb: "+tc.callback+" threw")
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				if n, _ := callSync(t, "collSize", h, "users").Int(); n == 2 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			n, _ := callSync(t, "collSize", h, "users").Int()
			assert.Equal(t, 2, n, "the db went on")
		})
	}
}

//go:embed main.go
var mainSource string

// main.go's doc lists every method of the API object, and nothing else.
func TestExportsDocumented(t *testing.T) {
	b := newTestBridge(t) // not the shared one, which tests add methods to
	defer b.shutdown()
	a := b.API()
	objectCtor, err := jsval.Global().Get("Object")
	require.NoError(t, err)
	keys, err := objectCtor.Call("keys", a)
	require.NoError(t, err)
	n, err := keys.Length()
	require.NoError(t, err)
	var exported []string
	for i := range n {
		k, _ := keys.Index(i)
		s, _ := k.String()
		exported = append(exported, s)
	}
	documented := regexp.MustCompile(`(?m)^//\t(\w+)\(`).FindAllStringSubmatch(mainSource, -1)
	var names []string
	for _, m := range documented {
		names = append(names, m[1])
	}
	require.NotEmpty(t, names, "main.go lists the exports as //\\tname(...)")
	assert.ElementsMatch(t, exported, names)
}
