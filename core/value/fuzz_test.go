package value

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/stretchr/testify/require"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`null`, `true`, `-0`, `1.0`, `1e400`, `"a\u0041\ud800"`, `[1, 2 ,{"a" : []}]`, `[-1e999,"\udc00\ud800"]`,
		`{"b":1,"2":2,"a":{"1":3,"0":4},"b":5}`, `{"k":"\u00e9\n\/"}`, "\"\xff\"", `[0.30000000000000004,1E21,1e-7]`,
		`{"id":7,"name":"user 7 \u00e9","email":"user7@example.com","active":false,"score":5433.07}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Parse(b)
		vs, errS := ParseString(string(b))
		// Parse accepts exactly what jsonscan accepts.
		require.Equal(t, jsonscan.Check(b) == nil, err == nil, "%v", err)
		require.Equal(t, err == nil, errS == nil)
		var want any
		jsonErr := json.Unmarshal(b, &want)
		if err != nil {
			if jsonErr == nil && bytes.Count(b, []byte("["))+bytes.Count(b, []byte("{")) <= jsonscan.MaxDepth {
				t.Fatalf("encoding/json accepts %q, Parse says %v", b, err)
			}
			return
		}
		require.True(t, Equal(v, v))
		require.True(t, Equal(v, vs), "%s vs %s", v, vs)
		require.Equal(t, v.JSON(), vs.JSON())
		out := AppendJSON(nil, v)
		require.True(t, json.Valid(out), "%q", out)
		// The text is canonical: parsing it again keeps it as is.
		again, err := Parse(out)
		require.NoError(t, err)
		require.Equal(t, string(out), string(AppendJSON(nil, again)))
		// Infinity (1e999) and lone surrogates (\udXXX) come back too.
		require.True(t, Equal(v, again))
		require.Equal(t, hash(v, 3), hash(again, 3))
		if v.Kind() == KindArray || v.Kind() == KindObject {
			require.Equal(t, string(out), v.JSON())
		}
		if s, ok := v.Str(); ok {
			// The size a writer reserves: enough, and exact unless the text
			// has a byte 0xED (a surrogate's, or U+D000-U+D7FF's, counted over).
			require.GreaterOrEqual(t, StringJSONLen(s), len(out), "%q", s)
			if !strings.Contains(s, "\xed") {
				require.Equal(t, len(out), StringJSONLen(s), "%q", s)
			}
		}
		if jsonErr != nil {
			return // e.g. numbers beyond float64, which JS and Parse make Infinity
		}
		var got any
		require.NoError(t, json.Unmarshal(out, &got))
		require.Equal(t, want, got)
		// Accessors agree with encoding/json.
		switch w := want.(type) {
		case map[string]any:
			require.Equal(t, len(w), v.Len())
			n := 0
			v.Fields(func(k string, fv Value) bool {
				n++
				var fw any
				require.NoError(t, json.Unmarshal([]byte(fv.JSON()), &fw))
				require.Equal(t, w[k], fw)
				require.True(t, Equal(fv, v.Get(k)))
				return true
			})
			require.Equal(t, len(w), n)
		case []any:
			require.Equal(t, len(w), v.Len())
			v.Elems(func(i int, e Value) bool {
				require.True(t, Equal(e, v.Index(i)))
				return true
			})
		}
	})
}

// FuzzParseRow holds the one-pass row builder to its definition:
// With(With(Parse(raw), pk, key), "_seq", n), byte for byte.
func FuzzParseRow(f *testing.F) {
	f.Add([]byte(`{"id":"1","name":"Kyle"}`), "1")
	f.Add([]byte(`{"name":"x","2":1}`), "k")
	f.Add([]byte(`{"id":"a","id":"b"}`), "a")
	f.Add([]byte(`{"n":1,"id":"\u0001"}`), "\u0001")
	f.Add([]byte(`{"id":7}`), "7")
	f.Fuzz(func(t *testing.T, raw []byte, key string) {
		got, err := ParseRow(raw, "id", String(key), "_seq", Number(3))
		p, perr := Parse(raw)
		if perr != nil {
			if err == nil {
				t.Fatalf("ParseRow accepted %q that Parse rejects", raw)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseRow rejected %q: %v", raw, err)
		}
		want := With(With(p, "id", String(key)), "_seq", Number(3))
		if got.JSON() != want.JSON() {
			t.Fatalf("ParseRow(%q) = %s, want %s", raw, got.JSON(), want.JSON())
		}
		checkDir(t, got)
		// The same through ScanRow and BuildRow, the object inside a larger
		// text; KeyIn finds nothing but the key.
		text := append(append([]byte(`[1,`), raw...), `,2]`...)
		end, sc := ScanRow(text, 3, "id", "_seq")
		if !sc.OK() {
			return
		}
		if jsonscan.SkipSpace(text, end) != 3+len(raw) {
			t.Fatalf("ScanRow(%q) ends at %d, not at the end of the object", text, end)
		}
		row, err := BuildRow(text[3:end], sc, "id", String(key), "_seq", Number(3))
		if err != nil || row.JSON() != want.JSON() {
			t.Fatalf("BuildRow(%q) = %s, %v; want %s", raw, row.JSON(), err, want.JSON())
		}
		checkDir(t, row)
		if k, ok := sc.KeyIn(row, key); ok && k != key {
			t.Fatalf("KeyIn(%s, %q) = %q", row.JSON(), key, k)
		}
	})
}

// FuzzParseNumber holds parseNumber's integer fast path to strconv: the
// same float64, bit for bit (-0 included), for every JSON number.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "7", "-12", "123456789012345", "1234567890123456", "1.5", "1e3", "-0.0", "9007199254740993", "00", "1.", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		if lit == "" || !(lit[0] == '-' || lit[0] >= '0' && lit[0] <= '9') || jsonscan.Check([]byte(lit)) != nil {
			return // not a JSON number
		}
		want, _ := strconv.ParseFloat(lit, 64)
		got := parseNumber(lit)
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%q", lit)
	})
}
