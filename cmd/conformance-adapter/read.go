//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/streamdb/streamdb/core/stream"
)

// chunk is one non-empty batch of a read result.
type chunk struct {
	Data   string `json:"data"`
	Offset string `json:"offset,omitempty"`
}

// read runs a read command.
//
// A catch-up read (live absent or false) reads until up to date. A live
// read (long-poll, sse, or true for auto, which long-polls) goes on until
// maxChunks non-empty chunks have come, or an up-to-date batch when
// waitForUpToDate is set, or the stream is closed, or timeoutMs elapses; a
// timeout is not an error.
func (a *adapter) read(ctx context.Context, c *command) (result, error) {
	mode, err := c.live()
	if err != nil {
		return nil, invalidArgument("read %s: %v", c.Path, err)
	}
	maxChunks := defaultMaxChunks
	if c.MaxChunks != nil && *c.MaxChunks > 0 {
		maxChunks = *c.MaxChunks
	}
	timeout := defaultReadTimeout
	if c.TimeoutMs != nil && *c.TimeoutMs > 0 {
		timeout = time.Duration(*c.TimeoutMs) * time.Millisecond
	}
	var live stream.LiveMode
	switch mode {
	case liveLongPoll, liveAuto:
		live = stream.LiveLongPoll
	case liveSSE:
		live = stream.LiveSSE
	default:
		// A catch-up read is bounded like any other command, not by
		// timeoutMs: it must return its data or its error.
		timeout = commandTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	h, headersSent := a.requestHeaders(c.Headers)
	params := a.params.resolve(a.now())
	s := a.stream(c.Path, nil)
	r, err := s.Read(ctx, stream.ReadOptions{Offset: c.Offset, Live: live, Header: h, Params: params})
	if err != nil {
		return nil, err
	}
	defer r.Close()

	chunks := []chunk{}
	status := 200
	timedOut := false
	for len(chunks) < maxChunks {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if live != stream.LiveOff && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				timedOut = true
				break
			}
			return nil, err
		}
		status = b.Status
		data, keep, err := chunkData(b)
		if err != nil {
			return nil, &stream.Error{Code: stream.CodeParse, Op: "read", URL: s.URL(), Offset: b.Offset,
				Status: b.Status, Message: "batch is not valid JSON", Err: err}
		}
		if keep {
			chunks = append(chunks, chunk{Data: data, Offset: b.Offset})
		}
		if live != stream.LiveOff && c.WaitForUpToDate && b.UpToDate {
			break
		}
	}
	if ct := r.ContentType(); ct != "" && a.contentTypes[c.Path] == "" {
		a.contentTypes[c.Path] = ct
	}

	out := ok(c.Type)
	out["status"] = status
	out["chunks"] = chunks
	out["offset"] = r.Offset()
	out["upToDate"] = r.UpToDate() || timedOut
	out["streamClosed"] = r.Closed()
	if cur := r.Cursor(); cur != "" {
		out["cursor"] = cur
	}
	addSent(out, headersSent, params)
	return out, nil
}

// chunkData returns the data of a batch as the protocol reports it, and
// whether the batch is worth a chunk at all. A JSON-mode batch becomes a
// compact JSON array, its values in their original form and key order;
// an empty one ([]) is dropped. Other batches are their bytes as a string.
func chunkData(b *stream.Batch) (string, bool, error) {
	if len(b.Data) == 0 {
		return "", false, nil
	}
	if !stream.IsJSON(b.ContentType) {
		return string(b.Data), true, nil
	}
	s, err := compactJSON(b.Data)
	if err != nil {
		return "", false, err
	}
	return s, s != "[]", nil
}

// compactJSON removes the insignificant white space of a JSON text,
// keeping everything else as it is.
func compactJSON(data []byte) (string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}
