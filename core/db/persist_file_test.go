//go:build !js

package db_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
)

// The native store: a snapshot in a file, replaced atomically; a writer
// that never commits leaves the previous one and nothing at the path.
func TestFileStore(t *testing.T) {
	s := newJSONStream(t, nil)
	history(t, s, 0, 10)
	path := filepath.Join(t.TempDir(), "chat.snapshot")
	store := db.FileStore{Path: path}
	first, _ := persisted(t, s.URL(), store)
	require.NoError(t, first.Preload(ctxT(t)))
	info, err := first.Save(ctxT(t))
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, info.Bytes, st.Size())
	first.Close()

	w, err := store.Create(ctxT(t)) // a crash mid-write
	require.NoError(t, err)
	_, err = w.Write([]byte("half a snapshot"))
	require.NoError(t, err)

	history(t, s, 10, 5)
	second, tr := persisted(t, s.URL(), store)
	require.NoError(t, second.Preload(ctxT(t)))
	require.Equal(t, info.Offset, tr.first())
	require.Equal(t, fresh(t, s), dump(second.DB))
	require.Empty(t, second.errors())
	require.NoError(t, w.Abort())
	// Once second's own background save (of what it caught up) is over,
	// only the snapshot is left: no temporary file of either writer.
	eventually(t, func() bool {
		entries, err := os.ReadDir(filepath.Dir(path))
		return err == nil && len(entries) == 1 && entries[0].Name() == filepath.Base(path)
	}, "only the snapshot left")
}
