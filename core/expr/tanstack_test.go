package expr

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
)

// The cases in testdata/cases.json were computed by TanStack DB's own
// evaluator (testdata/gen.mjs); every one must come out the same here.

// aliasResolver resolves the aliases of the generated cases: r is slot 0,
// s slot 1 (undefined), n slot 2 (null); fields are the rest of the path.
type aliasResolver struct{}

func (aliasResolver) Ref(path []string) (int, []string, error) {
	switch path[0] {
	case "r":
		return 0, path[1:], nil
	case "s":
		return 1, path[1:], nil
	case "n":
		return 2, path[1:], nil
	}
	return 0, nil, fmt.Errorf("unknown alias %q", path[0])
}

func (aliasResolver) Agg(*ir.Expr) (int, error) {
	return 0, fmt.Errorf("no aggregates here")
}

// decodeJS decodes a value of the cases file: {"$js": "NaN"} and the like
// are the values JSON cannot hold.
func decodeJS(v value.Value) value.Value {
	if v.Kind() == value.KindObject && v.Len() == 1 {
		if tag, ok := v.Get("$js").Str(); ok {
			switch tag {
			case "undefined":
				return value.Undefined()
			case "NaN":
				return value.Number(math.NaN())
			case "Infinity":
				return value.Number(math.Inf(1))
			case "-Infinity":
				return value.Number(math.Inf(-1))
			}
		}
	}
	return v
}

// decodeExpr decodes an expression in core/ir's JSON form (with tagged
// values).
func decodeExpr(t testing.TB, v value.Value) *ir.Expr {
	t.Helper()
	typ, _ := v.Get("type").Str()
	switch typ {
	case "ref":
		e := &ir.Expr{Kind: ir.Ref}
		v.Get("path").Elems(func(_ int, p value.Value) bool {
			s, _ := p.Str()
			e.Path = append(e.Path, s)
			return true
		})
		return e
	case "val":
		return &ir.Expr{Kind: ir.Val, Value: decodeJS(v.Get("value"))}
	case "func":
		name, _ := v.Get("name").Str()
		e := &ir.Expr{Kind: ir.Func, Name: name}
		v.Get("args").Elems(func(_ int, a value.Value) bool {
			e.Args = append(e.Args, decodeExpr(t, a))
			return true
		})
		return e
	}
	t.Fatalf("bad expression %s", v)
	return nil
}

// sameJS reports whether got is the value want (NaN equal to NaN).
func sameJS(got, want value.Value) bool {
	if got.Kind() != want.Kind() {
		return false
	}
	if f, ok := got.Num(); ok {
		g, _ := want.Num()
		return f == g || (f != f && g != g)
	}
	if k := got.Kind(); k == value.KindArray || k == value.KindObject {
		// The cases hold TanStack's results as JSON.stringify wrote them,
		// where ±Infinity inside became null.
		return stringified(got.JSON()) == want.JSON()
	}
	return value.Equal(got, want)
}

// infinity matches ±Infinity as the canonical text of arrays and objects
// writes it (1e999, -1e999).
var infinity = regexp.MustCompile(`([\[,:])-?1e999([,\]}])`)

// stringified is the canonical text of an array or object as
// JSON.stringify writes it: ±Infinity becomes null.
func stringified(s string) string {
	for {
		t := infinity.ReplaceAllString(s, "${1}null${2}")
		if t == s {
			return s
		}
		s = t
	}
}

// show prints a value with undefined and NaN visible.
func show(v value.Value) string {
	if f, ok := v.Num(); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return value.NumberToString(f)
	}
	return v.String()
}

func valExpr(v value.Value) *ir.Expr { return &ir.Expr{Kind: ir.Val, Value: v} }

func refExpr(path ...string) *ir.Expr { return &ir.Expr{Kind: ir.Ref, Path: path} }

func funcExpr(name string, args ...*ir.Expr) *ir.Expr {
	return &ir.Expr{Kind: ir.Func, Name: name, Args: args}
}

// checkCases checks every case of a cases file and returns the number of
// cases it checked.
func checkCases(t *testing.T, data []byte) int {
	t.Helper()
	file, err := value.Parse(data)
	if err != nil {
		t.Fatalf("parse cases: %v", err)
	}
	vals := []value.Value{file.Get("row"), value.Undefined(), value.Null()}
	var pool []value.Value
	file.Get("pool").Elems(func(_ int, v value.Value) bool {
		pool = append(pool, decodeJS(v))
		return true
	})
	strs := func(name string) []string {
		var out []string
		file.Get(name).Elems(func(_ int, v value.Value) bool {
			s, _ := v.Str()
			out = append(out, s)
			return true
		})
		return out
	}
	fields := strs("fields")
	n, failed := 0, 0
	check := func(e *ir.Expr, want value.Value, what func() string) {
		n++
		ev, err := Compile(e, aliasResolver{})
		if err != nil {
			failed++
			if failed <= 40 {
				t.Errorf("%s: compile: %v", what(), err)
			}
			return
		}
		if got := ev(vals); !sameJS(got, want) {
			failed++
			if failed <= 40 {
				t.Errorf("%s = %s, TanStack gives %s", what(), show(got), show(want))
			}
		}
	}
	// Every argument is its own val node, as decoded from JSON.
	val := func(v value.Value) *ir.Expr { return valExpr(v) }
	file.Get("unary").Fields(func(name string, res value.Value) bool {
		res.Elems(func(i int, want value.Value) bool {
			check(funcExpr(name, val(pool[i])), decodeJS(want), func() string {
				return fmt.Sprintf("%s(%s)", name, show(pool[i]))
			})
			return true
		})
		return true
	})
	file.Get("binary").Fields(func(name string, res value.Value) bool {
		res.Elems(func(i int, row value.Value) bool {
			row.Elems(func(j int, want value.Value) bool {
				check(funcExpr(name, val(pool[i]), val(pool[j])), decodeJS(want), func() string {
					return fmt.Sprintf("%s(%s, %s)", name, show(pool[i]), show(pool[j]))
				})
				return true
			})
			return true
		})
		return true
	})
	file.Get("refBinary").Fields(func(name string, res value.Value) bool {
		res.Elems(func(i int, row value.Value) bool {
			row.Elems(func(j int, want value.Value) bool {
				check(funcExpr(name, refExpr("r", fields[i]), refExpr("r", fields[j])), decodeJS(want), func() string {
					return fmt.Sprintf("%s(r.%s, r.%s)", name, fields[i], fields[j])
				})
				return true
			})
			return true
		})
		return true
	})
	likeValues, likePatterns := strs("likeValues"), strs("likePatterns")
	file.Get("like").Fields(func(name string, res value.Value) bool {
		res.Elems(func(i int, row value.Value) bool {
			row.Elems(func(j int, want value.Value) bool {
				e := funcExpr(name, val(value.String(likeValues[i])), val(value.String(likePatterns[j])))
				check(e, decodeJS(want), func() string {
					return fmt.Sprintf("%s(%q, %q)", name, likeValues[i], likePatterns[j])
				})
				// The same with the value read at run time (no folding).
				vals[1] = value.String(likeValues[i])
				e = funcExpr(name, refExpr("s"), val(value.String(likePatterns[j])))
				check(e, decodeJS(want), func() string {
					return fmt.Sprintf("%s(s=%q, %q)", name, likeValues[i], likePatterns[j])
				})
				// And the pattern too.
				vals[1] = value.String(likePatterns[j])
				e = funcExpr(name, val(value.String(likeValues[i])), refExpr("s"))
				check(e, decodeJS(want), func() string {
					return fmt.Sprintf("%s(%q, s=%q)", name, likeValues[i], likePatterns[j])
				})
				vals[1] = value.Undefined()
				return true
			})
			return true
		})
		return true
	})
	file.Get("cases").Elems(func(_ int, c value.Value) bool {
		e := decodeExpr(t, c.Index(0))
		check(e, decodeJS(c.Index(1)), func() string { return c.Index(0).JSON() })
		return true
	})
	if failed > 0 {
		t.Errorf("%d of %d cases differ from TanStack", failed, n)
	}
	return n
}

func TestTanStackCases(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := checkCases(t, data)
	t.Logf("%d cases", n)
}

// TestTanStackCasesFresh runs the generator against the installed
// @tanstack/db, so that the committed table cannot rot: the fresh output
// must pass and must equal testdata/cases.json.
func TestTanStackCasesFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	if _, err := os.Stat(filepath.Join("..", "..", "node_modules", "@tanstack", "db", "package.json")); err != nil {
		t.Skip("node_modules/@tanstack/db not installed")
	}
	var stderr bytes.Buffer
	cmd := exec.Command(node, filepath.Join("testdata", "gen.mjs"))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gen.mjs: %v\n%s", err, stderr.String())
	}
	checkCases(t, out)
	committed, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, committed) {
		t.Errorf("testdata/cases.json is stale: regenerate it with node testdata/gen.mjs > testdata/cases.json")
	}
}
