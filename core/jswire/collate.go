package jswire

import (
	"fmt"
	"sync"

	"github.com/streamdb/streamdb/core/query"
	"github.com/streamdb/streamdb/core/value"
)

// Compare orders two strings as a page's Intl.Collator does: negative,
// zero or positive. An error (the collator threw) falls back to UTF-16
// code unit order.
type Compare func(a, b string) (int, error)

// NewCompare makes the comparison of Intl.Collator(locale, options):
// locale "" means the page's default, options is the options object's
// JSON text ("" for none).
type NewCompare func(locale, options string) (Compare, error)

// Collator returns the engine's collator (db.Options.Collator) over the
// page's collations, as TanStack DB's stringSort 'locale' (localeCompare)
// orders strings. Each locale and options pair is made once and cached.
func Collator(newCompare NewCompare) query.Collator {
	var mu sync.Mutex
	cache := map[string]value.Collation{}
	return func(locale string, options value.Value) (value.Collation, error) {
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
		cmp, err := newCompare(locale, opts)
		if err != nil {
			return nil, fmt.Errorf("Intl.Collator(%q, %s): %w", locale, opts, err)
		}
		c := func(a, b string) int {
			if a == b {
				return 0
			}
			n, err := cmp(a, b)
			if err != nil {
				return value.Lexical(a, b)
			}
			return n
		}
		cache[id] = c
		return c, nil
	}
}
