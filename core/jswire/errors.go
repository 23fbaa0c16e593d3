package jswire

import (
	"errors"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/snapshot"
	"github.com/streamdb/streamdb/core/state"
	"github.com/streamdb/streamdb/core/stream"
)

// ArgError is a bad argument of a call from JS: it reaches JS as a
// TypeError carrying Msg.
type ArgError struct{ Msg string }

// Error returns the message.
func (e *ArgError) Error() string { return e.Msg }

// UsageError is a call that cannot be honoured (a closed db, an unknown
// collection, query or transaction): a StreamDBError with code USAGE.
type UsageError struct{ Msg string }

// Error returns the message.
func (e *UsageError) Error() string { return e.Msg }

// Prop is one property of an error object: a string, bool or int value.
type Prop struct {
	Name  string
	Value any
}

// ErrorShape says how an error of the core is made in JS: the constructor
// (Error, or TypeError for a bad argument), its name when it is not the
// constructor's, and its properties.
type ErrorShape struct {
	TypeError bool
	Name      string
	Props     []Prop
}

// dbErrorCodes names the database's sentinel errors.
var dbErrorCodes = []struct {
	err  error
	code string
}{
	{db.ErrDuplicateKey, "DUPLICATE_KEY"},
	{db.ErrKeyNotFound, "KEY_NOT_FOUND"},
	{db.ErrNoKey, "NO_KEY"},
	{db.ErrNotObject, "NOT_OBJECT"},
	{db.ErrTxNotPending, "TX_NOT_PENDING"},
	{db.ErrClosed, "CLOSED"},
	{db.ErrTxIDTimeout, "TXID_TIMEOUT"},
	{db.ErrUnknownCollection, "UNKNOWN_COLLECTION"},
	{db.ErrDuplicateSyncKey, "DUPLICATE_KEY_SYNC"},
	{db.ErrNotLocal, "NOT_LOCAL"},
}

// Shape returns how err is made in JS (see the wire format's errors; the
// message is always err.Error()). An error it does not know is a plain
// Error.
func Shape(err error) ErrorShape {
	var (
		ae *ArgError
		se *stream.Error
		qe *ir.Error
		ev *state.Error
		ue *UsageError
		pe *snapshot.Error
	)
	switch {
	case errors.As(err, &ae):
		return ErrorShape{TypeError: true}
	case errors.As(err, &pe): // before the stream's: it may wrap one
		return ErrorShape{Name: "SnapshotError", Props: []Prop{{"code", "SNAPSHOT"}, {"reason", string(pe.Reason)}}}
	case errors.As(err, &se):
		return ErrorShape{Name: "StreamError", Props: []Prop{
			{"code", string(se.Code)}, {"status", se.Status}, {"url", se.URL}, {"offset", se.Offset}}}
	case errors.As(err, &qe):
		props := []Prop{{"clause", qe.Clause}, {"reason", qe.Reason}}
		if qe.Kind != "" {
			props = append(props, Prop{"kind", qe.Kind})
		}
		return ErrorShape{Name: "QueryCompileError", Props: props}
	case errors.As(err, &ev):
		return ErrorShape{Name: "InvalidEventError", Props: []Prop{
			{"offset", ev.Offset}, {"type", ev.Type}, {"key", ev.Key},
			{"operation", ev.Op}, {"txid", ev.TxID}, {"reason", ev.Reason}}}
	case errors.As(err, &ue):
		return ErrorShape{Name: "StreamDBError", Props: []Prop{{"code", "USAGE"}}}
	}
	for _, c := range dbErrorCodes {
		if errors.Is(err, c.err) {
			return ErrorShape{Name: "StreamDBError", Props: []Prop{{"code", c.code}}}
		}
	}
	return ErrorShape{}
}
