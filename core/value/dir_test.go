package value

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkDir checks that reading each field of the object v through its
// memberDir finds what a scan of its text finds, for every member and for
// names it does not hold.
func checkDir(t *testing.T, v Value) {
	t.Helper()
	scan := v
	scan.num = 0
	names := []string{"", "absent", "_seq", "id"}
	v.Fields(func(k string, _ Value) bool {
		names = append(names, k, k+"x")
		if len(k) > 1 {
			names = append(names, k[:len(k)-1])
		}
		return true
	})
	for _, name := range names {
		ks, vs, ok := findField(v.text(), dirOf(v), name)
		wks, wvs, wok := findField(scan.text(), 0, name)
		require.Equal(t, [3]any{wks, wvs, wok}, [3]any{ks, vs, ok}, "field %q of %s", name, v.JSON())
		got, gok := v.RawField(name)
		want, wantOK := scan.RawField(name)
		require.Equal(t, want, got, "field %q of %s", name, v.JSON())
		require.Equal(t, wantOK, gok)
	}
}

func TestMemberDir(t *testing.T) {
	long := `"` + strings.Repeat("a", 40000) + `"` // members beyond dirLimit
	rows := []string{
		`{"id":"1"}`,
		`{"id":"1","name":"Kyle"}`,
		`{"id":"m1","userId":"u7","text":"hello, \"world\"","ts":17,"likes":3}`,
		`{"a":1,"b":[1,{"c":2}],"c":{"d":"}"},"d":null,"e":true,"f":false,"id":"x","g":"last"}`,
		`{"1":"one","2":"two","id":"k","name":"n"}`,
		`{"id":"k","big":` + long + `,"after":1,"again":2,"more":3}`,
		`{"big":` + long + `,"id":"k","after":1}`,
		`{"id":7,"n":1}`, // the key rewritten: members after it move
		`{"n":1,"id":"a long key that BuildRow rewrites","m":2,"o":3,"p":4}`,
	}
	for _, raw := range rows {
		row, err := ParseRow([]byte(raw), "id", String("k"), "_seq", Number(3))
		require.NoError(t, err, raw)
		checkDir(t, row)
	}
	// The builder's objects carry one too.
	var b ObjectBuilder
	b.Add("id", String("m1"))
	b.Add("skip", Undefined())
	b.Add("text", String("lorem ipsum"))
	b.Add("2", Number(2))
	b.Add("ts", Number(5))
	b.Add("likes", Number(1))
	b.Add("last", Null())
	obj := b.Build()
	require.NotZero(t, dirOf(obj))
	checkDir(t, obj)
	// A dir never makes num a NaN or an infinity.
	require.False(t, isNaN(memberDir(0).with(4, dirLimit-1).bits()))
}
