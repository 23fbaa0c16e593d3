//go:build !js

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/internal/testserver"
	"github.com/streamdb/streamdb/nethttp"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// loop runs the adapter's command loop in-process over pipes.
type loop struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *bufio.Reader
	done chan error
}

func startLoop(t *testing.T) *loop {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	l := &loop{t: t, in: inW, out: bufio.NewReader(outR), done: make(chan error, 1)}
	go func() {
		err := newAdapter(nethttp.New()).serve(context.Background(), inR, outW)
		outW.Close()
		l.done <- err
	}()
	t.Cleanup(func() { inW.Close() })
	return l
}

// send writes one command line and returns the decoded reply line.
func (l *loop) send(cmd string) map[string]any {
	l.t.Helper()
	_, err := io.WriteString(l.in, cmd+"\n")
	require.NoError(l.t, err)
	line, err := l.out.ReadString('\n')
	require.NoError(l.t, err, "reply to %s", cmd)
	var res map[string]any
	require.NoError(l.t, json.Unmarshal([]byte(line), &res), "reply line %q", line)
	return res
}

func TestCommandLoopAgainstReferenceServer(t *testing.T) {
	base := testserver.URL(t)
	path := strings.TrimPrefix(testserver.StreamURL(t), base)
	l := startLoop(t)
	cmd := func(format string, args ...any) map[string]any {
		t.Helper()
		// %q quotes like JSON for the ASCII strings used here.
		return l.send(fmt.Sprintf(format, args...))
	}

	res := cmd(`{"type":"init","serverUrl":%q}`, base)
	assert.Equal(t, "init", res["type"])
	assert.Equal(t, true, res["success"])
	features, _ := res["features"].(map[string]any)
	for _, f := range []string{"batching", "sse", "longPoll", "auto", "streaming", "dynamicHeaders", "retryOptions"} {
		assert.Equal(t, true, features[f], f)
	}
	assert.NotContains(t, features, "strictZeroValidation")
	assert.NotContains(t, features, "batchItems")

	res = cmd(`{"type":"create","path":%q,"contentType":"application/json"}`, path)
	assert.Equal(t, map[string]any{"type": "create", "success": true, "status": 201.0, "offset": res["offset"]}, res)
	res = cmd(`{"type":"create","path":%q,"contentType":"application/json"}`, path)
	assert.Equal(t, 200.0, res["status"], "same config again")

	res = cmd(`{"type":"append","path":%q,"data":"{\"z\": 1, \"a\": [1, 2]}","binary":false}`, path)
	assert.Equal(t, "append", res["type"])
	assert.Equal(t, true, res["success"])
	assert.Equal(t, 200.0, res["status"])
	assert.NotEmpty(t, res["offset"])
	res = cmd(`{"type":"append","path":%q,"data":"[1,2,3]","binary":false}`, path)
	assert.Equal(t, 200.0, res["status"])
	appended := res["offset"]

	res = cmd(`{"type":"read","path":%q,"offset":"-1"}`, path)
	assert.Equal(t, map[string]any{
		"type": "read", "success": true, "status": 200.0,
		"chunks":   []any{map[string]any{"data": `[{"z":1,"a":[1,2]},[1,2,3]]`, "offset": appended}},
		"offset":   appended,
		"upToDate": true, "streamClosed": false,
	}, res)

	res = cmd(`{"type":"head","path":%q}`, path)
	assert.Equal(t, map[string]any{
		"type": "head", "success": true, "status": 200.0,
		"offset": appended, "contentType": "application/json", "streamClosed": false,
	}, res)

	// A live read that times out at the tail is a success, not an error.
	start := time.Now()
	res = cmd(`{"type":"read","path":%q,"offset":%q,"live":"long-poll","timeoutMs":300}`, path, appended)
	assert.Less(t, time.Since(start), testserver.SharedLongPollMS*time.Millisecond, "stopped at timeoutMs")
	assert.Equal(t, map[string]any{
		"type": "read", "success": true, "status": 200.0,
		"chunks": []any{}, "offset": appended,
		"upToDate": true, "streamClosed": false,
	}, res)

	res = cmd(`{"type":"close","path":%q,"data":"{\"end\":true}"}`, path)
	assert.Equal(t, "close", res["type"])
	assert.Equal(t, true, res["success"])
	final := res["finalOffset"]
	assert.NotEmpty(t, final)
	assert.NotEqual(t, appended, final)

	res = cmd(`{"type":"read","path":%q,"offset":%q,"live":"long-poll","timeoutMs":3000}`, path, appended)
	assert.Equal(t, map[string]any{
		"type": "read", "success": true, "status": 200.0,
		"chunks":   []any{map[string]any{"data": `[{"end":true}]`, "offset": final}},
		"offset":   final,
		"upToDate": true, "streamClosed": true,
	}, res)

	res = cmd(`{"type":"append","path":%q,"data":"1","binary":false}`, path)
	assert.Equal(t, "error", res["type"])
	assert.Equal(t, "append", res["commandType"])
	assert.Equal(t, "STREAM_CLOSED", res["errorCode"])
	assert.Equal(t, 409.0, res["status"])

	res = cmd(`{"type":"head","path":%q}`, path)
	assert.Equal(t, true, res["streamClosed"])

	res = cmd(`{"type":"delete","path":%q}`, path)
	assert.Equal(t, map[string]any{"type": "delete", "success": true, "status": 200.0}, res)

	res = cmd(`{"type":"head","path":%q}`, path)
	assert.Equal(t, "error", res["type"])
	assert.Equal(t, "head", res["commandType"])
	assert.Equal(t, "NOT_FOUND", res["errorCode"])
	assert.Equal(t, 404.0, res["status"])
	assert.Contains(t, res["message"], strings.TrimPrefix(path, "/"))

	res = cmd(`{"type":"frobnicate"}`)
	assert.Equal(t, "NOT_SUPPORTED", res["errorCode"])

	res = cmd(`{"type":"shutdown"}`)
	assert.Equal(t, map[string]any{"type": "shutdown", "success": true}, res)
	select {
	case err := <-l.done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not stop after shutdown")
	}
}
