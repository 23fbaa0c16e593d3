//go:build !js

package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
)

func TestDecodeCommand(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		check   func(t *testing.T, c *command)
		wantErr string
	}{
		{
			name: "init",
			line: `{"type":"init","serverUrl":"http://127.0.0.1:1234"}`,
			check: func(t *testing.T, c *command) {
				assert.Equal(t, "init", c.Type)
				assert.Equal(t, "http://127.0.0.1:1234", c.ServerURL)
			},
		},
		{
			name: "append keeps a big seq exact and tells absent data from empty",
			line: `{"type":"append","path":"/s","data":"","binary":false,"seq":9007199254740991,"headers":{"X-A":"1"}}`,
			check: func(t *testing.T, c *command) {
				assert.Equal(t, "9007199254740991", c.Seq.String())
				require.NotNil(t, c.Data)
				assert.Equal(t, "", *c.Data)
				assert.Equal(t, map[string]string{"X-A": "1"}, c.Headers)
			},
		},
		{
			name: "read options",
			line: `{"type":"read","path":"/s","offset":"now","live":"sse","timeoutMs":500,"maxChunks":1,"waitForUpToDate":true}`,
			check: func(t *testing.T, c *command) {
				assert.Equal(t, "now", c.Offset)
				require.NotNil(t, c.TimeoutMs)
				assert.EqualValues(t, 500, *c.TimeoutMs)
				require.NotNil(t, c.MaxChunks)
				assert.Equal(t, 1, *c.MaxChunks)
				assert.True(t, c.WaitForUpToDate)
				assert.Nil(t, c.Data)
			},
		},
		{
			name: "producer batch",
			line: `{"type":"idempotent-append-batch","path":"/s","items":["a","b"],"producerId":"p","epoch":3,"autoClaim":true,"maxInFlight":5}`,
			check: func(t *testing.T, c *command) {
				assert.Equal(t, []string{"a", "b"}, c.Items)
				assert.Equal(t, "p", c.ProducerID)
				assert.EqualValues(t, 3, c.Epoch)
				assert.True(t, c.AutoClaim)
				require.NotNil(t, c.MaxInFlight)
				assert.Equal(t, 5, *c.MaxInFlight)
			},
		},
		{
			name: "validate target",
			line: `{"type":"validate","target":{"target":"retry-options","multiplier":0.5}}`,
			check: func(t *testing.T, c *command) {
				require.NotNil(t, c.Target)
				assert.Equal(t, "retry-options", c.Target.Target)
				require.NotNil(t, c.Target.Multiplier)
				assert.Equal(t, 0.5, *c.Target.Multiplier)
				assert.Nil(t, c.Target.MaxRetries)
			},
		},
		{
			name: "unknown fields are ignored",
			line: `{"type":"head","path":"/s","somethingNew":[1,2]}`,
			check: func(t *testing.T, c *command) {
				assert.Equal(t, "head", c.Type)
			},
		},
		{name: "not JSON", line: `hello`, wantErr: "malformed command"},
		{name: "no type", line: `{"path":"/s"}`, wantErr: "no type"},
		{name: "two values", line: `{"type":"head"} {"type":"head"}`, wantErr: "more than one"},
		{name: "wrong field type", line: `{"type":"read","maxChunks":"many"}`, wantErr: "malformed command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeCommand([]byte(tt.line))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestLiveMode(t *testing.T) {
	tests := []struct {
		raw     string
		want    liveMode
		wantErr bool
	}{
		{raw: ``, want: liveOff},
		{raw: `null`, want: liveOff},
		{raw: `false`, want: liveOff},
		{raw: `true`, want: liveAuto},
		{raw: `"long-poll"`, want: liveLongPoll},
		{raw: `"sse"`, want: liveSSE},
		{raw: `"auto"`, want: liveAuto},
		{raw: `"websocket"`, wantErr: true},
		{raw: `1`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			c := &command{Live: []byte(tt.raw)}
			got, err := c.live()
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMapError(t *testing.T) {
	h409closed := stream.Header{"stream-closed": "true"}
	tests := []struct {
		name       string
		err        error
		wantCode   string
		wantStatus int
	}{
		{"not found", &stream.Error{Code: stream.CodeNotFound, Op: "read", Status: 404}, errNotFound, 404},
		{"gone on read", &stream.Error{Code: stream.CodeGone, Op: "read", Status: 410}, errInvalidOffset, 410},
		{"gone on append", &stream.Error{Code: stream.CodeGone, Op: "append", Status: 410}, errNotFound, 410},
		{"conflict", &stream.Error{Code: stream.CodeConflict, Op: "create", Status: 409}, errConflict, 409},
		{"seq conflict", &stream.Error{Code: stream.CodeSeqConflict, Status: 409}, errSeqConflict, 409},
		{"producer seq gap", &stream.Error{Code: stream.CodeProducerSeqGap, Status: 409}, errSeqConflict, 409},
		{"closed", &stream.Error{Code: stream.CodeStreamClosed, Status: 409, Header: h409closed}, errStreamClosed, 409},
		{"invalid offset", &stream.Error{Code: stream.CodeInvalidOffset, Status: 400}, errInvalidOffset, 400},
		{"parse", &stream.Error{Code: stream.CodeParse, Status: 200}, errParse, 200},
		{"protocol", &stream.Error{Code: stream.CodeProtocol, Status: 200}, errParse, 200},
		{"network", &stream.Error{Code: stream.CodeNetwork, Err: errors.New("reset")}, errNetwork, 0},
		{"deadline", &stream.Error{Code: stream.CodeNetwork, Err: context.DeadlineExceeded}, errTimeout, 0},
		{"invalid argument", &stream.Error{Code: stream.CodeInvalidArgument}, errInvalidArgument, 0},
		{"not supported", &stream.Error{Code: stream.CodeNotSupported, Status: 405}, errNotSupported, 405},
		{"busy after retries", &stream.Error{Code: stream.CodeBusy, Status: 503}, errUnexpected, 503},
		{"rate limited", &stream.Error{Code: stream.CodeRateLimited, Status: 429}, errUnexpected, 429},
		{"bad request", &stream.Error{Code: stream.CodeBadRequest, Status: 400}, errUnexpected, 400},
		{"fenced", &stream.Error{Code: stream.CodeProducerFenced, Status: 403}, errUnexpected, 403},
		{"unexpected", &stream.Error{Code: stream.CodeUnexpected, Status: 302}, errUnexpected, 302},
		{"reader closed", &stream.Error{Code: stream.CodeClosed}, errInternal, 0},
		{"wrapped", fmt.Errorf("context: %w", &stream.Error{Code: stream.CodeNotFound, Status: 404}), errNotFound, 404},
		{"adapter error", &adapterError{code: errInvalidArgument, status: 400, message: "empty"}, errInvalidArgument, 400},
		{"plain error", errors.New("boom"), errInternal, 0},
		{"plain deadline", context.DeadlineExceeded, errTimeout, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, status := mapError(tt.err)
			assert.Equal(t, tt.wantCode, code)
			assert.Equal(t, tt.wantStatus, status)
		})
	}
}

func TestErrorResult(t *testing.T) {
	err := &stream.Error{Code: stream.CodeNotFound, Op: "read", URL: "http://h/my-stream", Status: 404}
	r := errorResult("read", err)
	assert.Equal(t, result{
		"type":        "error",
		"success":     false,
		"commandType": "read",
		"errorCode":   errNotFound,
		"message":     err.Error(),
		"status":      404,
	}, r)
	assert.Contains(t, r["message"], "my-stream")

	r = errorResult("append", &stream.Error{Code: stream.CodeNetwork})
	assert.NotContains(t, r, "status", "no response, no status")
}

func TestChunkData(t *testing.T) {
	tests := []struct {
		name     string
		ct       string
		data     string
		want     string
		wantKeep bool
		wantErr  bool
	}{
		{name: "bytes as they are", ct: "text/plain", data: "hello world\n", want: "hello world\n", wantKeep: true},
		{name: "binary", ct: "application/octet-stream", data: "\x00\x01", want: "\x00\x01", wantKeep: true},
		{name: "empty body", ct: "text/plain", data: "", wantKeep: false},
		{name: "json compacted", ct: "application/json", data: `[{"message": "hello"}]`, want: `[{"message":"hello"}]`, wantKeep: true},
		{name: "json key order kept", ct: "application/json", data: "[ {\"z\": 1,\n \"a\": [1, 2, 3]} , 5 ]", want: `[{"z":1,"a":[1,2,3]},5]`, wantKeep: true},
		{name: "json strings untouched", ct: "application/json; charset=utf-8", data: `["a  b", "<&>", "\u2028"]`, want: `["a  b","<&>","\u2028"]`, wantKeep: true},
		{name: "empty json batch dropped", ct: "application/json", data: `[ ]`, wantKeep: false},
		{name: "broken json", ct: "application/json", data: `[{"a":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, keep, err := chunkData(&stream.Batch{Data: []byte(tt.data), ContentType: tt.ct})
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantKeep, keep)
			if keep {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestDynamicSet(t *testing.T) {
	now := time.UnixMilli(1700000000123)
	var d dynamicSet
	assert.Nil(t, d.resolve(now))

	require.NoError(t, d.set("X-Counter", "counter", "", true))
	require.NoError(t, d.set("Authorization", "token", "Bearer v1", true))
	require.NoError(t, d.set("X-Time", "timestamp", "", true))
	assert.Equal(t, map[string]string{"X-Counter": "1", "Authorization": "Bearer v1", "X-Time": "1700000000123"}, d.resolve(now))
	assert.Equal(t, "2", d.resolve(now)["X-Counter"])

	// Setting a name again replaces it: a new token, a fresh counter.
	require.NoError(t, d.set("Authorization", "token", "Bearer v2", true))
	require.NoError(t, d.set("X-Counter", "counter", "", true))
	got := d.resolve(now)
	assert.Equal(t, "Bearer v2", got["Authorization"])
	assert.Equal(t, "1", got["X-Counter"])

	assert.Error(t, d.set("p", "token", "x", false), "params have no tokens")
	assert.Error(t, d.set("p", "random", "", true))
	assert.Error(t, d.set("", "counter", "", true))

	d.clear()
	assert.Nil(t, d.resolve(now))
}

func TestRequestHeaders(t *testing.T) {
	a := &adapter{now: time.Now}
	require.NoError(t, a.headers.set("X-Request-Counter", "counter", "", true))
	require.NoError(t, a.headers.set("Authorization", "token", "Bearer dyn", true))

	h, sent := a.requestHeaders(map[string]string{"authorization": "Bearer explicit", "X-Other": "o"})
	assert.Equal(t, "1", h.Get("X-Request-Counter"))
	assert.Equal(t, "Bearer explicit", h.Get("Authorization"), "the command's headers win")
	assert.Equal(t, "o", h.Get("X-Other"))
	assert.Equal(t, map[string]string{"X-Request-Counter": "1", "Authorization": "Bearer explicit"}, sent)

	_, sent = a.requestHeaders(nil)
	assert.Equal(t, "2", sent["X-Request-Counter"])
}

func TestValidate(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	s := func(v string) *string { return &v }
	tests := []struct {
		name         string
		target       validateTarget
		wantContains string // "" when valid
	}{
		{"retry valid", validateTarget{Target: "retry-options", MaxRetries: f(3), InitialDelayMs: f(100), MaxDelayMs: f(5000), Multiplier: f(2)}, ""},
		{"retry defaults", validateTarget{Target: "retry-options"}, ""},
		{"retry negative maxRetries", validateTarget{Target: "retry-options", MaxRetries: f(-1)}, "maxRetries"},
		{"retry zero initial delay", validateTarget{Target: "retry-options", InitialDelayMs: f(0)}, "initialDelayMs"},
		{"retry negative initial delay", validateTarget{Target: "retry-options", InitialDelayMs: f(-100)}, "initialDelayMs"},
		{"retry max below initial", validateTarget{Target: "retry-options", InitialDelayMs: f(1000), MaxDelayMs: f(500)}, "maxDelayMs"},
		{"retry small multiplier", validateTarget{Target: "retry-options", Multiplier: f(0.5)}, "multiplier"},
		{"producer valid", validateTarget{Target: "idempotent-producer", ProducerID: s("test-producer"), Epoch: f(0), MaxBatchBytes: f(1 << 20)}, ""},
		{"producer zero batch bytes means default", validateTarget{Target: "idempotent-producer", ProducerID: s("p"), MaxBatchBytes: f(0)}, ""},
		{"producer negative epoch", validateTarget{Target: "idempotent-producer", ProducerID: s("p"), Epoch: f(-1)}, "epoch"},
		{"producer negative batch bytes", validateTarget{Target: "idempotent-producer", ProducerID: s("p"), MaxBatchBytes: f(-1)}, "maxBatchBytes"},
		{"producer negative batch items", validateTarget{Target: "idempotent-producer", ProducerID: s("p"), MaxBatchItems: f(-1)}, "maxBatchItems"},
		{"producer empty id", validateTarget{Target: "idempotent-producer", ProducerID: s("")}, "producerId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			res, err := validate(&command{Type: "validate", Target: &target})
			if tt.wantContains == "" {
				require.NoError(t, err)
				assert.Equal(t, ok("validate"), res)
				return
			}
			require.Error(t, err)
			code, _ := mapError(err)
			assert.Equal(t, errInvalidArgument, code)
			assert.Contains(t, err.Error(), tt.wantContains)
		})
	}
}
