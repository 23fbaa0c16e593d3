package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		near int // expected error offset, when !ok
	}{
		{`null`, true, 0},
		{` {"a":[1,2.5e-3,true,false,null,"x\u00e9\n"]} `, true, 0},
		{`[]`, true, 0},
		{`-0.0E+1`, true, 0},
		{`"\ud83d\ude00"`, true, 0},
		{``, false, 0},
		{`[1,]`, false, 3},
		{`{"a" 1}`, false, 5},
		{`01`, false, 1},
		{`1.`, false, 2},
		{`"abc`, false, 4},
		{"\"a\x01\"", false, 2},
		{`"\x"`, false, 1},
		{`[1] 2`, false, 4},
		{`tru`, false, 0},
		{"\"\xff\"", true, 0},
	} {
		err := Check([]byte(tc.in))
		if tc.ok {
			assert.NoError(t, err, tc.in)
			continue
		}
		var se *SyntaxError
		if assert.ErrorAs(t, err, &se, tc.in) {
			assert.Equal(t, tc.near, se.Offset, tc.in)
		}
	}
}

func TestCheckDepth(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	require.Error(t, Check([]byte(deep)))
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	require.NoError(t, Check([]byte(ok)))
}

func TestSplitArray(t *testing.T) {
	items, err := SplitArray(nil, []byte(` [ {"a":1} , [2,3], "x" ,null] `))
	require.NoError(t, err)
	got := make([]string, len(items))
	for i, it := range items {
		got[i] = string(it)
	}
	assert.Equal(t, []string{`{"a":1}`, `[2,3]`, `"x"`, `null`}, got)

	items, err = SplitArray(nil, []byte(`[]`))
	require.NoError(t, err)
	assert.Empty(t, items)

	_, err = SplitArray(nil, []byte(`{"a":1}`))
	assert.ErrorIs(t, err, ErrNotArray)
	_, err = SplitArray(nil, []byte(`[1,2`))
	assert.Error(t, err)
	_, err = SplitArray(nil, []byte(`[1]x`))
	assert.Error(t, err)
	_, err = SplitArray(nil, nil)
	assert.Error(t, err)
}

func TestUnquote(t *testing.T) {
	for in, want := range map[string]string{
		`"plain"`:        "plain",
		`"a\"b\\c\/d"`:   `a"b\c/d`,
		`"\b\f\n\r\t"`:   "\b\f\n\r\t",
		`"\u00e9\u20ac"`: "é€",
		`"\ud83d\ude00"`: "😀",
		// lone surrogates keep their WTF-8 form, distinct from U+FFFD
		`"\ud83d"`:         "\xed\xa0\xbd",
		`"\ud83dx"`:        "\xed\xa0\xbdx",
		`"\ud83d\u0041"`:   "\xed\xa0\xbdA",
		`"\udc00\ud800"`:   "\xed\xb0\x80\xed\xa0\x80",
		`"\ud800\ud800"`:   "\xed\xa0\x80\xed\xa0\x80",
		`"\ufffd"`:         "\uFFFD",
		"\"\xed\xa0\x80\"": "\uFFFD\uFFFD\uFFFD", // raw bytes are not UTF-8
		`"\u2028 \u0085"`:  "\u2028 \u0085",
		`"raw é and 😀 ok"`: "raw é and 😀 ok",
	} {
		got, err := Unquote([]byte(in))
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{``, `x`, `"open`, `"a" `} {
		_, err := Unquote([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestObjectFields(t *testing.T) {
	got := map[string]string{}
	err := ObjectFields([]byte(` {"a": 1, "b\n" : {"c":[1]}, "d":"x"} `), func(k string, v []byte) error {
		got[k] = string(v)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1", "b\n": `{"c":[1]}`, "d": `"x"`}, got)
	require.NoError(t, ObjectFields([]byte(`{}`), func(string, []byte) error { t.Fatal("called"); return nil }))
	assert.Error(t, ObjectFields([]byte(`[1]`), func(string, []byte) error { return nil }))
	assert.Error(t, ObjectFields([]byte(`{"a":}`), func(string, []byte) error { return nil }))
}

// FuzzCheck holds the scanner to encoding/json: both must agree on what is
// valid, array splitting must return exactly the items encoding/json sees,
// and string decoding must match.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`[1,"a",{"b":null}]`, `{"a":[true,false]}`, `"\u00e9\ud83d\ude00"`, `-1.5e10`, `[`, `"\ud800"`, "\"\xff\"", `null`, ` [] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ours := Check(b) == nil
		theirs := json.Valid(b)
		if ours != theirs {
			t.Fatalf("Check(%q) == nil is %v, encoding/json says %v", b, ours, theirs)
		}
		if !ours {
			return
		}
		// encoding/json decodes null into a slice or a string as their
		// zero value, without an error: null is neither.
		null := string(bytes.TrimSpace(b)) == "null"
		var raw []json.RawMessage
		items, err := SplitArray(nil, b)
		if !null && json.Unmarshal(b, &raw) == nil {
			require.NoError(t, err)
			require.Len(t, items, len(raw))
			for i := range raw {
				assert.JSONEq(t, string(raw[i]), string(items[i]))
			}
		} else {
			require.ErrorIs(t, err, ErrNotArray)
		}
		var s string
		if !null && json.Unmarshal(b, &s) == nil {
			trimmed := b[SkipSpace(b, 0):]
			end, _ := ValueEnd(trimmed, 0)
			got, err := Unquote(trimmed[:end])
			require.NoError(t, err)
			require.Equal(t, s, replaceSurrogates(got), "encoding/json makes lone surrogates U+FFFD")
			require.Equal(t, hasSurrogate(got), !utf8.ValidString(got), "valid UTF-8 but for lone surrogates")
		}
	})
}

// replaceSurrogates replaces the WTF-8 surrogates in s by U+FFFD.
func replaceSurrogates(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if IsSurrogateAt(s, i) {
			b.WriteString("\uFFFD")
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hasSurrogate reports whether s holds a WTF-8 surrogate.
func hasSurrogate(s string) bool {
	for i := range len(s) {
		if IsSurrogateAt(s, i) {
			return true
		}
	}
	return false
}

func TestFieldIter(t *testing.T) {
	it := NewFieldIter([]byte(` {"type":"user", "k\u0065y" : 5 ,"value":{"a":[1,2]}} `))
	var keys, vals []string
	for it.Next() {
		keys = append(keys, string(it.Key()))
		vals = append(vals, string(it.Value()))
		if len(keys) == 2 {
			assert.True(t, it.KeyIs("key"), "escaped keys compare decoded")
		}
	}
	require.NoError(t, it.Err())
	assert.Equal(t, []string{`"type"`, `"k\u0065y"`, `"value"`}, keys)
	assert.Equal(t, []string{`"user"`, `5`, `{"a":[1,2]}`}, vals)

	for _, bad := range []string{``, `[]`, `{"a":1,}`, `{"a" 1}`, `{"a":1} x`, `{"a":}`, `{"a":1`} {
		it := NewFieldIter([]byte(bad))
		for it.Next() {
		}
		assert.Error(t, it.Err(), bad)
	}
	empty := NewFieldIter([]byte(`{}`))
	assert.False(t, empty.Next())
	assert.NoError(t, empty.Err())
}

// FuzzFieldIter checks the iterator against ObjectFields: the same members,
// and an error exactly when ObjectFields fails.
func FuzzFieldIter(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[true]}`, `{}`, `{"a":`, `[1]`, `{"\u0061":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want []string
		werr := ObjectFields(b, func(k string, v []byte) error {
			want = append(want, k+"="+string(v))
			return nil
		})
		var got []string
		it := NewFieldIter(b)
		for it.Next() {
			k, err := Unquote(it.Key())
			require.NoError(t, err)
			got = append(got, k+"="+string(it.Value()))
		}
		if werr != nil {
			require.Error(t, it.Err())
			return
		}
		require.NoError(t, it.Err())
		require.Equal(t, want, got)
	})
}

func TestSplitItems(t *testing.T) {
	items, err := SplitItems(nil, []byte(` [ {"a":"],}"} , [1,[2]], tru , "x\"" ,{bad json}] `))
	require.NoError(t, err)
	var got []string
	for _, it := range items {
		got = append(got, string(it))
	}
	assert.Equal(t, []string{`{"a":"],}"}`, `[1,[2]]`, `tru`, `"x\""`, `{bad json}`}, got, "bad items are delimited, not judged")
	items, err = SplitItems(nil, []byte(`[]`))
	require.NoError(t, err)
	assert.Empty(t, items)
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	items, err = SplitItems(nil, []byte(`[1,`+deep+`,2]`))
	require.NoError(t, err, "an item too deep to parse is still one item")
	assert.Len(t, items, 3)
	for _, bad := range []string{``, `{}`, `[1,2`, `["abc]`, `[1]}`, `[1] x`, `[}]`, `[{]`} {
		_, err := SplitItems(nil, []byte(bad))
		assert.Error(t, err, bad)
	}
}

// FuzzSplitItems checks that on a valid array SplitItems finds exactly the
// items SplitArray finds, and that it never panics on anything else.
func FuzzSplitItems(f *testing.F) {
	for _, s := range []string{`[1,"a",{"b":[null]}]`, `[]`, `[{"x":"\""}]`, `[1,,2]`, `["\\"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, gerr := SplitItems(nil, b)
		want, werr := SplitArray(nil, b)
		if werr != nil {
			return
		}
		require.NoError(t, gerr)
		require.Equal(t, len(want), len(got))
		for i := range want {
			require.Equal(t, string(want[i]), string(got[i]))
		}
	})
}

func TestFieldIterLazy(t *testing.T) {
	it := NewFieldIter([]byte(`{"value":{"a":[1,"]"],"b":tru},"n":12,"s":"x","h":[}`))
	it.Lazy("value", "h")
	got := map[string]string{}
	for it.Next() {
		k, _ := Unquote(it.Key())
		got[k] = string(it.Value())
	}
	assert.Error(t, it.Err(), "an unbalanced lazy value still fails")
	assert.Equal(t, map[string]string{"value": `{"a":[1,"]"],"b":tru}`, "n": "12", "s": `"x"`, "h": `[}`}, got, "lazy values are delimited by nesting depth, not checked")

	strict := NewFieldIter([]byte(`{"value":{"b":tru}}`))
	for strict.Next() {
	}
	assert.Error(t, strict.Err())
}
