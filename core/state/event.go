// Package state decodes State Protocol events: change events (insert,
// update, delete, upsert of a typed entity) and control events
// (snapshot-start, snapshot-end, reset), straight from the JSON bytes of a
// stream batch, without building maps.
package state

import (
	"bytes"
	"errors"

	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
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
	// Row is what the decoder found when it read ValueRaw as a row (see
	// Decoder.UseRows), for value.BuildRow.
	Row value.RowScan
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
	s := strfmt.Sprintf("invalid state event at offset %s (item %d)", e.Offset, e.Index)
	if e.Type != "" || e.Key != "" {
		s += strfmt.Sprintf(" type=%q key=%q", e.Type, e.Key)
	}
	if e.Op != "" {
		s += strfmt.Sprintf(" operation=%q", e.Op)
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

// decodeEvent reads one stream item. It fails with an *Error (without Offset
// and Index, which the caller knows) when the item is not a state event the
// protocol allows: not an object, no headers, an unknown operation or
// control, a missing or empty type or key, or an insert, update or upsert
// whose value is not an object. Fields it does not know are ignored.
func decodeEvent(item []byte) (Event, error) {
	e, err := decodeLazy(item)
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
		return "", strfmt.Errorf("not a string: %.40s", raw)
	}
	return jsonscan.Unquote(raw)
}
