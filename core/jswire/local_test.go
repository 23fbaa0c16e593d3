package jswire_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/jswire"
)

func TestParseSyncOps(t *testing.T) {
	ops, err := jswire.ParseSyncOps(`[["i","1",{"a":1}],["u","1",{"b":2}],["r","\ud800",{}],["d","1"]]`)
	require.NoError(t, err)
	require.Len(t, ops, 4)
	assert.Equal(t, []db.SyncType{db.SyncInsert, db.SyncUpdate, db.SyncReplace, db.SyncDelete},
		[]db.SyncType{ops[0].Type, ops[1].Type, ops[2].Type, ops[3].Type})
	assert.Equal(t, `{"b":2}`, ops[1].Value.JSON())
	assert.Equal(t, "\xed\xa0\x80", ops[2].Key, "a lone surrogate keeps its WTF-8 bytes, as stored keys do")
	assert.Equal(t, "1", ops[3].Key)

	for _, c := range []struct{ text, want string }{
		{`{}`, "must be a JSON array"},
		{`[1`, "must be a JSON array"},
		{`[1]`, "write 0 is not an array"},
		{`[["x","1",{}]]`, `write 0 has an unknown type "x"`},
		{`[["i",1,{}]]`, "write 0 has no string key"},
		{`[["d","1"],["i","2",[1]]]`, `write 1 (key "2") has no object value`},
		{`[["u","2"]]`, `write 0 (key "2") has no object value`},
	} {
		_, err := jswire.ParseSyncOps(c.text)
		var ae *jswire.ArgError
		require.True(t, errors.As(err, &ae), "%s: %v", c.text, err)
		assert.Contains(t, err.Error(), c.want, c.text)
	}
}

func FuzzParseSyncOps(f *testing.F) {
	f.Add(`[["i","1",{"a":1}],["d","1"]]`)
	f.Add(`[["u","",{}]]`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, text string) {
		ops, err := jswire.ParseSyncOps(text)
		if err != nil {
			var ae *jswire.ArgError
			if !errors.As(err, &ae) {
				t.Fatalf("not an ArgError: %v", err)
			}
			return
		}
		for _, op := range ops {
			if op.Type < db.SyncInsert || op.Type > db.SyncDelete {
				t.Fatalf("bad type %d", op.Type)
			}
		}
	})
}
