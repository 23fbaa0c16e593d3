package db

import (
	"testing"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/stretchr/testify/require"
)

// Queries opened while a collection does not change read one batch of its
// rows; a write, or the last of its queries closing, drops that batch.
func TestFirstResultsShareRows(t *testing.T) {
	d, l := batchDB(t)
	defer d.Close()
	feed(d, []string{
		`{"type":"user","key":"u1","value":{"id":"u1","name":"ann"},"headers":{"operation":"insert"}}`,
		`{"type":"user","key":"u2","value":{"id":"u2","name":"bob"},"headers":{"operation":"insert"}}`,
	}, true)
	l.Close()
	open := func() *Live {
		t.Helper()
		q, err := ir.Parse([]byte(`{"from":{"alias":"u","collection":"users"}}`))
		require.NoError(t, err)
		lq, err := d.Query(q)
		require.NoError(t, err)
		return lq
	}
	// first returns the first of the kept rows of users, or nil.
	first := func() any {
		d.mu.Lock()
		defer d.mu.Unlock()
		s, ok := d.loadRows["users"]
		if !ok {
			return nil
		}
		return s.rows[0].Row
	}
	a := open()
	shared := first()
	require.NotNil(t, shared)
	b := open()
	require.Same(t, shared, first(), "a second query reads the same rows")
	require.Equal(t, 2, b.Len())

	feed(d, []string{`{"type":"user","key":"u3","value":{"id":"u3","name":"cy"},"headers":{"operation":"insert"}}`}, true)
	require.Nil(t, first(), "a write drops them")
	c := open()
	require.Equal(t, 3, c.Len())
	require.NotSame(t, shared, first())

	for _, q := range []*Live{a, b, c} {
		q.Close()
	}
	require.Nil(t, first(), "no query left: dropped")
}
