//go:build !js

package db

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
)

// FileStore is a Store in one file. A snapshot is written to a temporary
// file beside it and renamed over it once complete and synced, so that a
// crash mid-write leaves the previous one.
type FileStore struct{ Path string }

// Load reads the file; nil when it does not exist.
func (f FileStore) Load(context.Context) ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Create opens a temporary file beside the snapshot.
func (f FileStore) Create(context.Context) (SnapshotWriter, error) {
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), filepath.Base(f.Path)+".*."+strconv.Itoa(os.Getpid())+".tmp")
	if err != nil {
		return nil, err
	}
	return &fileWriter{f: tmp, path: f.Path}, nil
}

// Remove deletes the file, if any.
func (f FileStore) Remove(context.Context) error {
	if err := os.Remove(f.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

type fileWriter struct {
	f    *os.File
	path string
}

func (w *fileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *fileWriter) Commit() error {
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	return os.Rename(w.f.Name(), w.path)
}

func (w *fileWriter) Abort() error {
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
