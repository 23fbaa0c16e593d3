package collection

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/streamdb/streamdb/core/value"
)

// The state of a row follows TanStack DB's: optimistic while a
// transaction overlays it, then synced; of local origin when the stream
// wrote it while it was optimistic, until the next synced write.
func TestMetaFollowsOptimisticThenSynced(t *testing.T) {
	c := New("items", "item", "id")
	v := value.MustParse(`{"id":"a"}`)
	c.Begin()
	c.SetOverlay(map[string]Overlay{"a": {Value: v}})
	ch := c.End(true)
	assert.Equal(t, []Change{{Type: Insert, Key: "a", Value: v, Meta: Optimistic | LocalOrigin}}, ch)
	assert.False(t, c.Meta("a").Synced())

	c.Begin()
	c.Put("a", v) // the confirmation arrives while the transaction is pending
	assert.Empty(t, c.End(true))

	c.Begin()
	c.SetOverlay(nil)
	ch = c.End(true)
	assert.Equal(t, []Change{{Type: Update, Key: "a", Value: v, Previous: v, Meta: LocalOrigin, PrevMeta: Optimistic | LocalOrigin}}, ch)
	assert.True(t, c.Meta("a").Synced())
	assert.Equal(t, "local", c.Meta("a").Origin())

	c.Begin()
	c.Put("a", value.MustParse(`{"id":"a","n":1}`))
	ch = c.End(true)
	assert.Equal(t, Meta(0), ch[0].Meta)
	assert.Equal(t, LocalOrigin, ch[0].PrevMeta)
	assert.Equal(t, "remote", c.Meta("a").Origin())
}

func TestVirtualRow(t *testing.T) {
	row := value.MustParse(`{"id":"a","n":1}`)
	assert.Equal(t, `{"id":"a","n":1,"$hasPendingWrites":true,"$synced":false,"$origin":"local","$key":"a","$collectionId":"c\"1"}`,
		(Optimistic|LocalOrigin).VirtualRow(row, "a", `c"1`).String())
	assert.Equal(t, `{"$hasPendingWrites":false,"$synced":true,"$origin":"remote","$key":"k","$collectionId":"c"}`,
		Meta(0).VirtualRow(value.MustParse(`{}`), "k", "c").String())
	// a row that already carries virtual fields keeps them (a row from
	// another collection)
	assert.Equal(t, `{"id":"a","$synced":false,"$key":"x","$hasPendingWrites":true,"$origin":"remote","$collectionId":"c"}`,
		Meta(0).VirtualRow(value.MustParse(`{"id":"a","$synced":false,"$key":"x"}`), "a", "c").String())
}
