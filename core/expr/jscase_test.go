package expr

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"unicode"
)

// TestCaseMappingNode checks jsToUpper and jsToLower on every code point
// against Node's toUpperCase and toLowerCase (testdata/casemap.mjs).
func TestCaseMappingNode(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	out, err := exec.Command(node, filepath.Join("testdata", "casemap.mjs")).Output()
	if err != nil {
		t.Fatalf("casemap.mjs: %v", err)
	}
	var in struct {
		Unicode string    `json:"unicode"`
		Map     [][3]any  `json:"map"`
		Cased   [][2]rune `json:"cased"`
		Ignor   [][2]rune `json:"caseIgnorable"`
	}
	if err := json.Unmarshal(out, &in); err != nil {
		t.Fatal(err)
	}
	if in.Unicode != jsUnicodeVersion {
		t.Logf("node has Unicode %s, the tables %s: regenerate with go generate", in.Unicode, jsUnicodeVersion)
	}
	upper := map[rune]string{}
	lower := map[rune]string{}
	for _, m := range in.Map {
		cp := rune(m[0].(float64))
		upper[cp] = m[1].(string)
		lower[cp] = m[2].(string)
	}
	bad := 0
	for cp := rune(0); cp <= unicode.MaxRune; cp++ {
		if cp >= 0xD800 && cp <= 0xDFFF {
			continue
		}
		s := string(cp)
		wantU, ok := upper[cp]
		if !ok {
			wantU = s
		}
		wantL, ok := lower[cp]
		if !ok {
			wantL = s
		}
		if got := jsToUpper(s); got != wantU {
			bad++
			if bad < 20 {
				t.Errorf("upper(%U) = %+q, JS %+q", cp, got, wantU)
			}
		}
		if got := jsToLower(s); got != wantL {
			bad++
			if bad < 20 {
				t.Errorf("lower(%U) = %+q, JS %+q", cp, got, wantL)
			}
		}
	}
	check := func(name string, f func(rune) bool, rs [][2]rune) {
		i := 0
		for cp := rune(0); cp <= unicode.MaxRune; cp++ {
			for i < len(rs) && rs[i][1] < cp {
				i++
			}
			want := i < len(rs) && rs[i][0] <= cp
			if cp >= 0xD800 && cp <= 0xDFFF {
				continue
			}
			if f(cp) != want {
				t.Errorf("%s(%U) = %v", name, cp, !want)
				return
			}
		}
	}
	check("isCased", isCased, in.Cased)
	check("isCaseIgnorable", isCaseIgnorable, in.Ignor)
}

func TestFinalSigma(t *testing.T) {
	tests := map[string]string{
		"Σ":        "σ",
		"ΑΣ":       "ας",
		"ΑΣ ΑΣ":    "ας ας",
		"ΑΣΑ":      "ασα",
		"ΑΣ.":      "ας.",
		"Α.Σ":      "α.ς",
		"Α.Σ.Α":    "α.σ.α",
		"1Σ":       "1σ",
		"ΌΣΟΣ":     "όσος",
		"ΣΣ":       "σς",
		"AΣ\u0301": "aς\u0301",
	}
	for in, want := range tests {
		if got := jsToLower(in); got != want {
			t.Errorf("lower(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCaseNoAlloc(t *testing.T) {
	s := "already lower 123"
	if n := testing.AllocsPerRun(100, func() { _ = jsToLower(s) }); n != 0 {
		t.Errorf("lower of a lower-case ASCII string allocates %v times", n)
	}
	u := "ALREADY UPPER 123"
	if n := testing.AllocsPerRun(100, func() { _ = jsToUpper(u) }); n != 0 {
		t.Errorf("upper of an upper-case ASCII string allocates %v times", n)
	}
}
