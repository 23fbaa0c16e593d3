package jswire

import (
	"cmp"
	"math"
	"sort"
	"sync"

	"github.com/streamdb/streamdb/core/collate/ascii"
	"github.com/streamdb/streamdb/core/query"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
)

// Compare orders two strings as a page's Intl.Collator does: negative,
// zero or positive. An error (the collator threw) falls back to UTF-16
// code unit order.
type Compare func(a, b string) (int, error)

// Place is the page's side of a collation's ranks (js/collate.js): it keeps
// one string of each class of equal strings it was given, in collator
// order. Given the JSON text of an array of strings it was never given, it
// returns the JSON text of one PLACEMENT per string, in the same order,
// and keeps them (given "", it forgets every string it keeps and returns
// "[]"):
//
//	[PRED, SUCC, EQUAL, GROUP]
//
// EQUAL is 1 when the string equals the kept string PRED (it ranks as
// PRED; SUCC is null); otherwise it lies between the kept strings PRED and
// SUCC (null: none before, none after), and GROUP numbers the classes of
// equal strings of this call that fall between the same two, from 0 in
// collator order.
type Place func(stringsJSON string) (string, error)

// PageCollation is what the page makes for one Intl.Collator.
type PageCollation struct {
	// Compare is the collator's compare.
	Compare Compare
	// Place ranks strings in bulk; nil when the page cannot.
	Place Place
	// RootASCII says that the collator's resolved locale and options
	// leave printable ASCII in the root collation's order: English or the
	// root locale without Unicode extension keys, sensitivity variant, no
	// numeric order, no caseFirst, punctuation not ignored. Two strings of
	// printable ASCII then compare in Go (package ascii), with ranks built
	// from Compare and checked once.
	RootASCII bool
}

// NewCompare makes the comparison of Intl.Collator(locale, options):
// locale "" means the page's default, options is the options object's
// JSON text ("" for none).
type NewCompare func(locale, options string) (PageCollation, error)

// Collator returns the engine's collator (db.Options.Collator) over the
// page's collations, as TanStack DB's stringSort 'locale' (localeCompare)
// orders strings. Each locale and options pair is made once and cached.
//
// Two strings of printable ASCII compare in Go when the collation orders
// them as the root collation does (PageCollation.RootASCII, checked by
// ascii.Build). Otherwise, with a Place, the strings an orderBy sorts are
// ranked before they are compared, all of a batch in one call to the page:
// comparing two ranked strings compares two numbers in Go, where it would
// otherwise call the page's collator once per comparison (a first result
// of n rows makes about n·log n comparisons). While every string is
// printable ASCII, the page is not called at all and nothing is ranked;
// the first string outside ASCII has all of them ranked by the page.
//
// It is not inlined: inlined, its closures would be compiled into the
// wasm once per caller.
//
//go:noinline
func Collator(newCompare NewCompare) query.Collator {
	var mu sync.Mutex
	cache := map[string]query.Collation{}
	return func(locale string, options value.Value) (query.Collation, error) {
		opts := ""
		if options.Kind() == value.KindObject {
			opts = options.JSON()
		}
		id := locale + "\x00" + opts
		mu.Lock()
		defer mu.Unlock()
		if c, ok := cache[id]; ok {
			return c, nil
		}
		pc, err := newCompare(locale, opts)
		if err != nil {
			return query.Collation{}, strfmt.Errorf("Intl.Collator(%q, %s): %w", locale, opts, err)
		}
		r := &ranks{compare: pc.Compare, place: pc.Place, rank: map[string]float64{}}
		if pc.RootASCII {
			if asc, ok := ascii.Build(r.pageCompare); ok {
				r.asc, r.pure = &asc, true
			}
		}
		c := query.Collation{Compare: r.cmp}
		if pc.Place != nil {
			c.Prepare, c.Rank = r.prepare, r.rankOf
		}
		cache[id] = c
		return c, nil
	}
}

// ranks holds the ranks of the strings a collation was prepared with.
// Ranks are numbers with gaps between them, so that a new string gets one
// between its neighbours'; when a gap is used up, every rank is made anew.
type ranks struct {
	compare Compare
	place   Place
	asc     *ascii.Ranks // nil: ASCII strings compare as the others do
	mu      sync.Mutex
	rank    map[string]float64 // every string prepared since the last forget
	// pure: every string prepared so far is printable ASCII (and asc is
	// set): they are kept in plain, unranked, and ranked with the first
	// string that is not.
	pure bool
	// plain holds the strings prepared while pure since the last forget.
	plain map[string]struct{}
	// biggest is the most strings one prepare was given since the last
	// forget (a first result's are all of its rows').
	biggest int
}

// forgetAt is the fewest strings a collation holds before it may forget
// them (see forget).
const forgetAt = 1 << 15

// pageCompare is the page's compare, code unit order when it throws.
func (r *ranks) pageCompare(a, b string) int {
	n, err := r.compare(a, b)
	if err != nil {
		return value.Lexical(a, b)
	}
	return n
}

// cmp compares two printable ASCII strings in Go, else by rank when both
// strings have one, else through the page.
func (r *ranks) cmp(a, b string) int {
	if a == b {
		return 0
	}
	if r.asc != nil && ascii.Printable(a, false) && ascii.Printable(b, false) {
		return r.asc.Compare(a, b)
	}
	r.mu.Lock()
	x, okA := r.rank[a]
	y, okB := r.rank[b]
	r.mu.Unlock()
	if okA && okB {
		return cmp.Compare(x, y)
	}
	return r.pageCompare(a, b)
}

func (r *ranks) rankOf(s string) (float64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.rank[s]
	return f, ok
}

// prepare ranks the strings of strs that have no rank yet, in one call to
// the page. When the call fails the strings stay unranked and are compared
// through the page one pair at a time.
func (r *ranks) prepare(strs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.biggest = max(r.biggest, len(strs))
	if len(r.rank)+len(r.plain) > max(forgetAt, 4*r.biggest) {
		r.forget()
		r.biggest = len(strs)
	}
	if r.pure && r.keepPlain(strs) {
		return
	}
	pure := r.pure
	if pure && !allPrintable(strs) {
		// The first string outside ASCII: every string kept so far is
		// ranked with this batch's.
		pure, r.pure = false, false
		all := make([]string, 0, len(strs)+len(r.plain))
		all = append(all, strs...)
		for s := range r.plain {
			all = append(all, s)
		}
		strs, r.plain = all, nil
	}
	var fresh []string
	seen := map[string]bool{}
	for _, s := range strs {
		if _, ok := r.rank[s]; !ok && !seen[s] {
			seen[s] = true
			fresh = append(fresh, s)
		}
	}
	if len(fresh) == 0 {
		return
	}
	if pure {
		// Compared in Go, unranked (a first result's TopK selects its
		// window with comparisons); kept for the first string outside
		// ASCII.
		if r.plain == nil {
			r.plain = map[string]struct{}{}
		}
		for _, s := range fresh {
			r.plain[s] = struct{}{}
		}
		return
	}
	if r.place == nil {
		return // forgetting failed: compared through the page
	}
	places, err := r.pagePlace(fresh)
	if err != nil {
		return
	}
	if !r.assign(fresh, places) {
		r.renumber()
		r.assign(fresh, places)
	}
}

// keepPlain keeps the strings of strs in plain, while every string is
// printable ASCII (compared in Go, unranked: see prepare), in one pass: a
// live step's strings cost a map lookup each. It reports false, at the
// first string that is not, leaving that one and the rest to prepare.
func (r *ranks) keepPlain(strs []string) bool {
	if r.plain == nil {
		r.plain = map[string]struct{}{}
	}
	for _, s := range strs {
		if _, ok := r.plain[s]; ok {
			continue
		}
		if !ascii.Printable(s, false) {
			return false
		}
		r.plain[s] = struct{}{}
	}
	return true
}

// forget drops every rank and every string kept while pure, here and in
// the page. They are one entry per distinct string ever sorted, most of
// them slices of their row's text, which they keep after the row is gone:
// under a flow of changed strings (an orderBy on a text that is edited)
// they grew without end. The strings still in use (the sorted results'
// rows) are ranked again as batches bring them; until then a comparison
// with one of them goes through the page, or stays in Go when both are
// printable ASCII: the order is the same, the comparison slower. When the
// page cannot forget, nothing is ranked any more.
func (r *ranks) forget() {
	if len(r.rank) > 0 && r.place != nil {
		if _, err := r.place(""); err != nil {
			r.place = nil
		}
	}
	r.rank = map[string]float64{}
	r.plain = nil
	r.pure = r.asc != nil
}

// pagePlace places fresh through the page (Place).
func (r *ranks) pagePlace(fresh []string) ([]placement, error) {
	buf := []byte{'['}
	for i, s := range fresh {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = value.AppendJSON(buf, value.String(s))
	}
	buf = append(buf, ']')
	out, err := r.place(string(buf))
	if err != nil {
		return nil, err
	}
	return parsePlacements(out, len(fresh))
}

// allPrintable reports whether every string of strs is printable ASCII.
func allPrintable(strs []string) bool {
	for _, s := range strs {
		if !ascii.Printable(s, false) {
			return false
		}
	}
	return true
}

// placement is one PLACEMENT of Place's answer.
type placement struct {
	pred, succ       string
	hasPred, hasSucc bool
	equal            bool
	group            int
}

func parsePlacements(text string, n int) ([]placement, error) {
	v, err := value.ParseString(text)
	if err != nil || v.Kind() != value.KindArray || v.Len() != n {
		return nil, strfmt.Errorf("collation placements: want an array of %d, got %.80q", n, text)
	}
	ps := make([]placement, 0, n)
	v.Elems(func(_ int, e value.Value) bool {
		var p placement
		p.pred, p.hasPred = e.Index(0).Str()
		p.succ, p.hasSucc = e.Index(1).Str()
		eq, _ := e.Index(2).Num()
		g, _ := e.Index(3).Num()
		p.equal, p.group = eq == 1, int(g)
		ps = append(ps, p)
		return true
	})
	for _, p := range ps {
		if p.equal && !p.hasPred || p.group < 0 {
			return nil, strfmt.Errorf("collation placements: malformed %.80q", text)
		}
	}
	return ps, nil
}

// assign gives each fresh string its rank from its placement; it reports
// false, assigning nothing, when a gap is too narrow for the strings that
// fall in it.
func (r *ranks) assign(fresh []string, places []placement) bool {
	// A gap is where fresh strings fall: between two kept strings, or
	// before the first or after the last one (no pred, no succ: the empty
	// string is a kept string like any other).
	type gap struct {
		pred, succ       string
		hasPred, hasSucc bool
	}
	gapOf := func(p placement) gap { return gap{p.pred, p.succ, p.hasPred, p.hasSucc} }
	groups := map[gap]int{}
	for _, p := range places {
		if !p.equal {
			g := gapOf(p)
			groups[g] = max(groups[g], p.group+1)
		}
	}
	ranked := make([]float64, len(fresh))
	for i, p := range places {
		n := groups[gapOf(p)]
		lo, hi, ok := r.bounds(p, n)
		if !ok {
			return false
		}
		if p.equal {
			ranked[i] = lo
			continue
		}
		f := lo + (hi-lo)*float64(p.group+1)/float64(n+1)
		if !(lo < f && f < hi) {
			return false
		}
		ranked[i] = f
	}
	for i, s := range fresh {
		r.rank[s] = ranked[i]
	}
	return true
}

// bounds returns the ranks around a placement: its neighbours', or for an
// end a rank n+1 beyond the other neighbour (0 and n+1 for the first
// strings). For an equal string both are the rank of the string it equals.
// ok is false when a neighbour has no rank (the page and the engine
// disagree on what was placed).
func (r *ranks) bounds(p placement, n int) (lo, hi float64, ok bool) {
	if p.equal {
		f, ok := r.rank[p.pred]
		return f, f, ok
	}
	span := float64(n + 1)
	switch {
	case p.hasPred && p.hasSucc:
		lo, okL := r.rank[p.pred]
		hi, okH := r.rank[p.succ]
		return lo, hi, okL && okH
	case p.hasPred:
		lo, ok := r.rank[p.pred]
		return lo, lo + span, ok
	case p.hasSucc:
		hi, ok := r.rank[p.succ]
		return hi - span, hi, ok
	}
	return 0, span, true
}

// renumber gives the ranked strings the ranks 0, 1, 2... in their order
// (equal ranks stay equal), which widens every gap to 1.
func (r *ranks) renumber() {
	type entry struct {
		s string
		f float64
	}
	all := make([]entry, 0, len(r.rank))
	for s, f := range r.rank {
		all = append(all, entry{s, f})
	}
	// sort.Slice, not slices.SortFunc: this runs once per collation, and
	// each slices instantiation adds about 20 KB of code to the wasm.
	sort.Slice(all, func(i, j int) bool { return cmp.Less(all[i].f, all[j].f) })
	next, last := -1.0, math.Inf(-1)
	for _, e := range all {
		if e.f != last {
			next++
			last = e.f
		}
		r.rank[e.s] = next
	}
}
