//go:build js && wasm

package main

import (
	"context"
	"errors"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/internal/strfmt"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// jsStore is a db.Store over the shim's snapshot store (js/persist.js:
// OPFS, IndexedDB or a file in Node). Each call awaits the store's
// Promise from the database's goroutines, never from a callback; the bytes
// cross in bulk, once per piece.
type jsStore struct {
	b *bridge
	v jsval.Value
}

// Load copies the stored snapshot into Go; nil when there is none.
func (s *jsStore) Load(ctx context.Context) ([]byte, error) {
	v, err := s.b.awaitMethod(ctx, s.v, "load")
	if err != nil {
		return nil, err
	}
	if v.Type() != jsval.TypeObject {
		return nil, nil // null: no snapshot
	}
	n, err := v.Length()
	if err != nil {
		return nil, strfmt.Errorf("snapshot store: load: %w", err)
	}
	// Copied in pieces, with the page let run between them: one copy of a
	// large snapshot (123 MiB at 1M rows) would hold the main thread for
	// half a second.
	buf := make([]byte, n)
	for at := 0; at < n; at += loadPiece {
		end := min(n, at+loadPiece)
		piece, err := v.Call("subarray", at, end)
		if err == nil {
			_, err = jsval.CopyBytesToGo(buf[at:end], piece)
		}
		if err != nil {
			return nil, strfmt.Errorf("snapshot store: load did not give a Uint8Array: %w", err)
		}
		if end < n {
			s.b.yieldToPage()
		}
	}
	return buf, nil
}

// loadPiece is how much of a snapshot one copy into Go takes.
const loadPiece = 4 << 20

// Create begins a snapshot; nil when another tab is writing one. It waits
// for begin() even when ctx ends meanwhile (the db closed): the writer
// begin() gives holds the snapshot's lock, and is aborted then, so that no
// later save (of this page or another tab) finds the lock taken for good.
func (s *jsStore) Create(ctx context.Context) (db.SnapshotWriter, error) {
	v, err := s.b.awaitMethod(context.WithoutCancel(ctx), s.v, "begin")
	if err != nil {
		return nil, err
	}
	if v.Type() != jsval.TypeObject {
		return nil, nil
	}
	w := &jsWriter{s: s, v: v, ctx: ctx}
	if err := ctx.Err(); err != nil {
		_ = w.Abort()
		return nil, err
	}
	return w, nil
}

// Remove deletes the stored snapshot.
func (s *jsStore) Remove(ctx context.Context) error {
	_, err := s.b.awaitMethod(ctx, s.v, "remove")
	return err
}

// jsWriter hands each piece of a snapshot to the store's writer as a
// Uint8Array of its own.
type jsWriter struct {
	s   *jsStore
	v   jsval.Value
	ctx context.Context
}

func (w *jsWriter) Write(p []byte) (int, error) {
	u8, err := w.s.b.uint8ArrayCtor.New(len(p))
	if err != nil {
		return 0, err
	}
	if _, err := jsval.CopyBytesToJS(u8, p); err != nil {
		return 0, err
	}
	if _, err := w.s.b.awaitMethod(w.ctx, w.v, "write", u8); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *jsWriter) Commit() error {
	_, err := w.s.b.awaitMethod(w.ctx, w.v, "commit")
	return err
}

func (w *jsWriter) Abort() error {
	// The save may have ended because the db closed: the writer still
	// has to let go of its lock and its temporary file.
	_, err := w.s.b.awaitMethod(context.WithoutCancel(w.ctx), w.v, "abort")
	return err
}

// save: dbSave(handle) → Promise of the SaveInfo text.
func (a *dbAPI) save(ctx context.Context, args []jsval.Value) (runFunc, func(), error) {
	h := a.handle(arg(args, 0))
	return func() (any, error) {
		info, err := h.d.Save(ctx)
		if err != nil {
			if errors.Is(err, db.ErrNotReady) {
				return nil, &jswire.UsageError{Msg: "saveSnapshot: the StreamDB has not finished its preload"}
			}
			return nil, err
		}
		return string(jswire.SaveInfo(info)), nil
	}, nil, nil
}
