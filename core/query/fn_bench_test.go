package query

import (
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

// BenchmarkFnWhere measures the first result of Q1 (the active users) over
// 100k users written as a where and as an fn.where with a Go callback (the
// callback gets each row as an object; README, "fn.where, fn.select,
// fn.having"): what the callback machinery costs without a language
// bridge. go test ./core/query -run '^$' -bench FnWhere
func BenchmarkFnWhere(b *testing.B) {
	const n = 1_000_000 // messages; users are n/10
	d := anchor(n)
	active := FuncList{func(row value.Value) (value.Value, error) {
		return row.Get("u").Get("active"), nil
	}}
	for _, c := range []struct{ name, q string }{
		{"where", `{"from":{"alias":"u","collection":"users"},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["u","active"]},{"type":"val","value":true}]}]}`},
		{"fn.where", `{"from":{"alias":"u","collection":"users"},"fnWhere":[0]}`},
	} {
		b.Run(c.name+"/users=100k", func(b *testing.B) {
			iq := mustQuery(b, c.q)
			for b.Loop() {
				lq, err := Compile(iq, Options{Funcs: active})
				if err != nil {
					b.Fatal(err)
				}
				lq.LoadSized(d.reader(), d.size)
				if lq.Len() == 0 || lq.Err() != nil {
					b.Fatal("no result", lq.Err())
				}
			}
		})
	}
}
