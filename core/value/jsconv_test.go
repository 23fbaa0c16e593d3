package value

import (
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"strings"
	"testing"
)

// jsConvCases are JavaScript's Number(x) and String(x) for each x, as Node
// computed them (TestJSConvNode checks the table against Node again).
var jsConvCases = []struct {
	v   Value
	num float64
	str string
}{
	{Undefined(), math.NaN(), "undefined"},
	{MustParse("null"), 0, "null"},
	{MustParse("true"), 1, "true"},
	{MustParse("false"), 0, "false"},
	{Number(0), 0, "0"},
	{Number(math.Copysign(0, -1)), math.Copysign(0, -1), "0"},
	{Number(1.5), 1.5, "1.5"},
	{Number(-2e-7), -2e-7, "-2e-7"},
	{Number(1e+21), 1e+21, "1e+21"},
	{Number(123456789), 123456789, "123456789"},
	{Number(1e-7), 1e-7, "1e-7"},
	{Number(0.1), 0.1, "0.1"},
	{Number(-1e+300), -1e+300, "-1e+300"},
	{String(""), 0, ""},
	{String(" "), 0, " "},
	{String("\u0009\u000a\u000d\u000b\u000c"), 0, "\u0009\u000a\u000d\u000b\u000c"},
	{String("42"), 42, "42"},
	{String(" 42 "), 42, " 42 "},
	{String("\u00a042\u2003"), 42, "\u00a042\u2003"},
	{String("\ufeff7"), 7, "\ufeff7"},
	{String("\u180e7"), math.NaN(), "\u180e7"},
	{String("\u200b7"), math.NaN(), "\u200b7"},
	{String("4 2"), math.NaN(), "4 2"},
	{String("+42"), 42, "+42"},
	{String("-42"), -42, "-42"},
	{String("+-1"), math.NaN(), "+-1"},
	{String("1."), 1, "1."},
	{String(".5"), 0.5, ".5"},
	{String("+.5"), 0.5, "+.5"},
	{String("-.5e1"), -5, "-.5e1"},
	{String("."), math.NaN(), "."},
	{String("e5"), math.NaN(), "e5"},
	{String("1e"), math.NaN(), "1e"},
	{String("1e+"), math.NaN(), "1e+"},
	{String("1e-400"), 0, "1e-400"},
	{String("1e400"), math.Inf(1), "1e400"},
	{String("-1e400"), math.Inf(-1), "-1e400"},
	{String("0.0000001"), 1e-7, "0.0000001"},
	{String("123456789012345678901234567890"), 1.2345678901234568e+29, "123456789012345678901234567890"},
	{String("Infinity"), math.Inf(1), "Infinity"},
	{String("-Infinity"), math.Inf(-1), "-Infinity"},
	{String("+Infinity"), math.Inf(1), "+Infinity"},
	{String("infinity"), math.NaN(), "infinity"},
	{String("INFINITY"), math.NaN(), "INFINITY"},
	{String("NaN"), math.NaN(), "NaN"},
	{String("nan"), math.NaN(), "nan"},
	{String("0x10"), 16, "0x10"},
	{String("0X1f"), 31, "0X1f"},
	{String("-0x10"), math.NaN(), "-0x10"},
	{String("+0x10"), math.NaN(), "+0x10"},
	{String("0x"), math.NaN(), "0x"},
	{String("0xg"), math.NaN(), "0xg"},
	{String("0b101"), 5, "0b101"},
	{String("0B2"), math.NaN(), "0B2"},
	{String("0o17"), 15, "0o17"},
	{String("0o8"), math.NaN(), "0o8"},
	{String("017"), 17, "017"},
	{String("0017"), 17, "0017"},
	{String("08"), 8, "08"},
	{String("-0"), math.Copysign(0, -1), "-0"},
	{String("00"), 0, "00"},
	{String("0xffffffffffffffffffff"), 1.2089258196146292e+24, "0xffffffffffffffffffff"},
	{String("0x10000000000000000"), 18446744073709552000, "0x10000000000000000"},
	{String("0b1111111111111111111111111111111111111111111111111111111111111111111111"), 1.1805916207174113e+21, "0b1111111111111111111111111111111111111111111111111111111111111111111111"},
	{String("1_000"), math.NaN(), "1_000"},
	{String("١٢"), math.NaN(), "١٢"},
	{String("１２"), math.NaN(), "１２"},
	{String("12abc"), math.NaN(), "12abc"},
	{String("abc"), math.NaN(), "abc"},
	{String("true"), math.NaN(), "true"},
	{String("null"), math.NaN(), "null"},
	{String("1,5"), math.NaN(), "1,5"},
	{String("5e3"), 5000, "5e3"},
	{String("5E3"), 5000, "5E3"},
	{String("-5e-3"), -0.005, "-5e-3"},
	{MustParse("[]"), 0, ""},
	{MustParse("[\"\"]"), 0, ""},
	{MustParse("[\" 5 \"]"), 5, " 5 "},
	{MustParse("[\"0x10\"]"), 16, "0x10"},
	{MustParse("[[[2]]]"), 2, "2"},
	{MustParse("[1,2]"), math.NaN(), "1,2"},
	{MustParse("[null]"), 0, ""},
	{MustParse("[true]"), math.NaN(), "true"},
	{MustParse("[false]"), math.NaN(), "false"},
	{MustParse("[{}]"), math.NaN(), "[object Object]"},
	{MustParse("[7]"), 7, "7"},
	{MustParse("[[]]"), 0, ""},
	{MustParse("[[\"1e3\"]]"), 1000, "1e3"},
	{MustParse("{}"), math.NaN(), "[object Object]"},
	{MustParse("{\"a\":1}"), math.NaN(), "[object Object]"},
}

func sameNumber(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b) || math.IsNaN(a) && math.IsNaN(b)
}

func TestToNumber(t *testing.T) {
	for _, c := range jsConvCases {
		if got := ToNumber(c.v); !sameNumber(got, c.num) {
			t.Errorf("ToNumber(%s) = %v, JS Number() gives %v", c.v, got, c.num)
		}
	}
}

func TestToString(t *testing.T) {
	for _, c := range jsConvCases {
		if got := ToString(c.v); got != c.str {
			t.Errorf("ToString(%s) = %q, JS String() gives %q", c.v, got, c.str)
		}
	}
	for f, want := range map[float64]string{
		math.NaN(): "NaN", math.Inf(1): "Infinity", math.Inf(-1): "-Infinity", 1e21: "1e+21", 1e-7: "1e-7",
		123e-20: "1.23e-18", 0.000001: "0.000001", -1.5: "-1.5", 2 << 60: "2305843009213694000",
	} {
		if got := NumberToString(f); got != want {
			t.Errorf("NumberToString(%v) = %q, want %q", f, got, want)
		}
	}
}

// TestJSConvNode asks Node for Number(x) and String(x) of every input of
// the table, so that the table cannot drift from JavaScript.
func TestJSConvNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	// Inputs as JSON, undefined and -0 tagged.
	var in []string
	for _, c := range jsConvCases {
		switch {
		case c.v.IsUndefined():
			in = append(in, `{"$js":"undefined"}`)
		case c.v.Kind() == KindNumber && c.v.num == 0 && math.Signbit(c.v.num):
			in = append(in, `{"$js":"-0"}`)
		default:
			in = append(in, c.v.JSON())
		}
	}
	script := `
const inputs = JSON.parse(require("fs").readFileSync(0, "utf8")).map((v) =>
  v && v.$js === "undefined" ? undefined : v && v.$js === "-0" ? -0 : v);
console.log(JSON.stringify(inputs.map((v) => {
  const n = Number(v);
  return [Number.isNaN(n) ? "NaN" : Object.is(n, -0) ? "-0" : String(n), String(v)];
})));`
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = strings.NewReader("[" + strings.Join(in, ",") + "]")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res [][2]string
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	for i, c := range jsConvCases {
		var want float64
		switch res[i][0] {
		case "NaN":
			want = math.NaN()
		case "-0":
			want = math.Copysign(0, -1)
		default:
			want = ToNumber(String(res[i][0]))
		}
		if !sameNumber(c.num, want) {
			t.Errorf("table: Number(%s) = %v, Node says %s", c.v, c.num, res[i][0])
		}
		if got := ToNumber(c.v); !sameNumber(got, want) {
			t.Errorf("ToNumber(%s) = %v, Node says %s", c.v, got, res[i][0])
		}
		if c.str != res[i][1] {
			t.Errorf("table: String(%s) = %q, Node says %q", c.v, c.str, res[i][1])
		}
	}
}
