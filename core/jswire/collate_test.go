package jswire_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/core/value"
)

// fakePage is the page's side of ranked collation (js/collate.js's
// collation) in Go: the protocol of jswire.Place over compare.
type fakePage struct {
	compare func(a, b string) int
	kept    []string
	calls   int // Place calls
	cmps    int // compare calls from the engine (one crossing each)
}

func (p *fakePage) place(text string) (string, error) {
	p.calls++
	if text == "" {
		p.kept = nil // the module forgets its ranks
		return "[]", nil
	}
	var strs []string
	if err := json.Unmarshal([]byte(text), &strs); err != nil {
		return "", err
	}
	order := make([]int, len(strs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return p.compare(strs[a], strs[b]) })
	out := make([][4]any, len(strs))
	type add struct {
		pos int
		s   string
	}
	var added []add
	from, gap, group, last := 0, -1, -1, ""
	for _, i := range order {
		s := strs[i]
		lo, _ := slices.BinarySearchFunc(p.kept[from:], s, p.compare)
		lo += from
		from = lo
		if lo < len(p.kept) && p.compare(p.kept[lo], s) == 0 {
			out[i] = [4]any{p.kept[lo], nil, 1, 0}
			continue
		}
		switch {
		case lo != gap:
			gap, group = lo, 0
			added = append(added, add{lo, s})
		case p.compare(last, s) != 0:
			group++
			added = append(added, add{lo, s})
		}
		last = s
		var pred, succ any
		if lo > 0 {
			pred = p.kept[lo-1]
		}
		if lo < len(p.kept) {
			succ = p.kept[lo]
		}
		out[i] = [4]any{pred, succ, 0, group}
	}
	var merged []string
	k := 0
	for _, a := range added {
		merged = append(merged, p.kept[k:a.pos]...)
		k = a.pos
		merged = append(merged, a.s)
	}
	p.kept = append(merged, p.kept[k:]...)
	b, err := json.Marshal(out)
	return string(b), err
}

// caseless orders strings ignoring ASCII case: "A" and "a" are equal.
func caseless(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

// pageCollation is the page's collation over page: each compare counted.
func (p *fakePage) collation(rootASCII bool) jswire.NewCompare {
	return func(string, string) (jswire.PageCollation, error) {
		return jswire.PageCollation{
			Compare: func(a, b string) (int, error) {
				p.cmps++
				return p.compare(a, b), nil
			},
			Place:     p.place,
			RootASCII: rootASCII,
		}, nil
	}
}

// Prepared strings compare by rank exactly as the page's collator orders
// them, equal strings included, however the batches come: one big batch
// (a first result), one string at a time (live changes), strings that
// fall between the same two again and again (which uses up a gap and makes
// every rank anew), and strings seen before.
func TestRankedCollation(t *testing.T) {
	letters := []string{"a", "A", "b", "B", "c", "é", "z", "Z", "ä"}
	word := func(rng *rand.Rand) string {
		n := 1 + rng.IntN(4)
		var sb strings.Builder
		for range n {
			sb.WriteString(letters[rng.IntN(len(letters))])
		}
		return sb.String()
	}
	for _, tc := range []struct {
		name    string
		batches func(rng *rand.Rand) [][]string
	}{
		{"one batch", func(rng *rand.Rand) [][]string {
			var b []string
			for range 2000 {
				b = append(b, word(rng))
			}
			return [][]string{b}
		}},
		{"one at a time", func(rng *rand.Rand) [][]string {
			var bs [][]string
			for range 500 {
				bs = append(bs, []string{word(rng)})
			}
			return bs
		}},
		{"one gap, many times", func(rng *rand.Rand) [][]string {
			// "b" then ever longer "a…" strings: each falls between the
			// last one and "b".
			bs := [][]string{{"a", "b"}}
			for i := 1; i < 200; i++ {
				bs = append(bs, []string{"a" + strings.Repeat("z", i)})
			}
			return bs
		}},
		{"mixed sizes", func(rng *rand.Rand) [][]string {
			var bs [][]string
			for range 60 {
				b := make([]string, rng.IntN(40))
				for i := range b {
					b[i] = word(rng)
				}
				bs = append(bs, b)
			}
			return bs
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(60, 1))
			page := &fakePage{compare: caseless}
			coll, err := jswire.Collator(page.collation(false))("", value.Undefined())
			require.NoError(t, err)
			require.NotNil(t, coll.Prepare)
			seen := map[string]bool{}
			for _, b := range tc.batches(rng) {
				coll.Prepare(b)
				for _, s := range b {
					seen[s] = true
				}
			}
			all := make([]string, 0, len(seen))
			for s := range seen {
				all = append(all, s)
			}
			page.cmps = 0
			for _, a := range all {
				ra, ok := coll.Rank(a)
				require.True(t, ok, "%q is ranked", a)
				for _, b := range all[:min(len(all), 300)] {
					rb, _ := coll.Rank(b)
					want := caseless(a, b)
					if got := coll.Compare(a, b); cmp.Compare(got, 0) != cmp.Compare(want, 0) {
						t.Fatalf("Compare(%q, %q) = %d, want the sign of %d", a, b, got, want)
					}
					if (ra < rb) != (want < 0) || (ra == rb) != (want == 0) {
						t.Fatalf("ranks %q %v, %q %v; collator says %d", a, ra, b, rb, want)
					}
				}
			}
			assert.Zero(t, page.cmps, "prepared strings compare without the page")
			_, ok := coll.Rank("never prepared")
			assert.False(t, ok)
			assert.Equal(t, cmp.Compare(caseless("never prepared", "a"), 0), cmp.Compare(coll.Compare("never prepared", "a"), 0), "unprepared strings compare through the page")
		})
	}
}

// A failing Place leaves the strings unranked: they still compare, through
// the page.
func TestRankedCollationPlaceFails(t *testing.T) {
	coll, err := jswire.Collator(func(string, string) (jswire.PageCollation, error) {
		return jswire.PageCollation{
			Compare: func(a, b string) (int, error) { return caseless(a, b), nil },
			Place:   func(string) (string, error) { return "", errors.New("place threw") },
		}, nil
	})("", value.Undefined())
	require.NoError(t, err)
	coll.Prepare([]string{"b", "A"})
	_, ok := coll.Rank("b")
	assert.False(t, ok)
	assert.Equal(t, 1, coll.Compare("b", "A"))
	for _, bad := range []string{`[]`, `{}`, `[[null,null,1,0],[1,2,3,4]]`, `not json`} {
		coll, _ := jswire.Collator(func(string, string) (jswire.PageCollation, error) {
			return jswire.PageCollation{
				Compare: func(a, b string) (int, error) { return caseless(a, b), nil },
				Place:   func(string) (string, error) { return bad, nil },
			}, nil
		})("", value.Undefined())
		coll.Prepare([]string{"b", "A"})
		_, ok := coll.Rank("A")
		assert.False(t, ok, fmt.Sprintf("answer %s ranks nothing", bad))
	}
}

// With a collation that orders ASCII as the root collation does, strings
// of printable ASCII compare in Go: preparing a few (a live change's) costs
// no call to the page, comparing them no crossing, and nothing is ranked.
// The first string outside ASCII ranks every string so far with it, in one
// call; from then on every comparison and rank agrees with the page,
// without crossing. A collation
// that tailors ASCII (Czech) or is not said to be root-like ranks from the
// start.
func TestASCIICollation(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2))
	const alphabet = "aAbBcChHzZ -_.9"
	word := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	var batches [][]string
	for range 30 {
		b := make([]string, 1+rng.IntN(50))
		for i := range b {
			b[i] = word()
		}
		batches = append(batches, b)
	}
	others := []string{"éclair", "Ärger", "ch€", "zürich", "Hé"}
	english := collate.New(language.English)
	for _, tc := range []struct {
		name      string
		compare   func(a, b string) int
		rootASCII bool
		inGo      bool
	}{
		{"English", english.CompareString, true, true},
		{"English, not said to be root-like", english.CompareString, false, false},
		{"Czech, said to be root-like", collate.New(language.Czech).CompareString, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := &fakePage{compare: tc.compare}
			coll, err := jswire.Collator(page.collation(tc.rootASCII))("", value.Undefined())
			require.NoError(t, err)
			page.cmps = 0
			var all []string
			for _, b := range batches {
				coll.Prepare(b)
				all = append(all, b...)
			}
			check := func(strs []string) {
				t.Helper()
				page.cmps = 0
				for i, a := range strs {
					for _, b := range strs[max(0, i-60) : i+1] {
						if got, want := cmp.Compare(coll.Compare(a, b), 0), cmp.Compare(tc.compare(a, b), 0); got != want {
							t.Fatalf("Compare(%q, %q) = %d, the page says %d", a, b, got, want)
						}
					}
				}
				assert.Zero(t, page.cmps, "no comparison crosses")
			}
			check(all)
			if tc.inGo {
				assert.Zero(t, page.calls, "ASCII strings are not ranked by the page")
				_, ok := coll.Rank(all[0])
				assert.False(t, ok)
			} else {
				assert.Equal(t, len(batches), page.calls, "each batch ranked by the page")
			}
			// First results' strings: unranked (compared in Go) while every
			// string is ASCII, else ranked in one call each; two of them,
			// the second's strings falling between the first's, and some
			// again.
			var bulk []string
			for i := range 5000 {
				bulk = append(bulk, fmt.Sprintf("%s %d", word(), i))
			}
			ranked := func(strs []string) {
				t.Helper()
				for i, a := range strs {
					ra, ok := coll.Rank(a)
					require.True(t, ok, "%q ranked", a)
					for _, b := range strs[max(0, i-30):i] {
						rb, _ := coll.Rank(b)
						if want := cmp.Compare(tc.compare(a, b), 0); cmp.Compare(ra, rb) != want {
							t.Fatalf("ranks %q %v, %q %v; the page says %d", a, ra, b, rb, want)
						}
					}
				}
			}
			calls := page.calls
			coll.Prepare(bulk[:2500])
			coll.Prepare(append(bulk[2500:], bulk[:100]...))
			if tc.inGo {
				assert.Equal(t, calls, page.calls, "no call")
				_, ok := coll.Rank(bulk[0])
				assert.False(t, ok, "unranked")
			} else {
				assert.Equal(t, calls+2, page.calls, "ranked in one call each")
				ranked(bulk)
			}
			all = append(all, bulk[:200]...)
			check(all)
			calls = page.calls
			coll.Prepare(others)
			assert.Equal(t, calls+1, page.calls, "one call ranks the batch (and, the first time, the strings kept)")
			ranked(append(append(append([]string{}, others...), all...), bulk...))
			check(append(append([]string{}, others...), all...))
		})
	}
}

// BenchmarkPrepareASCII: the live steps of a locale orderBy over printable
// ASCII strings (compared in Go, kept unranked): 100,000 new strings in
// batches of 600, each batch followed by one that repeats strings seen.
func BenchmarkPrepareASCII(b *testing.B) {
	page := &fakePage{compare: collate.New(language.English).CompareString}
	strs := make([]string, 100_000)
	for i := range strs {
		strs[i] = fmt.Sprintf("alpha beta %d", i)
	}
	for b.Loop() {
		coll, err := jswire.Collator(page.collation(true))("", value.Undefined())
		if err != nil {
			b.Fatal(err)
		}
		for at := 0; at < len(strs); at += 600 {
			coll.Prepare(strs[at:min(at+600, len(strs))])
			coll.Prepare(strs[max(0, at-300):min(at+300, len(strs))])
		}
	}
}

// A collation holds the strings it was prepared with only up to a bound:
// under a flow of new strings (an orderBy on a text that is edited again
// and again) it forgets them, in the page too, instead of holding every
// string ever sorted (and the row text each one is a slice of). Across a
// forget every comparison still agrees with the page: strings prepared
// since compare by rank, older ones through the page or, when both are
// printable ASCII, in Go. With a collation that compares ASCII in Go, the
// first string outside ASCII ranks only what was kept since the last
// forget.
func TestCollationForgets(t *testing.T) {
	english := collate.New(language.English)
	const batches, perBatch = 400, 200 // 80,000 distinct strings, more than forgetAt
	for _, tc := range []struct {
		name      string
		rootASCII bool
		word      func(i int) string
	}{
		{"ranked", false, func(i int) string { return fmt.Sprintf("é %d", i) }},
		{"ASCII in Go", true, func(i int) string { return fmt.Sprintf("edit %d", i) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := &fakePage{compare: english.CompareString}
			coll, err := jswire.Collator(page.collation(tc.rootASCII))("", value.Undefined())
			require.NoError(t, err)
			// A first result's strings, then a flow of new ones.
			var first []string
			for i := range 1000 {
				first = append(first, tc.word(i))
			}
			coll.Prepare(first)
			n := len(first)
			check := func(a, b string) {
				t.Helper()
				if got, want := cmp.Compare(coll.Compare(a, b), 0), cmp.Compare(english.CompareString(a, b), 0); got != want {
					t.Fatalf("Compare(%q, %q) = %d, the page says %d", a, b, got, want)
				}
			}
			most := 0
			for range batches {
				b := make([]string, perBatch)
				for i := range b {
					b[i] = tc.word(n)
					n++
				}
				coll.Prepare(b)
				most = max(most, len(page.kept))
				for i, s := range b[:20] {
					check(s, first[(n+i)%len(first)])
					check(s, b[len(b)-1-i])
				}
			}
			if !tc.rootASCII {
				// Ranked strings: the page keeps one per class.
				assert.Less(t, most, 40_000, "the page's strings stay bounded (a flow of %d strings)", n)
			} else {
				assert.Zero(t, page.calls, "ASCII compares in Go")
				// The first string outside ASCII ranks what was kept: since
				// the last forget only.
				coll.Prepare([]string{"Zürich"})
				assert.Less(t, len(page.kept), 40_000, "ranked at the first string outside ASCII (a flow of %d strings)", n)
				check("Zürich", first[0])
				check("Zürich", tc.word(n-1))
			}
		})
	}
}
