package stream

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestParseHTTPDate checks parseHTTPDate against time.Parse with the four
// layouts it replaces, on valid dates of each form and on malformed ones.
func TestParseHTTPDate(t *testing.T) {
	for _, v := range []string{
		"Wed, 25 Nov 2026 12:00:30 GMT",
		"wed, 25 nov 2026 12:00:30 UTC",
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 +0130",
		"Sun, 06 Nov 1994 08:49:37 -0700",
		"Sun, 06 Nov 1994 8:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37.25 GMT",
		"Sun, 06 Nov 1994 08:49:37,5 EST",
		"Sun, 06 Nov 1994 08:49:37 CEST",
		"Thu, 29 Feb 2024 23:59:59 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Monday, 01-Jan-68 00:00:00 GMT",
		"Monday, 01-Jan-69 00:00:00 GMT",
		"Sun Nov  6 08:49:37 1994",
		"Sun Nov 16 08:49:37 1994",
		"Sun Nov 6 08:49:37 1994",
		// malformed
		"", "soon", "Wed, 25 Nov 2026", "Wed, 25 Nov 2026 12:00:30",
		"Wed, 25 Nov 2026 12:00:30 GMTX", "Wed, 25 Nov 2026 12:00:30 Gmt",
		"Wed, 25 Nov 2026 12:00:30 CESTX", "Wed, 25 Nov 2026 12:00:30 ESTX",
		"Wed, 25 Nov 2026 12:00:30 GM", "Wed, 25 Nov 2026 24:00:00 GMT",
		"Wed, 25 Nov 2026 12:60:00 GMT", "Wed, 25 Nov 2026 12:00:60 GMT",
		"Wed, 31 Nov 2026 12:00:00 GMT", "Fri, 29 Feb 2023 12:00:00 GMT",
		"Wed, 00 Nov 2026 12:00:00 GMT", "Wed, 5 Nov 2026 12:00:00 GMT",
		"Wed, 25 Nov 26 12:00:00 GMT", "Wed, 25 Nov 2026 12:00:00 GMT ",
		"Wed, 25 Foo 2026 12:00:00 GMT", "Xyz, 25 Nov 2026 12:00:00 GMT",
		"Wed,25 Nov 2026 12:00:00 GMT", "Wed, 25 Nov 2026 12:00:00 +07:00",
		"Wednesday, 25-Nov-2026 12:00:00 GMT", "Wed Nov 25 12:00:00 26",
		"Wed Nov 25 12:00:00 2026 GMT", "Wed Nov  25 12:00:00 2026",
	} {
		var want time.Time
		wantOK := false
		for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC} {
			if tm, err := time.Parse(layout, v); err == nil {
				want, wantOK = tm, true
				break
			}
		}
		got, ok := parseHTTPDate(v)
		assert.Equal(t, wantOK, ok, v)
		if ok && wantOK {
			assert.True(t, want.Equal(got), "%q: got %v, want %v", v, got, want)
		}
	}
}

// FuzzHTTPDate: where time.Parse (with the layouts parseHTTPDate replaces)
// and parseHTTPDate both accept a value, they read the same instant.
// RFC1123Z goes first: time.Parse with RFC1123 takes a numeric zone
// ("+0010") for a zone name at offset 0, where parseHTTPDate (and RFC
// 1123) read the offset.
func FuzzHTTPDate(f *testing.F) {
	f.Add("Wed, 25 Nov 2026 12:00:30 GMT")
	f.Add("Sunday, 06-Nov-94 08:49:37 GMT")
	f.Add("Sun Nov  6 08:49:37 1994")
	f.Add("Sun, 06 Nov 1994 08:49:37 -0700")
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := parseHTTPDate(v)
		if !ok {
			return
		}
		for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC} {
			if want, err := time.Parse(layout, v); err == nil {
				if !want.Equal(got) {
					t.Fatalf("%q: got %v, time.Parse %v", v, got, want)
				}
				return
			}
		}
		t.Fatalf("%q: accepted as %v, time.Parse refuses it", v, got)
	})
}

// TestAppendRFC3339 checks appendRFC3339 against Format(time.RFC3339Nano)
// in UTC.
func TestAppendRFC3339(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	for _, tm := range []time.Time{
		time.Date(2026, 11, 25, 12, 0, 30, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(2026, 1, 2, 23, 4, 5, 1, est),
		time.Date(999, 12, 31, 0, 0, 0, 999999999, time.UTC),
		time.Date(12345, 6, 7, 8, 9, 10, 0, time.UTC),
		time.Unix(1700000000, 123456789),
	} {
		assert.Equal(t, tm.UTC().Format(time.RFC3339Nano), string(appendRFC3339(nil, tm)))
	}
}
