//go:build js && wasm

package main

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collate/ascii"
)

// The browser's own Intl.Collator, for the page's default locale and for
// English, orders printable ASCII as the root collation does: the ranks
// built from it compare every pair of a few hundred strings as it does, so
// that such strings compare in Go without crossing. A locale that tailors
// ASCII (Czech) is refused.
func TestBrowserCollatorASCII(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const alphabet = "aAbBcChHzZoOsS -_.,'09~!@#&*()[]{}/\\\"+=<>|^`$%?:;"
	strs := []string{""}
	for range 400 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		strs = append(strs, b.String())
	}
	for _, locale := range []string{"", "en", "en-GB", "cs"} {
		t.Run(locale, func(t *testing.T) {
			jsCmp, err := intlCompare(locale, "")
			require.NoError(t, err)
			compare := func(a, b string) int {
				n, err := jsCmp(a, b)
				require.NoError(t, err)
				return n
			}
			r, ok := ascii.Build(compare)
			if locale == "cs" {
				assert.False(t, ok, "Czech tailors ASCII")
				return
			}
			require.True(t, ok, "the browser's collator orders ASCII as the root collation does")
			for i, a := range strs {
				for _, b := range strs[:i+1] {
					want := compare(a, b)
					if got := r.Compare(a, b); got != min(max(want, -1), 1) {
						t.Fatalf("Compare(%q, %q) = %d, the browser says %d", a, b, got, want)
					}
				}
			}
		})
	}
}
