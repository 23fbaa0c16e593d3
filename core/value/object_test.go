package value

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObjectBuilder(t *testing.T) {
	type kv struct {
		k string
		v Value
	}
	tests := []struct {
		name   string
		fields []kv
		want   string
	}{
		{"empty", nil, `{}`},
		{"order kept", []kv{{"b", Number(1)}, {"a", String("x")}}, `{"b":1,"a":"x"}`},
		// node: let o={"1":1,"b":2}; o["0"]=3; o["c"]=4; o["5"]=5; JSON.stringify(o)
		{"index keys first", []kv{{"1", Number(1)}, {"b", Number(2)}, {"0", Number(3)}, {"c", Number(4)}, {"5", Number(5)}}, `{"0":3,"1":1,"5":5,"b":2,"c":4}`},
		{"not index keys", []kv{{"b", Null()}, {"01", Null()}, {"4294967295", Null()}, {"-1", Null()}, {"4294967294", Null()}}, `{"4294967294":null,"b":null,"01":null,"4294967295":null,"-1":null}`},
		{"undefined skipped", []kv{{"a", Undefined()}, {"b", Bool(true)}}, `{"b":true}`},
		{"replace keeps position", []kv{{"a", Number(1)}, {"b", Number(2)}, {"a", Number(3)}}, `{"a":3,"b":2}`},
		{"nested and special", []kv{{"o", MustParse(`{"x":[1]}`)}, {"n", Number(math.NaN())}, {"q\"", String("\n")}}, `{"o":{"x":[1]},"n":null,"q\"":"\n"}`},
	}
	var b ObjectBuilder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range tt.fields {
				b.Add(f.k, f.v)
			}
			v := b.Build()
			assert.Equal(t, KindObject, v.Kind())
			assert.Equal(t, tt.want, v.JSON())
			assert.Equal(t, tt.want, MustParse(tt.want).JSON(), "builder output is canonical")
		})
	}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		base, patch, want string
	}{
		// Expected values from node: JSON.stringify({...base, ...patch})
		{`{"b":1,"2":2}`, `{"1":3,"a":4}`, `{"1":3,"2":2,"b":1,"a":4}`},
		{`{"a":1,"b":2,"c":3}`, `{"b":5,"d":6,"0":7}`, `{"0":7,"a":1,"b":5,"c":3,"d":6}`},
		{`{"10":1,"a":2}`, `{"9":3,"4294967295":4,"2":5}`, `{"2":5,"9":3,"10":1,"a":2,"4294967295":4}`},
		{`{"a":1}`, `{}`, `{"a":1}`},
		{`{}`, `{"a":1}`, `{"a":1}`},
		{`{"a":1,"b":{"x":1}}`, `{"b":{"y":2}}`, `{"a":1,"b":{"y":2}}`},
		{`{"a":1}`, `null`, `{"a":1}`},
		{`null`, `{"a":1}`, `{"a":1}`},
		{`null`, `null`, `{}`},
		{`{"a":"x","b":2}`, `{"b":3,"a":"x"}`, `{"a":"x","b":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.base+tt.patch, func(t *testing.T) {
			got := Merge(MustParse(tt.base), MustParse(tt.patch))
			assert.Equal(t, tt.want, got.JSON())
			assert.Equal(t, tt.want, MustParse(got.JSON()).JSON(), "canonical")
		})
	}
}

func TestMergeNoChange(t *testing.T) {
	base := MustParse(`{"id":1,"name":"a","n":[1,2]}`)
	patch := MustParse(`{"name":"a","n":[1,2]}`)
	allocs := testing.AllocsPerRun(100, func() {
		got := Merge(base, patch)
		if got.text() != base.text() {
			t.Fatal("changed")
		}
	})
	assert.Equal(t, 0.0, allocs)
	allocs = testing.AllocsPerRun(100, func() { _ = Merge(base, MustParse(`{"name":"b"}`)) })
	assert.Equal(t, 1.0, allocs)
}

func TestWith(t *testing.T) {
	tests := []struct {
		obj, key string
		v        Value
		want     string
	}{
		{`{}`, "a", Number(1), `{"a":1}`},
		{`{"a":1}`, "b", String("x"), `{"a":1,"b":"x"}`},
		{`{"a":1,"b":2}`, "a", Number(3), `{"a":3,"b":2}`},
		{`{"a":1,"b":2}`, "b", Number(1.5), `{"a":1,"b":1.5}`},
		{`{"1":0,"5":0,"b":0}`, "3", Null(), `{"1":0,"3":null,"5":0,"b":0}`},
		{`{"1":0,"b":0}`, "7", Null(), `{"1":0,"7":null,"b":0}`},
		{`{"b":0}`, "0", Null(), `{"0":null,"b":0}`},
		{`{"1":0}`, "2", Null(), `{"1":0,"2":null}`},
		{`{"1":0}`, "01", Null(), `{"1":0,"01":null}`},
		{`{"a":1,"b":2,"c":3}`, "b", Undefined(), `{"a":1,"c":3}`},
		{`{"a":1,"b":2}`, "b", Undefined(), `{"a":1}`},
		{`{"a":1,"b":2}`, "a", Undefined(), `{"b":2}`},
		{`{"a":1}`, "a", Undefined(), `{}`},
		{`{"a":1}`, "z", Undefined(), `{"a":1}`},
		{`{"a":1}`, "q\"", MustParse(`[{"x":1}]`), `{"a":1,"q\"":[{"x":1}]}`},
		{`{"a":1}`, "a", Number(math.Inf(1)), `{"a":1e999}`},
		{`null`, "a", Bool(true), `{"a":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.obj+tt.key, func(t *testing.T) {
			got := With(MustParse(tt.obj), tt.key, tt.v)
			assert.Equal(t, tt.want, got.JSON())
			assert.Equal(t, tt.want, MustParse(got.JSON()).JSON(), "canonical")
		})
	}
}

func TestWithSameValueNoAlloc(t *testing.T) {
	obj := MustParse(`{"id":7,"name":"user 7","tags":["a"],"score":5433.07,"esc":"a\nb"}`)
	for _, c := range []struct {
		k string
		v Value
	}{{"id", Number(7)}, {"name", String("user 7")}, {"tags", MustParse(`["a"]`)}, {"score", Number(5433.07)}, {"esc", String("a\nb")}} {
		allocs := testing.AllocsPerRun(100, func() {
			if got := With(obj, c.k, c.v); got.text() != obj.text() {
				t.Fatal("changed")
			}
		})
		assert.Equal(t, 0.0, allocs, c.k)
	}
}

func TestParseRow(t *testing.T) {
	for _, tc := range []struct{ in, pk, key, want string }{
		{`{"id":"1","name":"Kyle"}`, "id", `"1"`, `{"id":"1","name":"Kyle","_seq":7}`},
		{`{"id":"999","name":"Six"}`, "id", `"6"`, `{"id":"6","name":"Six","_seq":7}`},
		{`{"name":"Five"}`, "id", `"5"`, `{"name":"Five","id":"5","_seq":7}`},
		{`{"name":"Five"}`, "id", `5`, `{"name":"Five","id":5,"_seq":7}`},
		{`{"a":1,"id":"x","b":[1,{"c":2}]}`, "id", `"x"`, `{"a":1,"id":"x","b":[1,{"c":2}],"_seq":7}`},
		{`{"_seq":1,"id":"k"}`, "id", `"k"`, `{"_seq":7,"id":"k"}`},
		{` { "id" : "k" , "n" : 1.0 } `, "id", `"k"`, `{"id":"k","n":1,"_seq":7}`},
		{`{"b":1,"2":2,"id":"k"}`, "id", `"k"`, `{"2":2,"b":1,"id":"k","_seq":7}`},
		{`{}`, "id", `"k"`, `{"id":"k","_seq":7}`},
		{`{"id":"k","id":"j"}`, "id", `"k"`, `{"id":"k","_seq":7}`},
	} {
		got, err := ParseRow([]byte(tc.in), tc.pk, MustParse(tc.key), "_seq", Number(7))
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got.JSON(), tc.in)
		slow := With(With(MustParse(tc.in), tc.pk, MustParse(tc.key)), "_seq", Number(7))
		assert.Equal(t, slow.JSON(), got.JSON(), "same as With(With(Parse)) for %s", tc.in)
	}
	_, err := ParseRow([]byte(`{"id":"1","x":tru}`), "id", String("1"), "_seq", Number(1))
	assert.Error(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = ParseRow([]byte(`{"id":"1","name":"Kyle","email":"k@example.com"}`), "id", String("1"), "_seq", Number(12345))
	})
	assert.Equal(t, 1.0, allocs, "one allocation on the common path")
}

func TestKeyIn(t *testing.T) {
	for _, tc := range []struct {
		obj, key string
		keyVal   Value
		shared   bool
	}{
		{`{"id":"u1","n":1}`, "u1", String("u1"), true},    // the row keeps the object's key text
		{`{"n":1,"id":"u1"}`, "u1", String("u1"), true},    // anywhere in the object
		{`{"id":"other","n":1}`, "u1", String("u1"), true}, // replaced by the key, same place
		{`{"id":7,"n":1}`, "7", Number(7), false},          // a number is not the key's text
		{`{"id":"a\nb"}`, "a\nb", String("a\nb"), false},   // escaped: the text is not the key
	} {
		end, sc := ScanRow([]byte(tc.obj), 0, "id", "_seq")
		require.True(t, sc.OK(), tc.obj)
		row, err := BuildRow([]byte(tc.obj)[:end], sc, "id", tc.keyVal, "_seq", Number(0))
		require.NoError(t, err)
		k, ok := sc.KeyIn(row, tc.key)
		assert.Equal(t, tc.shared, ok, tc.obj)
		if ok {
			assert.Equal(t, tc.key, k)
		}
	}
}
