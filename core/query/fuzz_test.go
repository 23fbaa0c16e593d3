package query

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
)

// FuzzQuery compiles arbitrary query JSON and runs what compiles over small
// collections with a few changes: nothing may panic, errors must be
// *ir.Error, and the live result must equal a recomputation.
func FuzzQuery(f *testing.F) {
	for _, q := range testQueries {
		f.Add([]byte(q))
	}
	f.Add([]byte(`{"from":{"alias":"u","collection":"users"},"select":[{"field":"x","expr":{"type":"func","name":"divide","args":[{"type":"ref","path":["u","age"]},{"type":"ref","path":["u","team"]}]}}],"orderBy":[{"expr":{"type":"ref","path":["$selected","x"]}}],"limit":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := ir.Parse(data)
		if err != nil {
			return
		}
		has := func(n string) bool { return n == "users" || n == "posts" }
		lq, err := Compile(q, Options{HasCollection: has})
		if err != nil {
			var e *ir.Error
			if !errors.As(err, &e) {
				t.Fatalf("compile error %T %v is not an *ir.Error", err, err)
			}
			return
		}
		r := rand.New(rand.NewPCG(1, 2))
		d := db{"users": collection.New("users", "user", "id"), "posts": collection.New("posts", "post", "id")}
		d["users"].Begin()
		d["posts"].Begin()
		for i := range 6 {
			d["users"].Put(fmt.Sprintf("u%d", i), randUser(r, fmt.Sprintf("u%d", i)))
			d["posts"].Put(fmt.Sprintf("p%d", i), randPost(r, fmt.Sprintf("p%d", i)))
		}
		d["users"].End(false)
		d["posts"].End(false)
		lq.Load(d.reader())
		for range 4 {
			name, ch := step(r, d)
			lq.Apply(name, ch)
		}
		fresh, err := Compile(q, Options{HasCollection: has})
		if err != nil {
			t.Fatal(err)
		}
		fresh.Load(d.reader())
		if a, b := fmt.Sprint(result(lq)), fmt.Sprint(result(fresh)); a != b {
			t.Fatalf("incremental %s\nfresh       %s", a, b)
		}
	})
}
