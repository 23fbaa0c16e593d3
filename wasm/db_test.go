//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hack-pad/safejs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// callSync calls a synchronous export and returns its result; an Error
// result fails the test unless wantErr.
func callSync(t *testing.T, method string, args ...any) safejs.Value {
	t.Helper()
	_, a := api(t)
	v, err := a.Call(method, args...)
	require.NoError(t, err, "api.%s threw", method)
	return v
}

// errorOf returns the name and message of an Error result, or "" when v is
// not an Error.
func errorOf(t *testing.T, v safejs.Value) (name, msg string) {
	t.Helper()
	errCtor, err := safejs.Global().Get("Error")
	require.NoError(t, err)
	if ok, _ := v.InstanceOf(errCtor); !ok {
		return "", ""
	}
	return str(t, v, "name"), str(t, v, "message")
}

// stepLog records the JSON steps a db delivers through onStep.
type stepLog struct {
	mu    sync.Mutex
	steps []string
	fn    safejs.Func
}

func newStepLog(t *testing.T) *stepLog {
	l := &stepLog{}
	fn, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		s, _ := args[0].String()
		l.mu.Lock()
		l.steps = append(l.steps, s)
		l.mu.Unlock()
		return nil
	})
	require.NoError(t, err)
	l.fn = fn
	t.Cleanup(fn.Release)
	return l
}

func (l *stepLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.steps...)
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
		ID      int                  `json:"id"`
		Ordered bool                 `json:"ordered"`
		Rows    [][2]json.RawMessage `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(s), &opened))
	assert.True(t, opened.Ordered)
	require.Len(t, opened.Rows, 1)
	assert.Equal(t, `"\"1\""`, string(opened.Rows[0][0]), "keys cross as JSON text")
	assert.JSONEq(t, `{"name":"Kyle"}`, string(opened.Rows[0][1]))

	resolved(t, call(t, "append", url, `{"type":"user","key":"2","value":{"id":"2","name":"Sam","age":40},"headers":{"operation":"insert"}}`, nil))
	deadline := time.Now().Add(10 * time.Second)
	for len(steps.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.NotEmpty(t, steps.all(), "a step")
	assert.JSONEq(t, fmt.Sprintf(`{"c":{},"q":[[%d,[["i","\"2\"",{"name":"Sam"},null,-1,0]]]]}`, opened.ID), steps.all()[0],
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
