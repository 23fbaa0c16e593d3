package value

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConstructorsAndAccessors(t *testing.T) {
	tests := []struct {
		name    string
		v       Value
		kind    Kind
		nullish bool
		json    string
	}{
		{"zero", Value{}, KindUndefined, true, "null"},
		{"undefined", Undefined(), KindUndefined, true, "null"},
		{"null", Null(), KindNull, true, "null"},
		{"true", Bool(true), KindBool, false, "true"},
		{"false", Bool(false), KindBool, false, "false"},
		{"number", Number(1.5), KindNumber, false, "1.5"},
		{"nan", Number(math.NaN()), KindNumber, false, "null"},
		{"string", String("a\"b"), KindString, false, `"a\"b"`},
		{"array", MustParse("[1,2]"), KindArray, false, "[1,2]"},
		{"object", MustParse(`{"a":1}`), KindObject, false, `{"a":1}`},
		{"trusted", fromCompactJSON(`{"a":[true]}`), KindObject, false, `{"a":[true]}`},
		{"trusted scalar", fromCompactJSON(`"x\ny"`), KindString, false, `"x\ny"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.kind, tt.v.Kind())
			assert.Equal(t, tt.nullish, tt.v.IsNullish())
			assert.Equal(t, tt.kind == KindUndefined, tt.v.IsUndefined())
			assert.Equal(t, tt.kind == KindNull, tt.v.IsNull())
			assert.Equal(t, tt.json, tt.v.JSON())
			assert.Equal(t, tt.json, Encode(tt.v))
			assert.Equal(t, tt.json, string(AppendJSON(nil, tt.v)))
		})
	}
	n, ok := Number(2).Num()
	assert.True(t, ok)
	assert.Equal(t, 2.0, n)
	_, ok = String("2").Num()
	assert.False(t, ok)
	s, ok := String("x").Str()
	assert.True(t, ok)
	assert.Equal(t, "x", s)
	_, ok = Null().Str()
	assert.False(t, ok)
	b, ok := Bool(true).BoolVal()
	assert.True(t, ok && b)
	_, ok = Number(1).BoolVal()
	assert.False(t, ok)
	assert.Equal(t, "undefined", Undefined().String())
	assert.Equal(t, `{"a":1}`, MustParse(`{"a":1}`).String())
	assert.Equal(t, "object", KindObject.String())
	assert.Equal(t, "Kind(9)", Kind(9).String())
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		json string // canonical text: what JSON.stringify(JSON.parse(in)) gives
	}{
		{`null`, KindNull, `null`},
		{` true `, KindBool, `true`},
		{`false`, KindBool, `false`},
		{`0`, KindNumber, `0`},
		{`-0`, KindNumber, `0`},
		{`1.0`, KindNumber, `1`},
		{`1e2`, KindNumber, `100`},
		{`-12.5e-1`, KindNumber, `-1.25`},
		// Beyond float64: Infinity, written so that JSON.parse gives it back.
		{`1e400`, KindNumber, `1e999`},
		{`-1e400`, KindNumber, `-1e999`},
		{`1e999`, KindNumber, `1e999`},
		{`"a\u0041\/"`, KindString, `"aA/"`},
		{`"\ud83d\ude00"`, KindString, `"😀"`},
		// Lone surrogates stay themselves, as JSON.stringify escapes them.
		{`"\ud800"`, KindString, `"\ud800"`},
		{`"\uDBFFx\uDC00"`, KindString, `"\udbffx\udc00"`},
		{`"\udc00\ud800"`, KindString, `"\udc00\ud800"`},
		{`"\ud800\udc00"`, KindString, `"𐀀"`},
		{"\"\xed\xa0\x80\"", KindString, "\"\uFFFD\uFFFD\uFFFD\""}, // raw bytes, not UTF-8
		{`["\ud800","\ufffd",{"\udfff":1}]`, KindArray, "[\"\\ud800\",\"\uFFFD\",{\"\\udfff\":1}]"},
		{`["\uD800",{"\uDFFF":"\ud83d\ude00"}]`, KindArray, `["\ud800",{"\udfff":"😀"}]`},
		{`[]`, KindArray, `[]`},
		{` [ 1 , "x" , null ] `, KindArray, `[1,"x",null]`},
		{`[1.0,1e2,-0,1e400]`, KindArray, `[1,100,0,1e999]`},
		{`{"a":-1e999,"b":[1e999]}`, KindObject, `{"a":-1e999,"b":[1e999]}`},
		{`{}`, KindObject, `{}`},
		{`{"a":1,"b":[true,{"c":"d"}]}`, KindObject, `{"a":1,"b":[true,{"c":"d"}]}`},
		// Computed with node: JSON.stringify(JSON.parse(in)).
		{` { "b" : [ 1.0 , 1e2, -0, "\u0041\/" ] , "3":null, "a":1, "b":true, "1":{} } `, KindObject, `{"1":{},"3":null,"b":true,"a":1}`},
		{`{"a":1,"b":2,"a":3}`, KindObject, `{"a":3,"b":2}`},
		{`{"b":1,"4294967294":1,"4294967295":2,"01":3,"1":4}`, KindObject, `{"1":4,"4294967294":1,"b":1,"4294967295":2,"01":3}`},
		{`{"k":"\u00e9\u0007\u001F"}`, KindObject, `{"k":"é\u0007\u001f"}`},
		{"{\"k\":\"\xff\"}", KindObject, "{\"k\":\"\uFFFD\"}"},
		{`[0.30000000000000004,5e-324,1E21,0.0000001]`, KindArray, `[0.30000000000000004,5e-324,1e+21,1e-7]`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := Parse([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.kind, v.Kind())
			assert.Equal(t, tt.json, v.JSON())
			w, err := ParseString(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.kind, w.Kind())
			assert.Equal(t, tt.json, w.JSON())
			assert.True(t, Equal(v, w))
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, ` `, `{`, `[1,]`, `{"a"}`, `01`, `1.`, `"\x"`, "\"\x01\"", `nul`, `1 2`, `{"a":1}x`, `[1}`} {
		t.Run(in, func(t *testing.T) {
			_, err := Parse([]byte(in))
			assert.Error(t, err)
			_, err = ParseString(in)
			assert.Error(t, err)
			assert.Panics(t, func() { MustParse(in) })
		})
	}
}

func TestParseAllocs(t *testing.T) {
	row := []byte(`{"id":7,"name":"user 7","email":"user7@example.com","active":false,"score":5433.07}`)
	allocs := testing.AllocsPerRun(100, func() {
		v, _ := Parse(row)
		_ = v
	})
	assert.Equal(t, 1.0, allocs)
	s := string(row)
	allocs = testing.AllocsPerRun(100, func() {
		v, _ := ParseString(s)
		_ = v
	})
	assert.Equal(t, 0.0, allocs)
}

func TestNumberFormat(t *testing.T) {
	// Expected outputs computed with node 20:
	// node -e 'for (const x of xs) console.log(JSON.stringify(x))'
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-1, "-1"},
		{1.5, "1.5"},
		{0.1, "0.1"},
		{0.30000000000000004, "0.30000000000000004"},
		{1e21, "1e+21"},
		{1e20, "100000000000000000000"},
		{123456789012345680000, "123456789012345680000"},
		{1e-7, "1e-7"},
		{1e-6, "0.000001"},
		{1.5e-7, "1.5e-7"},
		{0.000001234, "0.000001234"},
		{1 << 53, "9007199254740992"},
		{1<<53 - 1, "9007199254740991"},
		{1 << 60, "1152921504606847000"},
		{-(1 << 60), "-1152921504606847000"},
		{5e-324, "5e-324"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{123.456, "123.456"},
		{1.0 / 3, "0.3333333333333333"},
		{-1.0 / 3, "-0.3333333333333333"},
		{100, "100"},
		{1e15, "1000000000000000"},
		{1e16, "10000000000000000"},
		{12345678901234567, "12345678901234568"},
		{4.35, "4.35"},
		{0.5, "0.5"},
		{-0.0001, "-0.0001"},
		{9.999999999999999e20, "999999999999999900000"},
		{1.2345e+25, "1.2345e+25"},
		{math.NaN(), "null"},
		{math.Inf(1), "1e999"},
		{math.Inf(-1), "-1e999"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, Encode(Number(tt.f)))
			if tt.want != "null" {
				v := MustParse(tt.want)
				n, _ := v.Num()
				assert.Equal(t, tt.f, n)
				// The JS spelling is canonical: kept as is inside arrays.
				assert.Equal(t, "["+tt.want+"]", MustParse("["+tt.want+"]").JSON())
			}
		})
	}
}

func TestStringEncoding(t *testing.T) {
	// node -e 'console.log(JSON.stringify("\x00\x07\b\t\n\x0b\f\r\x1f\"\\/\x7f\u00e9\u2028😀"))'
	in := "\x00\x07\b\t\n\x0b\f\r\x1f\"\\/\x7f\u00e9\u2028😀"
	want := `"\u0000\u0007\b\t\n\u000b\f\r\u001f\"\\/` + "\x7f\u00e9\u2028😀" + `"`
	assert.Equal(t, want, Encode(String(in)))
	assert.Equal(t, "\"a\uFFFDb\"", Encode(String("a\xffb")))
	v := MustParse(want)
	s, _ := v.Str()
	assert.Equal(t, in, s)
	assert.Equal(t, "["+want+"]", MustParse("["+want+"]").JSON(), "JSON.stringify's escapes are canonical")
}

// TestQuotedString checks that a QuotedString is the String of its text in
// every way but the mark, and that its JSON, written without the check, is
// the String's.
func TestQuotedString(t *testing.T) {
	for _, s := range []string{"", "m1", "u 2", "~", "del\x7f", "é", "😀", strings.Repeat("k", 40)} {
		q, p := QuotedString(s), String(s)
		assert.True(t, q.Quoted(), s)
		assert.False(t, p.Quoted(), s)
		assert.True(t, Equal(q, p), s)
		assert.Equal(t, hash(p, 7), hash(q, 7), s)
		assert.Equal(t, 0, Compare(q, p, nil), s)
		assert.Equal(t, Encode(p), Encode(q), s)
		got, _ := q.Str()
		assert.Equal(t, s, got)
	}
}

func TestGet(t *testing.T) {
	obj := MustParse(`{"id":7,"name":"ann","esc":"a\nb","nested":{"x":[1,{"y":"}"}]},"q\"k":true,"n":null,"arr":[1,"]"],"":0}`)
	tests := []struct {
		field string
		want  string // JSON, or "undefined"
	}{
		{"id", "7"},
		{"name", `"ann"`},
		{"esc", `"a\nb"`},
		{"nested", `{"x":[1,{"y":"}"}]}`},
		{`q"k`, "true"},
		{"n", "null"},
		{"arr", `[1,"]"]`},
		{"", "0"},
		{"missing", "undefined"},
		{"nam", "undefined"},
		{"x", "undefined"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			assert.Equal(t, tt.want, obj.Get(tt.field).String())
		})
	}
	assert.True(t, MustParse(`[1]`).Get("0").IsUndefined())
	assert.True(t, String("x").Get("x").IsUndefined())
	assert.True(t, MustParse(`{}`).Get("x").IsUndefined())
	assert.Equal(t, "1", obj.Get("nested").Get("x").Index(0).String())
}

func TestGetAllocs(t *testing.T) {
	obj := MustParse(`{"id":7,"name":"user 7","email":"user7@example.com","active":false,"score":5433.07}`)
	allocs := testing.AllocsPerRun(100, func() {
		s, _ := obj.Get("email").Str()
		_ = s
		n, _ := obj.Get("score").Num()
		_ = n
	})
	assert.Equal(t, 0.0, allocs)
}

func TestFieldsLenIndexElems(t *testing.T) {
	obj := MustParse(`{"1":[],"a":"x\ty","b":{"c":1}}`)
	var keys, vals []string
	obj.Fields(func(k string, v Value) bool {
		keys = append(keys, k)
		vals = append(vals, v.JSON())
		return true
	})
	assert.Equal(t, []string{"1", "a", "b"}, keys)
	assert.Equal(t, []string{"[]", `"x\ty"`, `{"c":1}`}, vals)
	n := 0
	obj.Fields(func(string, Value) bool { n++; return false })
	assert.Equal(t, 1, n)

	arr := MustParse(`[1,"a",[2,3],{"x":null},null]`)
	tests := []struct {
		v   Value
		len int
	}{
		{obj, 3}, {arr, 5}, {MustParse(`[]`), 0}, {MustParse(`{}`), 0}, {String("abc"), 0}, {Null(), 0},
		{MustParse(`[[]]`), 1}, {MustParse(`[{}]`), 1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.len, tt.v.Len(), tt.v.String())
	}
	for i, want := range []string{"1", `"a"`, "[2,3]", `{"x":null}`, "null", "undefined"} {
		assert.Equal(t, want, arr.Index(i).String())
	}
	assert.True(t, arr.Index(-1).IsUndefined())
	assert.True(t, obj.Index(0).IsUndefined())
	var got []string
	arr.Elems(func(i int, v Value) bool {
		assert.Equal(t, len(got), i)
		got = append(got, v.String())
		return i < 2
	})
	assert.Equal(t, []string{"1", `"a"`, "[2,3]"}, got)
}

// plainWord agrees with needsEscape byte by byte: every byte value in every
// position of a plain word, and random words.
func TestPlainWord(t *testing.T) {
	plain := func(s string) bool {
		for i := 0; i < 8; i++ {
			if s[i] >= utf8.RuneSelf || needsEscape[s[i]] {
				return false
			}
		}
		return true
	}
	base := []byte("abcdefgh")
	for pos := range 8 {
		for c := range 256 {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			if got, want := plainWord(string(b), 0), plain(string(b)); got != want {
				t.Fatalf("plainWord(%q) = %v, want %v", b, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 200000 {
		b := make([]byte, 8)
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if rng.IntN(2) == 0 {
				b[i] = byte(0x20 + rng.IntN(0x60)) // mostly plain
			}
		}
		if got, want := plainWord(string(b), 0), plain(string(b)); got != want {
			t.Fatalf("plainWord(%q) = %v, want %v", b, got, want)
		}
	}
}
