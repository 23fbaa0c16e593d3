package jswire

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
)

// The texts that carry many rows (a step, a collection's rows) are built
// into one buffer sized once from an estimate (jsonSize): the bridge hands
// the bytes to JS without copying them, so such an answer costs one
// allocation of its size instead of the doublings of append. A first
// result, the largest of them, is written in pieces (Pieces), so that the
// bridge holds one piece at a time. It is the wasm memory's high-water
// mark that counts, since it never shrinks.

// AppendKey appends a live query's result key as the wire format states:
// the key itself when JSON holds it, otherwise a one-element array
// (["undefined"], ["NaN"], ["Infinity"], ["-Infinity"], or [V] for an
// array or object V).
func AppendKey(buf []byte, k value.Value) []byte {
	switch k.Kind() {
	case value.KindUndefined:
		return append(buf, `["undefined"]`...)
	case value.KindNumber:
		f, _ := k.Num()
		switch {
		case math.IsNaN(f):
			return append(buf, `["NaN"]`...)
		case math.IsInf(f, 1):
			return append(buf, `["Infinity"]`...)
		case math.IsInf(f, -1):
			return append(buf, `["-Infinity"]`...)
		}
	case value.KindArray, value.KindObject:
		buf = append(buf, '[')
		buf = value.AppendJSON(buf, k)
		return append(buf, ']')
	}
	return value.AppendJSON(buf, k)
}

// Step returns the text of one step (see the wire format). queryID gives
// the id the shim knows a live query by; a query without one (closed
// meanwhile) is left out.
func Step(st *db.Step, queryID func(*db.Live) (int, bool)) []byte {
	return step(st, queryID, nil)
}

// StepVirtual is Step for a database whose rows carry TanStack DB's
// virtual fields (the virtualProps option): v names the collections' and
// the live queries' ids.
func StepVirtual(st *db.Step, queryID func(*db.Live) (int, bool), v *Virtual) []byte {
	return step(st, queryID, v)
}

func step(st *db.Step, queryID func(*db.Live) (int, bool), v *Virtual) []byte {
	size := 64
	for name, ch := range st.Collections {
		size += len(name) + 8
		for _, c := range ch {
			size += len(c.Key) + jsonSize(c.Value) + jsonSize(c.Previous) + 12
		}
		if v != nil {
			size += len(ch) * 2 * (virtualSize + len(name) + 64)
		}
	}
	for _, qc := range st.Queries {
		size += 16
		for _, c := range qc.Changes {
			size += jsonSize(c.Key) + 32
			if c.Type != db.Delete { // a delete's row is not sent
				size += jsonSize(c.Value)
			}
		}
		if v != nil {
			size += len(qc.Changes) * (virtualSize + 64)
		}
	}
	buf := make([]byte, 0, size)
	buf = append(buf, `{"c":{`...)
	first := true
	for name, ch := range st.Collections {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = value.AppendJSON(buf, value.String(name))
		buf = append(buf, ":["...)
		var cid *string
		if v != nil {
			id := v.Collection(name)
			cid = &id
		}
		for i, c := range ch {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendChange(buf, c, cid)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `},"q":[`...)
	first = true
	for _, qc := range st.Queries {
		id, ok := queryID(qc.Live)
		if !ok {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '[')
		buf = strconv.AppendInt(buf, int64(id), 10)
		buf = append(buf, ",["...)
		var lid *string
		if v != nil {
			id := v.Query(qc.Live)
			lid = &id
		}
		for i, c := range qc.Changes {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendQueryChange(buf, c, lid)
		}
		buf = append(buf, "]]"...)
	}
	return append(buf, "]}"...)
}

// changeTag is a change type's one-letter name on the wire.
func changeTag(update, remove bool) string {
	switch {
	case update:
		return `["u",`
	case remove:
		return `["d",`
	}
	return `["i",`
}

// appendChange writes a collection change: ["i", ID, ROW],
// ["u", ID, ROW, PREVIOUS] or ["d", ID, ROW]; with cid (the collection's
// id) the rows carry their virtual fields.
func appendChange(buf []byte, c db.Change, cid *string) []byte {
	update := c.Type == db.Update
	buf = append(buf, changeTag(update, c.Type == db.Delete)...)
	buf = value.AppendJSON(buf, value.String(c.Key))
	buf = append(buf, ',')
	if cid != nil {
		buf = appendCollectionRow(buf, c.Value, c.Meta, c.Key, *cid)
	} else {
		buf = value.AppendJSON(buf, c.Value)
	}
	if update {
		buf = append(buf, ',')
		if cid != nil {
			buf = appendCollectionRow(buf, c.Previous, c.PrevMeta, c.Key, *cid)
		} else {
			buf = value.AppendJSON(buf, c.Previous)
		}
	}
	return append(buf, ']')
}

// appendQueryChange writes [TYPE, KEY, VALUE, OLDRANK, RANK], VALUE null
// for a delete (the shim has the row before the step at OLDRANK, for "u"
// and "d"); with lid (the live query's id) VALUE carries its virtual
// fields.
func appendQueryChange(buf []byte, c db.QueryChange, lid *string) []byte {
	remove := c.Type == db.Delete
	buf = append(buf, changeTag(c.Type == db.Update, remove)...)
	buf = AppendKey(buf, c.Key)
	buf = append(buf, ',')
	switch {
	case remove:
		buf = append(buf, "null"...)
	case lid != nil:
		buf = appendResultRow(buf, c.Value, c.Key, *lid)
	default:
		buf = value.AppendJSON(buf, c.Value)
	}
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, int64(c.OldRank), 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, int64(c.Rank), 10)
	return append(buf, ']')
}

// Pieces receives a long text (a first result) in pieces, each cut
// between two elements, never inside a character. Emit is called with each
// piece once it holds at least Size bytes, and with the last one; the
// bytes are only valid during the call (the buffer is reused). Size 0
// makes the whole text one piece, in one buffer sized from an estimate.
type Pieces struct {
	Size int
	Emit func([]byte)
	buf  []byte
}

// cut emits the piece in progress when it is Size bytes or more.
func (p *Pieces) cut() {
	if p.Size > 0 && len(p.buf) >= p.Size {
		p.Emit(p.buf)
		p.buf = p.buf[:0]
	}
}

// end emits what is left.
func (p *Pieces) end() {
	p.Emit(p.buf)
	p.buf = p.buf[:0]
}

// QueryOpened writes the text of a first result to p:
// {"id", "single", "ordered", "rows": [VALUE, ...]}, and with keys also
// "special" and "keys" (see the wire format). rows calls its argument with
// each result key and value in result order until it returns false (a
// *db.Live's Range); single and ordered say whether the query is a
// findOne and whether it has an orderBy.
//
// The db types are passed as method values, not behind an interface: a
// type converted to an interface keeps every method whose name and
// signature any interface shares, which would link unused code into the
// wasm.
func QueryOpened(id int, single, ordered, keys bool, rows func(func(key, v value.Value) bool), p *Pieces) {
	queryOpened(id, single, ordered, keys, rows, p, nil)
}

// QueryOpenedVirtual is QueryOpened for a database whose rows carry
// TanStack DB's virtual fields (the virtualProps option); lid is the live
// query's id, its rows' $collectionId unless they hold one.
func QueryOpenedVirtual(id int, single, ordered, keys bool, rows func(func(key, v value.Value) bool), p *Pieces, lid string) {
	queryOpened(id, single, ordered, keys, rows, p, &lid)
}

// QueryKeys writes KEYTEXT, the keys of a result in result order (rows as
// for QueryOpened), to p: a NUL, then per key one of
//
//	LEN KEY           a string key without a lone surrogate, LEN its length
//	                  in UTF-16 code units as one character (below U+D800)
//	U+FFFF N ':' KEY  the same, longer (N its length in decimal)
//	U+FFFE N ':' JSON any other key, as a KEY of the wire format (N the
//	                  length of that JSON text)
//
// JS splits it with charCodeAt and slice: string keys, the usual ones (row
// keys, join keys, string group keys), need no JSON parsing, and the text
// is written in one pass over the result.
func QueryKeys(rows func(func(key, v value.Value) bool), p *Pieces) {
	p.grow(4096)
	p.buf = append(p.buf[:0], 0)
	var scratch []byte
	rows(func(k, _ value.Value) bool {
		if s, ok := k.Str(); ok && !hasLoneSurrogate(s) {
			if n := value.UTF16Len(s); n < 0xD800 {
				p.buf = utf8.AppendRune(p.buf, rune(n))
			} else {
				p.buf = utf8.AppendRune(p.buf, 0xFFFF)
				p.buf = strconv.AppendInt(p.buf, int64(n), 10)
				p.buf = append(p.buf, ':')
			}
			p.buf = append(p.buf, s...)
		} else {
			scratch = AppendKey(scratch[:0], k) // ASCII: JSON escapes a lone surrogate
			p.buf = utf8.AppendRune(p.buf, 0xFFFE)
			p.buf = strconv.AppendInt(p.buf, int64(len(scratch)), 10)
			p.buf = append(p.buf, ':')
			p.buf = append(p.buf, scratch...)
		}
		p.cut()
		return true
	})
	p.end()
}

// hasLoneSurrogate reports whether s holds a lone surrogate in its WTF-8
// form (jsonscan.AppendSurrogate), which crossing as UTF-8 text would lose.
func hasLoneSurrogate(s string) bool {
	for i := strings.IndexByte(s, 0xED); i >= 0; {
		if jsonscan.IsSurrogateAt(s, i) {
			return true
		}
		j := strings.IndexByte(s[i+1:], 0xED)
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// grow makes p's buffer hold at least size bytes.
func (p *Pieces) grow(size int) {
	if cap(p.buf) < size {
		p.buf = make([]byte, 0, size)
	}
}

func queryOpened(id int, single, ordered, keys bool, rows func(func(key, v value.Value) bool), p *Pieces, lid *string) {
	// The buffer holds the whole text, or a piece and the element that
	// ends it: counted up to that. Without the keys, the count stops
	// there.
	size, most := 96, math.MaxInt
	if p.Size > 0 {
		most = p.Size + 64<<10
	}
	special := false
	rows(func(k, v value.Value) bool {
		if size < most {
			size += jsonSize(v) + 1
			if keys {
				size += jsonSize(k) + 1
			}
			if lid != nil {
				size += virtualSize + len(*lid) + jsonSize(k)
			}
		}
		special = special || (keys && specialKey(k))
		return keys || size < most
	})
	// A text above Size crosses as texts of their own (see the wire
	// format): the object with its lists empty, then the lists' pieces.
	// The shim parses them one by one; joined, the whole text would be
	// copied once more before it is parsed.
	split := p.Size > 0 && size > p.Size
	p.grow(min(size, most))
	buf := append(p.buf[:0], `{"id":`...)
	buf = strconv.AppendInt(buf, int64(id), 10)
	buf = append(buf, `,"single":`...)
	buf = strconv.AppendBool(buf, single)
	buf = append(buf, `,"ordered":`...)
	buf = strconv.AppendBool(buf, ordered)
	if keys {
		buf = append(buf, `,"special":`...)
		buf = strconv.AppendBool(buf, special)
	}
	switch {
	case split && keys:
		p.buf = append(buf, `,"keys":[],"rows":[]}`...)
		p.end()
	case split:
		p.buf = append(buf, `,"rows":[]}`...)
		p.end()
	case keys:
		p.buf = append(buf, `,"keys":[`...)
	default:
		p.buf = append(buf, `,"rows":[`...)
	}
	if keys {
		l := p.list(split, '0')
		rows(func(k, _ value.Value) bool {
			l.next()
			p.buf = AppendKey(p.buf, k)
			l.cut()
			return true
		})
		l.close(`],"rows":[`)
	}
	l := p.list(split, '1')
	rows(func(k, v value.Value) bool {
		l.next()
		if lid != nil {
			p.buf = appendResultRow(p.buf, v, k, *lid)
		} else {
			p.buf = value.AppendJSON(p.buf, v)
		}
		l.cut()
		return true
	})
	l.close("]}")
	if !split {
		p.end()
	}
}

// list writes the elements of a list of a first result: in a text of one
// piece (split false) separated by commas; split, in pieces of their own,
// each a JSON array whose first element is the list's tag.
type list struct {
	p     *Pieces
	split bool
	tag   byte
	first bool // no element yet in the piece (or the text)
}

func (p *Pieces) list(split bool, tag byte) *list {
	l := &list{p: p, split: split, tag: tag, first: true}
	if split {
		l.open()
	}
	return l
}

// open begins a piece of the list.
func (l *list) open() {
	l.p.buf = append(l.p.buf[:0], '[', l.tag)
	l.first = false // the tag is the piece's first element
}

// next separates the next element from the one before it.
func (l *list) next() {
	if !l.first {
		l.p.buf = append(l.p.buf, ',')
	}
	l.first = false
}

// cut ends a split list's piece once it holds Size bytes, and begins the
// next one.
func (l *list) cut() {
	if l.split && len(l.p.buf) >= l.p.Size {
		l.end()
		l.open()
	}
}

// end ends a split list's piece in progress.
func (l *list) end() {
	l.p.buf = append(l.p.buf, ']')
	l.p.end()
}

// close ends the list: its last piece when split, else by writing what
// follows it in the one text.
func (l *list) close(after string) {
	if l.split {
		l.end()
		return
	}
	l.p.buf = append(l.p.buf, after...)
}

// specialKey reports whether AppendKey writes k in its one-element array
// form.
func specialKey(k value.Value) bool {
	switch k.Kind() {
	case value.KindUndefined, value.KindArray, value.KindObject:
		return true
	case value.KindNumber:
		f, _ := k.Num()
		return math.IsNaN(f) || math.IsInf(f, 0)
	}
	return false
}

// CollectionRows returns the text of a collection's rows: [[ID, ROW], ...]
// in the order rows gives them (a *db.Collection's Range: key order).
func CollectionRows(rows func(func(key string, v value.Value) bool)) []byte {
	size := 2
	rows(func(k string, v value.Value) bool {
		size += len(k) + jsonSize(v) + 6
		return true
	})
	buf := make([]byte, 0, size)
	buf = append(buf, '[')
	first := true
	rows(func(k string, v value.Value) bool {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '[')
		buf = value.AppendJSON(buf, value.String(k))
		buf = append(buf, ',')
		buf = value.AppendJSON(buf, v)
		buf = append(buf, ']')
		return true
	})
	return append(buf, ']')
}

// TxInfo returns the text of a transaction: {"state", "mutations": [...]}.
func TxInfo(state db.TxState, muts []db.Mutation) []byte {
	buf := make([]byte, 0, 64)
	buf = append(buf, `{"state":`...)
	buf = strconv.AppendQuote(buf, state.String())
	buf = append(buf, `,"mutations":[`...)
	for i, m := range muts {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"type":`...)
		buf = strconv.AppendQuote(buf, m.Type.String())
		buf = append(buf, `,"collection":`...)
		buf = value.AppendJSON(buf, value.String(m.Collection))
		buf = append(buf, `,"key":`...)
		buf = value.AppendJSON(buf, value.String(m.Key))
		buf = append(buf, `,"original":`...)
		buf = value.AppendJSON(buf, m.Original)
		buf = append(buf, `,"modified":`...)
		buf = value.AppendJSON(buf, m.Modified)
		buf = append(buf, '}')
	}
	return append(buf, "]}"...)
}

// Progress returns the text of a progress report:
// {"bytes", "events", "offset", "ready"}.
func Progress(p db.Progress) []byte {
	buf := make([]byte, 0, 64+len(p.Offset))
	buf = append(buf, `{"bytes":`...)
	buf = strconv.AppendInt(buf, p.Bytes, 10)
	buf = append(buf, `,"events":`...)
	buf = strconv.AppendInt(buf, p.Events, 10)
	buf = append(buf, `,"offset":`...)
	buf = value.AppendJSON(buf, value.String(p.Offset))
	buf = append(buf, `,"ready":`...)
	buf = strconv.AppendBool(buf, p.Ready)
	if p.Phase != "" {
		buf = append(buf, `,"phase":`...)
		buf = value.AppendJSON(buf, value.String(p.Phase))
	}
	if p.Phase == db.PhaseRestore {
		buf = append(buf, `,"restored":`...)
		buf = strconv.AppendInt(buf, p.Restored, 10)
		buf = append(buf, `,"snapshotBytes":`...)
		buf = strconv.AppendInt(buf, p.SnapshotBytes, 10)
	}
	return append(buf, '}')
}

// SaveInfo returns the text of what dbSave wrote:
// {"bytes": N, "rows": N, "offset": OFFSET, "skipped": BOOL}.
func SaveInfo(i db.SaveInfo) []byte {
	buf := append([]byte(nil), `{"bytes":`...)
	buf = strconv.AppendInt(buf, i.Bytes, 10)
	buf = append(buf, `,"rows":`...)
	buf = strconv.AppendInt(buf, i.Rows, 10)
	buf = append(buf, `,"offset":`...)
	buf = value.AppendJSON(buf, value.String(i.Offset))
	buf = append(buf, `,"skipped":`...)
	buf = strconv.AppendBool(buf, i.Skipped)
	return append(buf, '}')
}

// Connection returns the text of a connection state without its error
// (which crosses as an Error of its own): {"state", "attempt", "delayMs"},
// the last two only while retrying.
func Connection(c db.Connection) []byte {
	buf := append(make([]byte, 0, 64), `{"state":`...)
	buf = value.AppendJSON(buf, value.String(string(c.State)))
	if c.State == db.ConnRetrying {
		buf = append(buf, `,"attempt":`...)
		buf = strconv.AppendInt(buf, int64(c.Attempt), 10)
		buf = append(buf, `,"delayMs":`...)
		buf = strconv.AppendFloat(buf, float64(c.Delay)/float64(time.Millisecond), 'f', -1, 64)
	}
	return append(buf, '}')
}

// Batch returns the text of a batch read: {"offset", "upToDate", "items"};
// the items are the batch's own JSON texts.
func Batch(b *stream.Batch) []byte {
	size := 48 + len(b.Offset)
	for _, it := range b.Items {
		size += len(it) + 1
	}
	buf := make([]byte, 0, size)
	buf = append(buf, `{"offset":`...)
	buf = value.AppendJSON(buf, value.String(b.Offset))
	buf = append(buf, `,"upToDate":`...)
	buf = strconv.AppendBool(buf, b.UpToDate)
	buf = append(buf, `,"items":[`...)
	for i, it := range b.Items {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, it...)
	}
	return append(buf, "]}"...)
}

// jsonSize estimates the length of v's JSON text: exact for arrays,
// objects (held as their text) and strings (see value.StringJSONLen), at
// least the length for the rest.
func jsonSize(v value.Value) int {
	switch v.Kind() {
	case value.KindArray, value.KindObject:
		return len(v.JSON())
	case value.KindString:
		s, _ := v.Str()
		return value.StringJSONLen(s)
	case value.KindNumber:
		return 24
	}
	return 5
}
