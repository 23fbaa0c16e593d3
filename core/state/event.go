// Package state decodes State Protocol events: change events (insert,
// update, delete, upsert of a typed entity) and control events
// (snapshot-start, snapshot-end, reset), straight from the JSON bytes of a
// stream batch, without building maps.
package state

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/value"
)

// Operation is what a change event does to its row.
type Operation uint8

// The operations. Upsert is not in the protocol's JSON Schema but the
// reference implementation writes and reads it.
const (
	OpNone Operation = iota
	OpInsert
	OpUpdate
	OpDelete
	OpUpsert
)

func (o Operation) String() string {
	switch o {
	case OpInsert:
		return "insert"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	case OpUpsert:
		return "upsert"
	}
	return "none"
}

// Control is the kind of a control event.
type Control uint8

// The control kinds; ControlNone marks a change event.
const (
	ControlNone Control = iota
	ControlSnapshotStart
	ControlSnapshotEnd
	ControlReset
)

func (c Control) String() string {
	switch c {
	case ControlSnapshotStart:
		return "snapshot-start"
	case ControlSnapshotEnd:
		return "snapshot-end"
	case ControlReset:
		return "reset"
	}
	return "none"
}

// Event is one decoded State Protocol item.
type Event struct {
	// Control is ControlNone for a change event.
	Control Control
	// Type routes a change event to a collection.
	Type string
	// Key identifies the row within its type. A numeric key is turned into
	// its JavaScript string form; KeyValue keeps it as sent.
	Key      string
	KeyValue value.Value
	// Op is the change event's operation.
	Op Operation
	// Value and OldValue are the event's value and old_value (Undefined when
	// absent). DecodeLazy leaves Value unparsed: see ValueRaw.
	Value, OldValue value.Value
	// ValueRaw is the value's JSON text as it came (a sub-slice of the
	// item), or nil when absent.
	ValueRaw []byte
	// TxID, Timestamp and Offset are the headers of the same names ("" when
	// absent). The reference server adds Offset to every event it returns.
	TxID, Timestamp, Offset string
	// HeadersRaw is the headers object's JSON text (a sub-slice of the
	// item); HeadersValue parses it.
	HeadersRaw []byte
}

// HeadersValue returns the whole headers object, custom headers included.
func (e *Event) HeadersValue() value.Value {
	v, _ := value.Parse(e.HeadersRaw)
	return v
}

// IsChange reports whether e is a change event.
func (e *Event) IsChange() bool { return e.Control == ControlNone }

// Error reports an item that is not a valid state event. The consumer skips
// it and goes on.
type Error struct {
	// Offset is the stream offset of the batch that carried the item.
	Offset string
	// Index is the item's position in its batch.
	Index int
	// Type, Key and Op are what could be read of the event ("" if nothing).
	Type, Key, Op string
	// TxID is the event's txid, when it could be read.
	TxID string
	// Reason says what is wrong.
	Reason string
	// Err is the underlying cause (a JSON syntax error, for example).
	Err error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("invalid state event at offset %s (item %d)", e.Offset, e.Index)
	if e.Type != "" || e.Key != "" {
		s += fmt.Sprintf(" type=%q key=%q", e.Type, e.Key)
	}
	if e.Op != "" {
		s += fmt.Sprintf(" operation=%q", e.Op)
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrInvalidEvent matches every *Error with errors.Is.
var ErrInvalidEvent = errors.New("invalid state event")

// Is makes errors.Is(err, ErrInvalidEvent) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalidEvent }

// Decode reads one stream item. It fails with an *Error (without Offset and
// Index, which the caller knows) when the item is not a state event the
// protocol allows: not an object, no headers, an unknown operation or
// control, a missing or empty type or key, or an insert, update or upsert
// whose value is not an object. Fields it does not know are ignored.
func Decode(item []byte) (Event, error) {
	e, err := DecodeLazy(item)
	if err != nil || e.ValueRaw == nil {
		return e, err
	}
	v, err := value.Parse(e.ValueRaw)
	if err != nil {
		return e, &Error{Type: e.Type, Key: e.Key, Op: e.Op.String(), TxID: e.TxID, Reason: "bad value", Err: err}
	}
	e.Value = v
	return e, nil
}

// DecodeLazy is Decode without parsing the value: ValueRaw is delimited but
// not checked, beyond starting like an object where one is needed. The
// caller parses it (value.Parse, value.ParseRow) and treats a failure as
// an invalid event. It saves a pass and an allocation per event.
func DecodeLazy(item []byte) (Event, error) {
	return decode(item, nil, false)
}

// Decoder is DecodeLazy with a memory: it hands out one shared string per
// distinct type instead of a new one per event. It also leaves Key sharing
// the item's memory (no copy): the caller must not change the item while it
// uses the event, and copies the key (strings.Clone) to keep it longer.
// Not safe for concurrent use.
type Decoder struct {
	strs map[string]string
}

// DecodeLazy is the package's DecodeLazy, sharing type strings.
func (d *Decoder) DecodeLazy(item []byte) (Event, error) {
	if d.strs == nil {
		d.strs = map[string]string{}
	}
	return decode(item, d.strs, true)
}

// intern returns the string for a plain JSON string literal from strs,
// adding it while the table is small.
func intern(raw []byte, strs map[string]string) (string, error) {
	if strs == nil || len(raw) < 2 || raw[0] != '"' || bytes.IndexByte(raw, '\\') >= 0 {
		return stringField(raw)
	}
	if s, ok := strs[string(raw[1:len(raw)-1])]; ok {
		return s, nil
	}
	s, err := stringField(raw)
	if err == nil && len(strs) < 4096 {
		strs[s] = s
	}
	return s, err
}

func decode(item []byte, strs map[string]string, aliasKey bool) (Event, error) {
	var (
		e          Event
		headersRaw []byte
		typeRaw    []byte
		keyRaw     []byte
	)
	it := jsonscan.NewFieldIter(item)
	it.Lazy(lazyFields...)
	for it.Next() {
		switch name := fieldName(&it); name {
		case "type":
			typeRaw = it.Value()
		case "key":
			keyRaw = it.Value()
		case "value":
			e.ValueRaw = it.Value()
		case "old_value":
			v, err := value.Parse(it.Value())
			if err != nil {
				return e, &Error{Reason: "bad old_value", Err: err}
			}
			e.OldValue = v
		case "headers":
			headersRaw = it.Value()
		}
	}
	if err := it.Err(); err != nil {
		return e, &Error{Reason: "not a JSON object", Err: err}
	}
	if typeRaw != nil {
		s, err := intern(typeRaw, strs)
		if err != nil {
			return e, &Error{Reason: "type is not a string", Err: err}
		}
		e.Type = s
	}
	if keyRaw != nil {
		var kv value.Value
		var err error
		if aliasKey && len(keyRaw) > 0 {
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
	if headersRaw == nil {
		return e, &Error{Type: e.Type, Key: e.Key, Reason: "no headers"}
	}
	if err := e.readHeaders(headersRaw); err != nil {
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
			got = fmt.Sprintf("%.20s", e.ValueRaw)
		}
		return e, &Error{Type: e.Type, Key: e.Key, Op: e.Op.String(), TxID: e.TxID,
			Reason: fmt.Sprintf("%s needs an object value, got %s", e.Op, got)}
	}
	return e, nil
}

// readHeaders reads the headers object.
func (e *Event) readHeaders(raw []byte) error {
	if raw[0] != '{' {
		return &Error{Type: e.Type, Key: e.Key, Reason: "headers is not an object"}
	}
	e.HeadersRaw = raw
	var opRaw, ctlRaw []byte
	it := jsonscan.NewFieldIter(raw)
	for it.Next() {
		switch fieldName(&it) {
		case "operation":
			opRaw = it.Value()
		case "control":
			ctlRaw = it.Value()
		case "txid":
			e.TxID, _ = stringField(it.Value())
		case "timestamp":
			e.Timestamp, _ = stringField(it.Value())
		case "offset":
			e.Offset, _ = stringField(it.Value())
		}
	}
	if err := it.Err(); err != nil {
		return &Error{Type: e.Type, Key: e.Key, Reason: "headers is not a valid object", Err: err}
	}
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

// lazyFields are the members whose syntax the decoder leaves to their
// parsers.
var lazyFields = []string{"value", "headers"}

// fieldName returns the current key of it when it is one of the names the
// decoder looks for, without allocating, and "" otherwise.
func fieldName(it *jsonscan.FieldIter) string {
	k := it.Key()
	if bytes.IndexByte(k, '\\') >= 0 {
		s, _ := jsonscan.Unquote(k)
		return s
	}
	switch string(k[1 : len(k)-1]) {
	case "type":
		return "type"
	case "key":
		return "key"
	case "value":
		return "value"
	case "old_value":
		return "old_value"
	case "headers":
		return "headers"
	case "operation":
		return "operation"
	case "control":
		return "control"
	case "txid":
		return "txid"
	case "timestamp":
		return "timestamp"
	case "offset":
		return "offset"
	}
	return ""
}

// stringField decodes a raw JSON string.
func stringField(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("not a string: %.40s", raw)
	}
	return jsonscan.Unquote(raw)
}
