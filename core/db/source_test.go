package db_test

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
)

// cannedSource hands out fixed batches, then io.EOF, and records the
// options it was opened with.
type cannedSource struct {
	batches []*stream.Batch
	opened  []stream.ReadOptions
}

func (c *cannedSource) Read(_ context.Context, o stream.ReadOptions) (db.BatchReader, error) {
	c.opened = append(c.opened, o)
	return &cannedReader{batches: c.batches}, nil
}

type cannedReader struct{ batches []*stream.Batch }

func (r *cannedReader) Next() (*stream.Batch, error) {
	if len(r.batches) == 0 {
		return nil, io.EOF
	}
	b := r.batches[0]
	r.batches = r.batches[1:]
	return b, nil
}

func (r *cannedReader) Close() {}

// A Source replaces the stream's HTTP reads: the database applies what it
// hands out, batch by batch, and asks it with the read options.
func TestSourceFeedsTheDatabase(t *testing.T) {
	src := &cannedSource{batches: []*stream.Batch{
		{Offset: "1", Items: [][]byte{[]byte(ev("user", "u1", "insert", `{"name":"Ada"}`))}},
		{Offset: "2", UpToDate: true, Items: [][]byte{[]byte(ev("user", "u1", "update", `{"age":36}`)), []byte(ev("message", "m1", "insert", `{"text":"hi"}`))}},
	}}
	c := newClient(t, nil)
	d := open(t, c.Stream("http://unused.invalid/v1/stream/x"), func(o *db.Options) {
		o.Source = src
		o.Live = db.LiveOff
		o.ReadHeader = stream.Header{"authorization": "Bearer t"}
	})
	require.NoError(t, d.Preload(ctxT(t)))
	require.Equal(t, "2", d.Offset())
	require.Equal(t, `"Ada"`, field(t, d.Collection("users"), "u1", "name"))
	require.Equal(t, 1, d.Collection("messages").Size())
	require.Len(t, src.opened, 1)
	require.Equal(t, "-1", src.opened[0].Offset)
	require.Equal(t, "Bearer t", src.opened[0].Header["authorization"])
}
