package state

import (
	"bytes"
	"unicode/utf8"
	"unsafe"

	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
)

// Decoding happens in two steps. A scan finds where the members the
// decoder reads sit in the item (rawEvent, offsets only) and checks the
// item's syntax; finish turns them into an Event, checking what the
// protocol requires. There are two scans: scanFast reads the common shape
// of an event (member names without escapes, headers once) in one pass and
// gives up on anything else; scanGeneric reads any item and reports what
// is wrong with it. Both find the same members for every item scanFast
// accepts (FuzzScanFast checks it).

// span is where a member's value sits in the item; end 0 means absent.
type span struct{ start, end int }

func (s span) of(b []byte) []byte {
	if s.end == 0 {
		return nil
	}
	return b[s.start:s.end]
}

// rawEvent is what a scan found: the members of the event and of its
// headers object. It holds no pointers (but for the rare headersErr), so
// filling it costs no write barriers.
type rawEvent struct {
	typ, key, val, old, headers span
	op, ctl, txid, ts, off      span
	// row is what value.ScanRow found in the value, when the decoder
	// knows the type's primary key (see Decoder.UseRows).
	row value.RowScan
	// headersErr is the syntax error inside an object-valued headers.
	headersErr error
}

// member returns where r keeps the event's member named name, or nil for
// a member the decoder does not read.
func (r *rawEvent) member(name string) *span {
	switch name {
	case "type":
		return &r.typ
	case "key":
		return &r.key
	case "value":
		return &r.val
	case "old_value":
		return &r.old
	case "headers":
		return &r.headers
	}
	return nil
}

// header returns where r keeps the header named name, or nil for one the
// decoder does not read.
func (r *rawEvent) header(name string) *span {
	switch name {
	case "operation":
		return &r.op
	case "control":
		return &r.ctl
	case "txid":
		return &r.txid
	case "timestamp":
		return &r.ts
	case "offset":
		return &r.off
	}
	return nil
}

// decodeLazy is decodeEvent without parsing the value: ValueRaw is
// delimited but not checked, beyond starting like an object where one is
// needed. The caller parses it (value.Parse, value.ParseRow) and treats a
// failure as an invalid event. It saves a pass and an allocation per
// event.
func decodeLazy(item []byte) (Event, error) {
	var d Decoder
	return d.decode(item, false)
}

// Decoder decodes items as decodeLazy does, with a memory and without
// copies: it hands out one shared string per distinct type instead of a new
// one per event, and leaves Key, TxID, Timestamp and Offset sharing the
// item's memory when they hold no escape. The caller must not change the
// item while it uses the event, and copies those strings (strings.Clone) to
// keep them longer. Not safe for concurrent use.
type Decoder struct {
	strs     map[string]string
	lastType string

	// Set by UseRows: each type with its primary key (found by index
	// through pkIndex), the extra field, and the last type looked up.
	rowTypes []rowType
	pkIndex  map[string]int
	extra    string
	lastRow  int
}

type rowType struct{ typ, pk string }

// UseRows tells the decoder the primary-key field of each event type (pks)
// and the field the caller adds to every row (extra). When a change event
// names its type before its value, the decoder then reads the value as a
// row (value.ScanRow) in the same pass, and the event's Row says what it
// found, for value.BuildRow.
func (d *Decoder) UseRows(pks map[string]string, extra string) {
	d.rowTypes, d.pkIndex, d.extra, d.lastRow = nil, map[string]int{}, extra, 0
	for typ, pk := range pks {
		d.pkIndex[typ] = len(d.rowTypes)
		d.rowTypes = append(d.rowTypes, rowType{typ, pk})
	}
}

// pkFor returns the primary key of the type whose raw JSON string is at t
// in b, or "" when it has none (or the type is not known yet).
func (d *Decoder) pkFor(b []byte, t span) string {
	if len(d.rowTypes) == 0 || t.end-t.start < 2 || b[t.start] != '"' {
		return ""
	}
	name := b[t.start+1 : t.end-1]
	if rt := d.rowTypes[d.lastRow]; string(name) == rt.typ {
		return rt.pk
	}
	i, ok := d.pkIndex[string(name)]
	if !ok || bytes.IndexByte(name, '\\') >= 0 {
		return ""
	}
	d.lastRow = i
	return d.rowTypes[i].pk
}

// DecodeLazy reads one stream item as decodeEvent does but leaves the
// value unparsed (see Event.ValueRaw), sharing strings as Decoder says.
func (d *Decoder) DecodeLazy(item []byte) (Event, error) {
	if d.strs == nil {
		d.strs = map[string]string{}
	}
	return d.decode(item, true)
}

func (d *Decoder) decode(item []byte, alias bool) (Event, error) {
	var r rawEvent
	if !d.scanFast(item, &r) {
		r = rawEvent{}
		if err := scanGeneric(item, &r); err != nil {
			return Event{}, &Error{Reason: "not a JSON object", Err: err}
		}
	}
	return d.finish(item, &r, alias)
}

// memberName reads `"name":` at b[i] (white space allowed around the
// colon) for a name without escapes or control characters, and returns the
// name's bounds and where the value starts.
func memberName(b []byte, i int) (ns, ne, vs int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, 0, false
	}
	j := i + 1
	for j < len(b) && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20 {
		j++
	}
	if j >= len(b) || b[j] != '"' {
		return 0, 0, 0, false
	}
	k := jsonscan.SkipSpace(b, j+1)
	if k >= len(b) || b[k] != ':' {
		return 0, 0, 0, false
	}
	return i + 1, j, jsonscan.SkipSpace(b, k+1), true
}

// nextMember moves past the value that ends at b[end]: to the next
// member's start (more true), or past the closing brace (more false).
func nextMember(b []byte, end int) (next int, more, ok bool) {
	i := jsonscan.SkipSpace(b, end)
	switch {
	case i >= len(b):
		return i, false, false
	case b[i] == ',':
		return jsonscan.SkipSpace(b, i+1), true, true
	case b[i] == '}':
		return i + 1, false, true
	}
	return i, false, false
}

// scanFast scans an item of the common shape in one pass: a non-empty
// object whose member names have no escapes, with at most one headers
// member, itself a valid object with such names. It reports false for
// anything else, valid or not, and leaves r for the caller to reset.
func (d *Decoder) scanFast(b []byte, r *rawEvent) bool {
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = jsonscan.SkipSpace(b, i+1)
	for more := true; more; {
		ns, ne, vs, ok := memberName(b, i)
		if !ok {
			return false
		}
		var end int
		var err error
		switch string(b[ns:ne]) {
		case "value":
			r.row = value.RowScan{}
			if pk := d.pkFor(b, r.typ); pk != "" {
				end, r.row = value.ScanRow(b, vs, pk, d.extra)
			}
			if !r.row.OK() {
				end, err = jsonscan.Delimit(b, vs)
			}
			r.val = span{vs, end}
		case "type":
			if r.typ.end != 0 {
				return false // a second type: a row scan may have used the first
			}
			end, err = jsonscan.ValueEndIn(b, vs, 1)
			r.typ = span{vs, end}
		case "headers":
			if r.headers.end != 0 {
				return false
			}
			if end, ok = scanHeadersFast(b, vs, r); !ok {
				return false
			}
			r.headers = span{vs, end}
		default:
			end, err = jsonscan.ValueEndIn(b, vs, 1)
			if p := r.member(string(b[ns:ne])); p != nil {
				*p = span{vs, end}
			}
		}
		if err != nil {
			return false
		}
		if i, more, ok = nextMember(b, end); !ok {
			return false
		}
	}
	return jsonscan.SkipSpace(b, i) == len(b)
}

// scanHeadersFast reads the headers object at b[i], checking every member,
// and returns its end.
func scanHeadersFast(b []byte, i int, r *rawEvent) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	i = jsonscan.SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for more := true; more; {
		ns, ne, vs, ok := memberName(b, i)
		if !ok {
			return 0, false
		}
		end, err := jsonscan.ValueEndIn(b, vs, 2)
		if err != nil {
			return 0, false
		}
		if p := r.header(string(b[ns:ne])); p != nil {
			*p = span{vs, end}
		}
		if i, more, ok = nextMember(b, end); !ok {
			return 0, false
		}
	}
	return i, true
}

// scanGeneric scans any item, decoding escaped member names. It fails with
// the syntax error of the item's object; a syntax error inside an
// object-valued headers member goes to r.headersErr, which finish reports
// after the errors it finds first.
func scanGeneric(item []byte, r *rawEvent) error {
	it := jsonscan.NewFieldIter(item)
	it.Lazy(lazyFields...)
	for it.Next() {
		if p := r.member(fieldName(&it)); p != nil {
			vs, ve := it.ValueSpan()
			*p = span{vs, ve}
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if r.headers.end == 0 || item[r.headers.start] != '{' {
		return nil
	}
	base := r.headers.start
	h := jsonscan.NewFieldIter(r.headers.of(item))
	for h.Next() {
		if p := r.header(fieldName(&h)); p != nil {
			vs, ve := h.ValueSpan()
			*p = span{base + vs, base + ve}
		}
	}
	r.headersErr = h.Err()
	return nil
}

// finish builds the event from what a scan found.
func (d *Decoder) finish(item []byte, r *rawEvent, alias bool) (Event, error) {
	var e Event
	if r.old.end != 0 {
		v, err := value.Parse(r.old.of(item))
		if err != nil {
			return e, &Error{Reason: "bad old_value", Err: err}
		}
		e.OldValue = v
	}
	e.ValueRaw = r.val.of(item)
	e.Row = r.row
	if r.typ.end != 0 {
		s, err := d.typeName(r.typ.of(item))
		if err != nil {
			return e, &Error{Reason: "type is not a string", Err: err}
		}
		e.Type = s
	}
	if r.key.end != 0 {
		keyRaw := r.key.of(item)
		var kv value.Value
		var err error
		if alias && plainString(keyRaw) {
			kv = value.String(unsafe.String(&keyRaw[1], len(keyRaw)-2))
		} else if alias {
			kv, err = value.ParseString(unsafe.String(&keyRaw[0], len(keyRaw)))
		} else {
			kv, err = value.Parse(keyRaw)
		}
		if err != nil {
			return e, &Error{Type: e.Type, Reason: "bad key", Err: err}
		}
		switch kv.Kind() {
		case value.KindString:
			e.Key, _ = kv.Str()
		case value.KindNumber:
			e.Key = value.Encode(kv)
		default:
			return e, &Error{Type: e.Type, Reason: "key is not a string or a number"}
		}
		e.KeyValue = kv
	}
	if r.headers.end == 0 {
		return e, &Error{Type: e.Type, Key: e.Key, Reason: "no headers"}
	}
	if item[r.headers.start] != '{' {
		return e, &Error{Type: e.Type, Key: e.Key, Reason: "headers is not an object"}
	}
	e.HeadersRaw = r.headers.of(item)
	e.TxID = headerString(r.txid.of(item), alias)
	e.Timestamp = headerString(r.ts.of(item), alias)
	e.Offset = headerString(r.off.of(item), alias)
	if r.headersErr != nil {
		return e, &Error{Type: e.Type, Key: e.Key, Reason: "headers is not a valid object", Err: r.headersErr}
	}
	if err := e.setKind(r.op.of(item), r.ctl.of(item)); err != nil {
		return e, err
	}
	if e.Control != ControlNone {
		return e, nil
	}
	if e.Type == "" {
		return e, &Error{Key: e.Key, Op: e.Op.String(), TxID: e.TxID, Reason: "change event has no type"}
	}
	if e.Key == "" {
		return e, &Error{Type: e.Type, Op: e.Op.String(), TxID: e.TxID, Reason: "change event has no key"}
	}
	if e.Op != OpDelete && (len(e.ValueRaw) == 0 || e.ValueRaw[0] != '{') {
		got := "nothing"
		if len(e.ValueRaw) > 0 {
			got = strfmt.Sprintf("%.20s", e.ValueRaw)
		}
		return e, &Error{Type: e.Type, Key: e.Key, Op: e.Op.String(), TxID: e.TxID,
			Reason: strfmt.Sprintf("%s needs an object value, got %s", e.Op, got)}
	}
	return e, nil
}

// plainString reports whether raw is a non-empty JSON string of printable
// ASCII without escapes: its text between the quotes is its value.
func plainString(raw []byte) bool {
	if len(raw) < 3 || raw[0] != '"' {
		return false
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c < 0x20 || c >= 0x80 || c == '\\' {
			return false
		}
	}
	return true
}

// typeName decodes the type, sharing one string per distinct plain type
// (the last one seen is checked first) when the decoder keeps a table.
func (d *Decoder) typeName(raw []byte) (string, error) {
	if d.strs == nil || len(raw) < 2 || raw[0] != '"' || bytes.IndexByte(raw, '\\') >= 0 {
		return stringField(raw)
	}
	name := raw[1 : len(raw)-1]
	if string(name) == d.lastType {
		return d.lastType, nil
	}
	if s, ok := d.strs[string(name)]; ok {
		d.lastType = s
		return s, nil
	}
	s, err := stringField(raw)
	if err == nil && len(d.strs) < 4096 {
		d.strs[s] = s
		d.lastType = s
	}
	return s, err
}

// headerString decodes a string header ("" when absent or not a string),
// sharing the item's memory when alias is set and the text needs no
// decoding.
func headerString(raw []byte, alias bool) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	body := raw[1 : len(raw)-1]
	if alias && bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		if len(body) == 0 {
			return ""
		}
		return unsafe.String(&body[0], len(body))
	}
	s, _ := jsonscan.Unquote(raw)
	return s
}

// setKind reads the operation or, without one, the control header.
func (e *Event) setKind(opRaw, ctlRaw []byte) error {
	switch {
	case opRaw != nil:
		op := string(opRaw) // compared in place, without an allocation
		if len(opRaw) > 0 && bytes.IndexByte(opRaw, '\\') >= 0 {
			op, _ = stringField(opRaw)
			op = `"` + op + `"`
		}
		switch op {
		case `"insert"`:
			e.Op = OpInsert
		case `"update"`:
			e.Op = OpUpdate
		case `"delete"`:
			e.Op = OpDelete
		case `"upsert"`:
			e.Op = OpUpsert
		default:
			name, _ := stringField(opRaw)
			return &Error{Type: e.Type, Key: e.Key, Op: name, TxID: e.TxID, Reason: "unknown operation " + string(opRaw)}
		}
	case ctlRaw != nil:
		ctl, _ := stringField(ctlRaw)
		switch ctl {
		case "snapshot-start":
			e.Control = ControlSnapshotStart
		case "snapshot-end":
			e.Control = ControlSnapshotEnd
		case "reset":
			e.Control = ControlReset
		default:
			return &Error{Type: e.Type, Key: e.Key, TxID: e.TxID, Reason: "unknown control " + string(ctlRaw)}
		}
	default:
		return &Error{Type: e.Type, Key: e.Key, TxID: e.TxID, Reason: "headers has neither operation nor control"}
	}
	return nil
}
