//go:build js && wasm && streamdb_ws

package main

import (
	"context"
	"strconv"
	"sync"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsclient"
)

func init() {
	g := &wsGateways{clients: map[string]*wsclient.Client{}}
	gatewaySource, gatewayAppend = g.source, g.appendThrough
}

// wsGateways holds one socket per gateway URL, shared by every StreamDB of
// the page (the module is one per page).
type wsGateways struct {
	mu      sync.Mutex
	clients map[string]*wsclient.Client
}

func (g *wsGateways) client(url string) *wsclient.Client {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.clients[url]
	if c == nil {
		c = wsclient.New(wsclient.Options{URL: url})
		g.clients[url] = c
	}
	return c
}

func (g *wsGateways) source(gateway, streamURL string) (db.Source, error) {
	path, err := wsclient.PathOf(streamURL)
	if err != nil {
		return nil, err
	}
	return g.client(gateway).Source(path), nil
}

// appendThrough is append over the gateway's socket: the socket keeps the
// order of the calls, made here inside the callback, and the upstream's
// idempotent producer applies each append once through reconnects.
func (g *wsGateways) appendThrough(ctx context.Context, gateway, url string, values [][]byte, h stream.Header) (runFunc, error) {
	path, err := wsclient.PathOf(url)
	if err != nil {
		return nil, err
	}
	// Each value is one message, as over HTTP: the gateway posts data as
	// the body, where a JSON array is a batch of messages.
	if len(values) == 0 {
		return nil, &stream.Error{Code: stream.CodeInvalidArgument, Op: "append", URL: url, Message: "empty batch: the protocol rejects empty appends"}
	}
	size := 2
	for i, v := range values {
		if err := jsonscan.Check(v); err != nil {
			return nil, &stream.Error{Code: stream.CodeInvalidArgument, Op: "append", URL: url, Message: "value " + strconv.Itoa(i) + " is not one JSON value", Err: err}
		}
		size += len(v) + 1
	}
	body := make([]byte, 0, size)
	body = append(body, '[')
	for i, v := range values {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, v...)
	}
	body = append(body, ']')
	wait, err := g.client(gateway).Send(path, body, h)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		res, err := wait(ctx)
		if err != nil {
			return nil, err
		}
		return obj{"offset": res.Offset}, nil
	}, nil
}
