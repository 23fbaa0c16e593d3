// Package wsproto is the wire format between a StreamDB client and the
// WebSocket gateway (cmd/streamdb-gateway): one socket multiplexes every
// stream a page follows and its appends. It is plain Go, used by both
// sides and tested natively.
//
// WIRE FORMAT, version 1. The socket is opened at Path (/v1/ws) of the
// gateway. Every frame is one JSON object in one text message, with a
// "type" (the gateway's frames come in binary messages instead when the
// client asks with BinaryParam). Stream paths are the streams' paths on the upstream Durable
// Streams server ("/v1/stream/chat"); the gateway reaches no other host.
//
// Client to gateway:
//
//	{"type":"subscribe", "sub":N, "stream":PATH, "offset":OFFSET, "headers":{NAME:STRING}, "retries":BOOL}
//	    follow a stream from OFFSET ("-1": the start): its events up to
//	    the tail, then live; N is the client's number for the
//	    subscription. headers (credentials) go with every upstream read
//	    made for it. retries: the client reads retrying frames (a gateway
//	    sends them only to subscriptions that ask, so that a client that
//	    predates them never meets a frame type it does not know).
//	{"type":"unsubscribe", "sub":N}
//	{"type":"append", "req":N, "stream":PATH, "data":JSON, "headers":{NAME:STRING},
//	 "producer":{"id":STRING, "epoch":N, "seq":N}}
//	    append data (one JSON value, or an array of them) to the stream;
//	    with producer, exactly once (the upstream's idempotent producer:
//	    sending the same id, epoch and seq again never appends twice).
//
// Gateway to client:
//
//	{"type":"hello", "version":1, "maxFrame":BYTES}
//	    first frame on every socket; maxFrame bounds a client frame.
//	{"type":"batch", "sub":N, "offset":OFFSET, "upToDate":BOOL, "closed":BOOL, "items":[JSON,...]}
//	    the next items of subscription N, in stream order; OFFSET is where
//	    to resubscribe from to get what follows them. upToDate: the tail
//	    was reached; closed: the stream is closed and this is its end.
//	    A large upstream response comes in several frames: every one but
//	    the last has "partial":true and the offset the response started
//	    from (resubscribing from it sends those items again; the client
//	    leaves out the ones it has), the last one has the response's end.
//	{"type":"ack", "req":N, "offset":OFFSET, "duplicate":BOOL}
//	    append N is durable upstream; OFFSET is the stream's tail after
//	    it (absent for a duplicate, which the upstream had already).
//	{"type":"retrying", "sub":N, "attempt":A, "delayMs":MS, "code":CODE, "status":HTTP, "message":TEXT}
//	    the gateway's upstream read for subscription N failed (CODE and
//	    status as in error frames; status 0 when no answer came) and is
//	    retried in MS milliseconds; A counts the failures since the read
//	    last succeeded. The subscription goes on: once the upstream
//	    answers again, its next batch frame comes (an empty one at the
//	    same offset when nothing new was appended).
//	{"type":"error", "sub":N | "req":N, "code":CODE, "status":HTTP, "message":TEXT}
//	    subscription N ended, or append N failed; CODE is a core/stream
//	    error code (NOT_FOUND, UNAUTHORIZED, ...) or BAD_FRAME. An error
//	    with neither sub nor req answers a frame that could not be read.
//
// A gateway that falls too far behind a slow client closes the socket
// (close code 4000, ClosedSlow); the client reconnects and resubscribes
// from the offsets it has. Fields not listed are ignored, so that later
// versions can add some; so are gateway frames of a type the client does
// not know (FrameError.UnknownType), so that later versions can add those
// too.
package wsproto

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/value"
)

// Version is the wire format's version (hello's "version").
const Version = 1

// Path is where the gateway accepts sockets.
const Path = "/v1/ws"

// BinaryParam is the query parameter of the socket URL by which a client
// asks for the gateway's frames in binary messages ("?binary=1"): the
// same UTF-8 JSON text, which a browser then hands over as bytes instead
// of decoding it into a string (that the page's Go code would have to
// encode back). The client's frames stay text messages.
const BinaryParam = "binary"

// ClosedSlow is the close code of a socket whose client read too slowly.
const ClosedSlow = 4000

// Type is a frame's "type".
type Type string

// The frame types.
const (
	Subscribe   Type = "subscribe"
	Unsubscribe Type = "unsubscribe"
	Append      Type = "append"
	Hello       Type = "hello"
	Batch       Type = "batch"
	Ack         Type = "ack"
	Error       Type = "error"
	Retrying    Type = "retrying"
)

// CodeBadFrame is the error code of a frame the gateway cannot use.
const CodeBadFrame = "BAD_FRAME"

// Producer identifies an append for the upstream's idempotent producer.
type Producer struct {
	ID    string
	Epoch int64
	Seq   int64
}

// Frame is one frame of either direction; which fields mean something
// depends on Type (see the package comment). Items and Data share the
// memory of the bytes decoded.
type Frame struct {
	Type Type
	// Sub is the subscription's number; Req the append's. HasSub and
	// HasReq say whether the frame carries them (an error may carry
	// neither).
	Sub, Req       int64
	HasSub, HasReq bool
	Stream         string
	Offset         string
	Headers        map[string]string
	Data           []byte // append: raw JSON
	Producer       *Producer
	Items          [][]byte // batch: raw JSON items
	UpToDate       bool
	Closed         bool
	Partial        bool // batch: more items of the same upstream response follow
	Duplicate      bool
	Code           string
	Status         int
	Message        string
	Version        int
	MaxFrame       int
	// Retries: a subscribe frame's client reads retrying frames.
	Retries bool
	// Attempt and DelayMs: a retrying frame's failure count and wait.
	Attempt int
	DelayMs int64
}

// FrameError is a frame that cannot be decoded, and why.
type FrameError struct {
	Msg string
	// UnknownType: the frame is well-formed but of a type this version
	// does not know (one a later version added); a reader may skip it.
	UnknownType bool
}

func (e *FrameError) Error() string { return "wsproto: bad frame: " + e.Msg }

func bad(format string, a ...any) error { return &FrameError{Msg: fmt.Sprintf(format, a...)} }

// Decode reads one frame in one pass over it. A frame that is not a JSON
// object, lacks or misspells a required field, or gives a field the wrong
// type is a *FrameError. A batch's items are delimited by the array's
// structure only, as core/stream's LenientItems does: each item's syntax
// is left to the caller (core/db checks every event it decodes).
func Decode(b []byte) (*Frame, error) {
	f := &Frame{}
	it := jsonscan.NewFieldIter(b)
	it.Lazy("items")
	for it.Next() {
		k := it.Key()
		key := string(k[1 : len(k)-1])
		if bytes.IndexByte(k, '\\') >= 0 {
			var err error
			if key, err = jsonscan.Unquote(k); err != nil {
				return nil, bad("%v", err)
			}
		}
		v := it.Value()
		var err error
		switch key {
		case "type":
			var s string
			s, err = str(key, v)
			f.Type = Type(s)
		case "sub":
			f.Sub, err = integer(key, v)
			f.HasSub = err == nil
		case "req":
			f.Req, err = integer(key, v)
			f.HasReq = err == nil
		case "stream":
			f.Stream, err = str(key, v)
		case "offset":
			f.Offset, err = str(key, v)
		case "headers":
			f.Headers, err = strings(key, v)
		case "data":
			f.Data = v
		case "producer":
			f.Producer, err = producer(v)
		case "items":
			if len(v) == 0 || v[0] != '[' {
				return nil, bad("items must be an array")
			}
			f.Items, err = jsonscan.SplitItems(nil, v)
		case "upToDate":
			f.UpToDate, err = boolean(key, v)
		case "closed":
			f.Closed, err = boolean(key, v)
		case "partial":
			f.Partial, err = boolean(key, v)
		case "duplicate":
			f.Duplicate, err = boolean(key, v)
		case "code":
			f.Code, err = str(key, v)
		case "status":
			f.Status, err = smallInt(key, v)
		case "message":
			f.Message, err = str(key, v)
		case "version":
			f.Version, err = smallInt(key, v)
		case "maxFrame":
			f.MaxFrame, err = smallInt(key, v)
		case "retries":
			f.Retries, err = boolean(key, v)
		case "attempt":
			f.Attempt, err = smallInt(key, v)
		case "delayMs":
			f.DelayMs, err = integer(key, v)
		}
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				return nil, err
			}
			return nil, bad("%v", err)
		}
	}
	if err := it.Err(); err != nil {
		return nil, bad("%v", err)
	}
	return f, f.check()
}

// check makes sure a frame has what its type needs.
func (f *Frame) check() error {
	need := func(ok bool, what string) error {
		if !ok {
			return bad("a %s frame needs %s", f.Type, what)
		}
		return nil
	}
	switch f.Type {
	case Subscribe:
		return errors.Join(need(f.HasSub, "sub"), need(f.Stream != "", "stream"), need(f.Offset != "", "offset"))
	case Unsubscribe:
		return need(f.HasSub, "sub")
	case Append:
		return errors.Join(need(f.HasReq, "req"), need(f.Stream != "", "stream"), need(len(f.Data) > 0, "data"))
	case Batch:
		return errors.Join(need(f.HasSub, "sub"), need(f.Offset != "", "offset"))
	case Ack:
		return need(f.HasReq, "req")
	case Retrying:
		return need(f.HasSub, "sub")
	case Hello, Error:
		return nil
	case "":
		return bad("no type")
	}
	return &FrameError{Msg: fmt.Sprintf("unknown type %q", f.Type), UnknownType: true}
}

func str(key string, v []byte) (string, error) {
	if len(v) == 0 || v[0] != '"' {
		return "", bad("%s must be a string", key)
	}
	return jsonscan.Unquote(v)
}

func boolean(key string, v []byte) (bool, error) {
	switch string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, bad("%s must be true or false", key)
}

// integer reads a whole number that a float64 holds exactly.
func integer(key string, v []byte) (int64, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < -(1<<53) || n > 1<<53 {
		return 0, bad("%s must be a whole number", key)
	}
	return n, nil
}

// smallInt is integer for an int field.
func smallInt(key string, v []byte) (int, error) {
	n, err := integer(key, v)
	return int(n), err
}

func strings(key string, v []byte) (map[string]string, error) {
	if len(v) == 0 || v[0] != '{' {
		return nil, bad("%s must be an object of strings", key)
	}
	m := map[string]string{}
	err := jsonscan.ObjectFields(v, func(k string, x []byte) error {
		s, err := str(key+"."+k, x)
		m[k] = s
		return err
	})
	return m, err
}

func producer(v []byte) (*Producer, error) {
	if len(v) == 0 || v[0] != '{' {
		return nil, bad("producer must be an object")
	}
	p := &Producer{}
	var hasID, hasEpoch, hasSeq bool
	err := jsonscan.ObjectFields(v, func(k string, x []byte) error {
		var err error
		switch k {
		case "id":
			p.ID, err = str("producer.id", x)
			hasID = err == nil && p.ID != ""
		case "epoch":
			p.Epoch, err = integer("producer.epoch", x)
			hasEpoch = err == nil && p.Epoch >= 0
		case "seq":
			p.Seq, err = integer("producer.seq", x)
			hasSeq = err == nil && p.Seq >= 0
		}
		return err
	})
	if err == nil && !(hasID && hasEpoch && hasSeq) {
		err = bad("producer needs a non-empty id and an epoch and seq of 0 or more")
	}
	return p, err
}

// AppendFrame appends f's JSON text to dst. Items and Data are written as
// they are: they must be valid JSON.
func AppendFrame(dst []byte, f *Frame) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendStr(dst, string(f.Type))
	if f.HasSub {
		dst = append(dst, `,"sub":`...)
		dst = strconv.AppendInt(dst, f.Sub, 10)
	}
	if f.HasReq {
		dst = append(dst, `,"req":`...)
		dst = strconv.AppendInt(dst, f.Req, 10)
	}
	if f.Stream != "" {
		dst = append(dst, `,"stream":`...)
		dst = appendStr(dst, f.Stream)
	}
	if f.Offset != "" {
		dst = append(dst, `,"offset":`...)
		dst = appendStr(dst, f.Offset)
	}
	if len(f.Headers) > 0 {
		dst = append(dst, `,"headers":`...)
		var ob value.ObjectBuilder
		for k, v := range f.Headers {
			ob.Add(k, value.String(v))
		}
		dst = append(dst, ob.Build().JSON()...)
	}
	if len(f.Data) > 0 {
		dst = append(dst, `,"data":`...)
		dst = append(dst, f.Data...)
	}
	if p := f.Producer; p != nil {
		dst = append(dst, `,"producer":{"id":`...)
		dst = appendStr(dst, p.ID)
		dst = append(dst, `,"epoch":`...)
		dst = strconv.AppendInt(dst, p.Epoch, 10)
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendInt(dst, p.Seq, 10)
		dst = append(dst, '}')
	}
	if f.Type == Batch {
		dst = append(dst, `,"upToDate":`...)
		dst = strconv.AppendBool(dst, f.UpToDate)
		dst = append(dst, `,"closed":`...)
		dst = strconv.AppendBool(dst, f.Closed)
		if f.Partial {
			dst = append(dst, `,"partial":true`...)
		}
		dst = append(dst, `,"items":[`...)
		for i, it := range f.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, it...)
		}
		dst = append(dst, ']')
	}
	if f.Duplicate {
		dst = append(dst, `,"duplicate":true`...)
	}
	if f.Retries {
		dst = append(dst, `,"retries":true`...)
	}
	if f.Type == Retrying {
		dst = append(dst, `,"attempt":`...)
		dst = strconv.AppendInt(dst, int64(f.Attempt), 10)
		dst = append(dst, `,"delayMs":`...)
		dst = strconv.AppendInt(dst, f.DelayMs, 10)
	}
	if f.Code != "" {
		dst = append(dst, `,"code":`...)
		dst = appendStr(dst, f.Code)
	}
	if f.Status != 0 {
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(f.Status), 10)
	}
	if f.Message != "" {
		dst = append(dst, `,"message":`...)
		dst = appendStr(dst, f.Message)
	}
	if f.Type == Hello {
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, int64(f.Version), 10)
		dst = append(dst, `,"maxFrame":`...)
		dst = strconv.AppendInt(dst, int64(f.MaxFrame), 10)
	}
	return append(dst, '}')
}

func appendStr(dst []byte, s string) []byte { return value.AppendJSON(dst, value.String(s)) }
