package stream

import (
	"strings"
	"time"
)

// This file parses and formats the two kinds of dates the protocol
// carries without time.Parse and time.Time.Format: time.Parse links time's
// layout parser (about 45 KB of wasm code, 5 KB brotli), and Retry-After
// dates and Stream-Expires-At are the only dates StreamDB reads or
// writes. (time's formatter stays linked: the runtime keeps
// time.Time.String for printing a panic's value.)

// parseHTTPDate parses an HTTP date in the three forms RFC 9110 section
// 5.6.7 has recipients accept, as time.Parse parses them with the layouts
// time.RFC1123, time.RFC1123Z, time.RFC850 and time.ANSIC: names of days
// and months in any case, a zone abbreviation (GMT, UTC, EST, …) as UTC
// (as time.Parse does where the local zone does not know it) or a numeric
// zone (RFC 1123 only), and a fraction after the seconds. It refuses
// time.Parse's rarer forms: "GMT+3" and "+07" as zone names, "WITA", "ChST",
// signed years.
func parseHTTPDate(v string) (time.Time, bool) {
	p := dateParser{s: v}
	var year, month, day int
	var offset int // seconds east of UTC
	switch {
	case len(v) > 4 && v[3] == ',': // RFC 1123: "Mon, 02 Jan 2006 15:04:05 MST"
		if !p.name(shortDays[:]) || !p.lit(", ") {
			return time.Time{}, false
		}
		day = p.digits(2)
		p.lit(" ")
		month = p.month()
		if !p.lit(" ") {
			return time.Time{}, false
		}
		year = p.digits(4)
		if !p.clock() || !p.lit(" ") {
			return time.Time{}, false
		}
		if p.s != "" && (p.s[0] == '+' || p.s[0] == '-') {
			offset = p.numZone()
		} else if !p.zoneName() {
			return time.Time{}, false
		}
	case strings.IndexByte(v, ',') > 3: // RFC 850: "Monday, 02-Jan-06 15:04:05 MST"
		if !p.name(longDays[:]) || !p.lit(", ") {
			return time.Time{}, false
		}
		day = p.digits(2)
		p.lit("-")
		month = p.month()
		if !p.lit("-") {
			return time.Time{}, false
		}
		if year = p.digits(2); year >= 69 {
			year += 1900
		} else {
			year += 2000
		}
		if !p.clock() || !p.lit(" ") || !p.zoneName() {
			return time.Time{}, false
		}
	default: // ANSI C asctime: "Mon Jan _2 15:04:05 2006"
		if !p.name(shortDays[:]) || !p.lit(" ") {
			return time.Time{}, false
		}
		month = p.month()
		if !p.lit(" ") {
			return time.Time{}, false
		}
		p.s = strings.TrimPrefix(p.s, " ") // _2: a day below 10 may be padded with a space
		day = p.upTo2Digits()
		if !p.clock() || !p.lit(" ") {
			return time.Time{}, false
		}
		year = p.digits(4)
	}
	if p.bad || p.s != "" || month < 1 || day < 1 || day > daysIn(month, year) {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, p.hour, p.min, p.sec, p.nsec, time.UTC).
		Add(-time.Duration(offset) * time.Second), true
}

var (
	shortDays   = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	longDays    = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	shortMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// dateParser consumes s from the left; bad records a failed step, so a
// sequence of steps can be checked once.
type dateParser struct {
	s                    string
	bad                  bool
	hour, min, sec, nsec int
}

// lit consumes the literal text t.
func (p *dateParser) lit(t string) bool {
	if !strings.HasPrefix(p.s, t) {
		p.bad = true
		return false
	}
	p.s = p.s[len(t):]
	return true
}

// name consumes one of names, in any case, as time.Parse matches them.
func (p *dateParser) name(names []string) bool {
	for _, n := range names {
		if len(p.s) >= len(n) && strings.EqualFold(p.s[:len(n)], n) {
			p.s = p.s[len(n):]
			return true
		}
	}
	p.bad = true
	return false
}

// month consumes a month's abbreviation and returns its number.
func (p *dateParser) month() int {
	for i, n := range shortMonths {
		if len(p.s) >= 3 && strings.EqualFold(p.s[:3], n) {
			p.s = p.s[3:]
			return i + 1
		}
	}
	p.bad = true
	return 0
}

// digits consumes exactly n decimal digits. Not inlined, as appendPadded.
//
//go:noinline
func (p *dateParser) digits(n int) int {
	v := 0
	for i := range n {
		if i >= len(p.s) || p.s[i] < '0' || p.s[i] > '9' {
			p.bad = true
			return 0
		}
		v = v*10 + int(p.s[i]-'0')
	}
	p.s = p.s[n:]
	return v
}

// upTo2Digits consumes one or two decimal digits.
func (p *dateParser) upTo2Digits() int {
	if len(p.s) >= 2 && p.s[1] >= '0' && p.s[1] <= '9' {
		return p.digits(2)
	}
	return p.digits(1)
}

// clock consumes " 15:04:05" with an optional fraction of a second.
func (p *dateParser) clock() bool {
	if !p.lit(" ") {
		return false
	}
	p.hour = p.upTo2Digits()
	p.lit(":")
	p.min = p.digits(2)
	p.lit(":")
	p.sec = p.digits(2)
	if len(p.s) > 1 && (p.s[0] == '.' || p.s[0] == ',') && p.s[1] >= '0' && p.s[1] <= '9' {
		p.s = p.s[1:]
		scale := int(time.Second)
		for p.s != "" && p.s[0] >= '0' && p.s[0] <= '9' {
			scale /= 10
			p.nsec += int(p.s[0]-'0') * scale
			p.s = p.s[1:]
		}
	}
	return !p.bad && p.hour < 24 && p.min < 60 && p.sec < 60
}

// zoneName consumes a zone abbreviation as time.Parse accepts one: three
// capital letters (UTC, GMT, EST, …), or four or five ending in T (CEST).
func (p *dateParser) zoneName() bool {
	n := 0
	for n < len(p.s) && n < 6 && p.s[n] >= 'A' && p.s[n] <= 'Z' {
		n++
	}
	if n < 3 || n == 6 || n > 3 && p.s[n-1] != 'T' {
		p.bad = true
		return false
	}
	p.s = p.s[n:]
	return true
}

// numZone consumes a numeric zone, "-0700", and returns its offset in
// seconds east of UTC; an hour above 24 or a minute above 60 is bad.
func (p *dateParser) numZone() int {
	sign := 1
	if p.s[0] == '-' {
		sign = -1
	}
	p.s = p.s[1:]
	h := p.digits(2)
	m := p.digits(2)
	if h > 24 || m > 60 { // time.Parse's ranges (it allows 24 hours and 60 minutes)
		p.bad = true
	}
	return sign * (h*3600 + m*60)
}

// appendRFC3339 appends t in UTC as time.Time.Format(time.RFC3339Nano)
// writes it: "2006-01-02T15:04:05.999999999Z", the fraction without
// trailing zeros and absent when zero.
func appendRFC3339(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	if year < 0 {
		b = append(b, '-')
		year = -year
	}
	b = appendPadded(b, year, 4)
	b = append(b, '-')
	b = appendPadded(b, int(month), 2)
	b = append(b, '-')
	b = appendPadded(b, day, 2)
	b = append(b, 'T')
	b = appendPadded(b, hour, 2)
	b = append(b, ':')
	b = appendPadded(b, min, 2)
	b = append(b, ':')
	b = appendPadded(b, sec, 2)
	if ns := t.Nanosecond(); ns != 0 {
		b = append(b, '.')
		b = appendPadded(b, ns, 9)
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return append(b, 'Z')
}

// appendPadded appends the decimal n (0 or more) with at least width
// digits, padded with zeros. It is not inlined: appendRFC3339 calls it
// seven times, and dates are rare, so code size counts more than speed.
//
//go:noinline
func appendPadded(b []byte, n, width int) []byte {
	var d [20]byte
	i := len(d)
	for n >= 10 || width > 1 {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	i--
	d[i] = byte('0' + n)
	return append(b, d[i:]...)
}
