package state

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/value"
)

func TestDecodeChangeEvents(t *testing.T) {
	e, err := decodeEvent([]byte(`{"type":"user","key":"1","value":{"id":"1","name":"Kyle"},"old_value":{"name":"K"},` +
		`"headers":{"operation":"update","txid":"tx-1","timestamp":"2025-01-15T12:00:00Z","offset":"0000_0001","sourceApp":"web"}}`))
	require.NoError(t, err)
	assert.True(t, e.IsChange())
	assert.Equal(t, "user", e.Type)
	assert.Equal(t, "1", e.Key)
	assert.Equal(t, OpUpdate, e.Op)
	assert.Equal(t, `{"id":"1","name":"Kyle"}`, e.Value.JSON())
	assert.Equal(t, `{"name":"K"}`, e.OldValue.JSON())
	assert.Equal(t, "tx-1", e.TxID)
	assert.Equal(t, "2025-01-15T12:00:00Z", e.Timestamp)
	assert.Equal(t, "0000_0001", e.Offset)
	assert.Equal(t, `"web"`, e.HeadersValue().Get("sourceApp").JSON(), "custom headers are kept")

	for op, want := range map[string]Operation{"insert": OpInsert, "update": OpUpdate, "upsert": OpUpsert, "delete": OpDelete} {
		e, err := decodeEvent([]byte(`{"type":"t","key":"k","value":{},"headers":{"operation":"` + op + `"}}`))
		require.NoError(t, err, op)
		assert.Equal(t, want, e.Op)
		assert.Equal(t, op, e.Op.String())
	}

	e, err = decodeEvent([]byte(`{"type":"t","key":"k","headers":{"operation":"delete"}}`))
	require.NoError(t, err, "a delete needs no value")
	assert.True(t, e.Value.IsUndefined())

	e, err = decodeEvent([]byte(` { "key" : 42 , "type":"t","value":{"a":[1]},"headers":{"operation":"insert"},"extra":true } `))
	require.NoError(t, err)
	assert.Equal(t, "42", e.Key, "a numeric key becomes its string form")
	assert.Equal(t, value.KindNumber, e.KeyValue.Kind())

	var dec Decoder
	e, err = dec.DecodeLazy([]byte(`{"type":"t","key":"k","value":{},"headers":{"operation":"ins\u0065rt"}}`))
	require.NoError(t, err, "escaped operation names are decoded")
	assert.Equal(t, OpInsert, e.Op)
	assert.Equal(t, "t", e.Type)

	e, err = decodeEvent([]byte(`{"type":"t","key":"\u00e9","value":{},"headers":{"operation":"insert"}}`))
	require.NoError(t, err)
	assert.Equal(t, "é", e.Key)
}

func TestDecodeLazyLeavesTheValueToTheCaller(t *testing.T) {
	item := []byte(`{"type":"t","key":"k","value":{"a":tru},"headers":{"operation":"insert"}}`)
	_, err := decodeEvent(item)
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "bad value", se.Reason)
	assert.Equal(t, "k", se.Key)

	e, err := decodeLazy(item)
	require.NoError(t, err)
	assert.Equal(t, `{"a":tru}`, string(e.ValueRaw))
	assert.True(t, e.Value.IsUndefined())

	_, err = decodeLazy([]byte(`{"type":"t","key":"k","value":{"a":1},"headers":{"operation":"insert","txid":tru}}`))
	require.ErrorAs(t, err, &se, "headers are always checked")
}

func TestDecodeControlEvents(t *testing.T) {
	for name, want := range map[string]Control{"snapshot-start": ControlSnapshotStart, "snapshot-end": ControlSnapshotEnd, "reset": ControlReset} {
		e, err := decodeEvent([]byte(`{"headers":{"control":"` + name + `","offset":"5_5"}}`))
		require.NoError(t, err)
		assert.Equal(t, want, e.Control)
		assert.Equal(t, name, e.Control.String())
		assert.False(t, e.IsChange())
		assert.Equal(t, "5_5", e.Offset)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		in, reason, typ, key string
	}{
		{`[1]`, "not a JSON object", "", ""},
		{`"x"`, "not a JSON object", "", ""},
		{`{"type":"t","key":"k","value":{}`, "not a JSON object", "", ""},
		{`{"type":"t","key":"k","value":{}}`, "no headers", "t", "k"},
		{`{"type":"t","key":"k","value":{},"headers":[]}`, "headers is not an object", "t", "k"},
		{`{"type":"t","key":"k","value":{},"headers":{}}`, "neither operation nor control", "t", "k"},
		{`{"type":"t","key":"k","value":{},"headers":{"operation":"explode"}}`, "unknown operation", "t", "k"},
		{`{"headers":{"control":"rewind"}}`, "unknown control", "", ""},
		{`{"type":"t","key":"k","value":"dark","headers":{"operation":"insert"}}`, "needs an object value", "t", "k"},
		{`{"type":"t","key":"k","value":null,"headers":{"operation":"update"}}`, "needs an object value", "t", "k"},
		{`{"type":"t","key":"k","headers":{"operation":"upsert"}}`, "needs an object value", "t", "k"},
		{`{"type":"t","value":{},"headers":{"operation":"insert"}}`, "no key", "t", ""},
		{`{"key":"k","value":{},"headers":{"operation":"insert"}}`, "no type", "", "k"},
		{`{"type":"t","key":true,"value":{},"headers":{"operation":"insert"}}`, "key is not a string or a number", "t", ""},
		{`{"type":7,"key":"k","value":{},"headers":{"operation":"insert"}}`, "type is not a string", "", ""},
	} {
		_, err := decodeEvent([]byte(tc.in))
		var se *Error
		require.ErrorAs(t, err, &se, tc.in)
		assert.ErrorIs(t, err, ErrInvalidEvent)
		assert.Contains(t, se.Reason, tc.reason, tc.in)
		assert.Equal(t, tc.typ, se.Type, tc.in)
		assert.Equal(t, tc.key, se.Key, tc.in)
	}
	_, err := decodeEvent([]byte(`{"type":"t","key":"k","value":{},"headers":{"operation":"explode","txid":"x1"}}`))
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "x1", se.TxID)
	assert.Equal(t, "explode", se.Op)
}

// FuzzDecode checks that decodeEvent never panics, that a decoded change
// event has what the consumer relies on, and that failures are *Error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"user","key":"1","value":{"id":"1"},"headers":{"operation":"insert","txid":"t"}}`,
		`{"type":"user","key":2,"headers":{"operation":"delete"}}`,
		`{"headers":{"control":"reset"}}`,
		`{"type":"u","key":"k","value":[1],"headers":{"operation":"upsert"}}`,
		`{"headers":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEvent(b)
		if err != nil {
			var se *Error
			require.ErrorAs(t, err, &se)
			return
		}
		if e.IsChange() {
			require.NotEmpty(t, e.Type)
			require.NotEmpty(t, e.Key)
			require.NotEqual(t, OpNone, e.Op)
			if e.Op != OpDelete {
				require.Equal(t, value.KindObject, e.Value.Kind())
			}
		}
	})
}

// FuzzScanFast checks the one-pass scan against the general one: for every
// item the fast scan accepts, both find the same members, and the general
// scan finds no error.
func FuzzScanFast(f *testing.F) {
	for _, s := range []string{
		`{"type":"user","key":"1","value":{"id":"1"},"headers":{"operation":"insert","txid":"t"}}`,
		` { "type" : "u" , "key" : 2 , "headers" : { "operation" : "delete" , "offset" : "0_1" } } `,
		`{"headers":{"control":"reset","x":[1,{"y":null}]}}`,
		`{"type":"u","key":"k","value":[1],"old_value":{"a":1},"headers":{"operation":"upsert","timestamp":"now"}}`,
		`{"type":"u","type":"v","key":"k","value":{},"headers":{"operation":"update"},"extra":true}`,
		`{"typ\u0065":"u","key":"k","value":{},"headers":{"operation":"insert"}}`,
		`{"headers":{"operation":"insert"},"headers":{"txid":"1"}}`,
		`{"headers":{"operation":"insert","txid":"a\"b"}}`,
		`{"value":{"a" 1},"headers":{}}`,
		`{"type":"user","key":"K","value":{"id":"K","n":[1,{"b":"\u0001"}]},"headers":{"operation":"insert"}}`,
		`{"type":"u","key":"K","value":{"k":"x","_seq":1},"headers":{"operation":"insert"}}`,
		`{"type":"u","key":"K","value":{"a":1, "k":2},"headers":{"operation":"insert"}}`,
		`{"type":"u","value":{"k":1,"k":2},"headers":{"operation":"insert"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast rawEvent
		var d Decoder
		d.UseRows(map[string]string{"user": "id", "u": "k"}, "_seq")
		if !d.scanFast(b, &fast) {
			return
		}
		var slow rawEvent
		require.NoError(t, scanGeneric(b, &slow), "the general scan rejects what the fast one accepts")
		require.NoError(t, slow.headersErr, "the general scan finds bad headers the fast one accepts")
		row := fast.row
		fast.row = value.RowScan{}
		require.Equal(t, slow, fast)
		if row.OK() {
			// The row read in passing is the row ParseRow makes of the value.
			obj := fast.val.of(b)
			pk := map[string]string{"user": "id", "u": "k"}[string(fast.typ.of(b)[1:fast.typ.end-fast.typ.start-1])]
			key := value.String("K")
			got, err := value.BuildRow(obj, row, pk, key, "_seq", value.Number(3))
			require.NoError(t, err)
			want, err := value.ParseRow(obj, pk, key, "_seq", value.Number(3))
			require.NoError(t, err)
			require.True(t, value.Equal(want, got), "%s: %s, want %s", obj, value.Encode(got), value.Encode(want))
		}
	})
}

// TestDecodersAgree decodes items through the fast and the general scans
// and checks that the events and errors are the same.
func TestDecodersAgree(t *testing.T) {
	items := []string{
		`{"type":"user","key":"1","value":{"id":"1"},"headers":{"operation":"insert","txid":"t","offset":"0_5","timestamp":"2026"}}`,
		`{"type":"user","key":2,"headers":{"operation":"delete"}}`,
		`{"headers":{"control":"snapshot-start","offset":"x"}}`,
		`{"type":"u","key":"k","value":{"a":[1,2]},"old_value":{"a":1},"headers":{"operation":"update"}}`,
		`{"type":"u","key":"k","value":"x","headers":{"operation":"insert","txid":"t9"}}`,
		`{"type":"u","key":"k","value":{},"headers":{"operation":"explode"}}`,
		`{"type":"u","key":"k","value":{},"headers":{}}`,
		`{"type":7,"key":"k","value":{},"headers":{"operation":"insert"}}`,
		`{"type":"u","key":"é😀","value":{},"headers":{"operation":"insert","txid":"é"}}`,
	}
	for _, s := range items {
		var fast rawEvent
		var d Decoder
		require.True(t, d.scanFast([]byte(s), &fast), s)
		var slow rawEvent
		require.NoError(t, scanGeneric([]byte(s), &slow), s)
		for _, alias := range []bool{false, true} {
			d1 := Decoder{strs: map[string]string{}}
			e1, err1 := d1.finish([]byte(s), &fast, alias)
			d2 := Decoder{strs: map[string]string{}}
			e2, err2 := d2.finish([]byte(s), &slow, alias)
			// Values hold their text by pointer: compare them by value,
			// then the rest of the events.
			for _, v := range [][2]value.Value{{e2.KeyValue, e1.KeyValue}, {e2.Value, e1.Value}, {e2.OldValue, e1.OldValue}} {
				assert.True(t, v[0].Kind() == v[1].Kind() && value.Equal(v[0], v[1]), "%s: %s vs %s", s, v[0], v[1])
			}
			e1.KeyValue, e1.Value, e1.OldValue = value.Value{}, value.Value{}, value.Value{}
			e2.KeyValue, e2.Value, e2.OldValue = value.Value{}, value.Value{}, value.Value{}
			assert.Equal(t, e2, e1, s)
			assert.Equal(t, err2, err1, s)
		}
	}
}
