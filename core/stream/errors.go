package stream

import (
	"errors"
	"strconv"
	"strings"
)

// Code classifies an Error. Callers test for a class with errors.Is against
// the Err* values below, for example errors.Is(err, stream.ErrNotFound).
type Code string

// The error classes. The names follow the Durable Streams client error codes.
const (
	CodeNotFound        Code = "NOT_FOUND"         // 404: the stream does not exist
	CodeGone            Code = "GONE"              // 410: deleted, or the offset is before retention
	CodeConflict        Code = "CONFLICT"          // 409 on create: exists with another configuration; or a content-type mismatch
	CodeSeqConflict     Code = "SEQUENCE_CONFLICT" // 409: Stream-Seq did not increase
	CodeStreamClosed    Code = "STREAM_CLOSED"     // 409 with Stream-Closed: the stream is closed for appends
	CodeBadRequest      Code = "BAD_REQUEST"       // 400: the server rejected the request
	CodeInvalidOffset   Code = "INVALID_OFFSET"    // 400 on a read: the offset is malformed
	CodeUnauthorized    Code = "UNAUTHORIZED"      // 401
	CodeForbidden       Code = "FORBIDDEN"         // 403 (other than producer fencing)
	CodeProducerFenced  Code = "PRODUCER_FENCED"   // 403 to an idempotent producer: a newer epoch owns the stream
	CodeProducerSeqGap  Code = "PRODUCER_SEQ_GAP"  // 409 to an idempotent producer: a sequence number is missing
	CodeTooLarge        Code = "TOO_LARGE"         // 413
	CodeRateLimited     Code = "RATE_LIMITED"      // 429, after retries ran out
	CodeBusy            Code = "BUSY"              // 5xx, after retries ran out
	CodeNotSupported    Code = "NOT_SUPPORTED"     // 405 or 501: the server does not offer the operation
	CodeUnexpected      Code = "UNEXPECTED_STATUS"
	CodeProtocol        Code = "PROTOCOL_ERROR"   // the server broke the protocol: a required header is missing or malformed
	CodeParse           Code = "PARSE_ERROR"      // a body or SSE event is not what the content type promises
	CodeNetwork         Code = "NETWORK_ERROR"    // no response: refused, reset, dropped mid-body; after retries ran out
	CodeInvalidArgument Code = "INVALID_ARGUMENT" // the caller passed a value the client rejects before any request
	CodeClosed          Code = "CLOSED"           // the reader or producer was closed by its owner
)

// Error is the error type of every failed stream operation. It carries what
// a caller needs to report or recover: the operation, the stream URL, the
// offset it was at, and the HTTP status when there was a response.
type Error struct {
	// Code classifies the failure.
	Code Code
	// Op is the operation: "create", "append", "close", "delete", "head",
	// "read" or "producer".
	Op string
	// URL is the stream URL.
	URL string
	// Offset is the offset the operation was at, when it has one.
	Offset string
	// Status is the HTTP status code, or 0 when no response was received.
	Status int
	// Message is the server's short error text or the client's explanation.
	Message string
	// Header holds the response header fields, when there was a response.
	Header Header
	// Err is the underlying cause, if any.
	Err error
}

// Error formats the failure with its context, for example
// `stream read http://h/v1/stream/a at offset 0_5: NOT_FOUND (404): Stream not found`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("stream")
	if e.Op != "" {
		b.WriteString(" " + e.Op)
	}
	if e.URL != "" {
		b.WriteString(" " + e.URL)
	}
	if e.Offset != "" {
		b.WriteString(" at offset " + e.Offset)
	}
	b.WriteString(": " + string(e.Code))
	if e.Status != 0 {
		b.WriteString(" (" + strconv.Itoa(e.Status) + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error of the same Code, so that
// errors.Is(err, stream.ErrNotFound) matches any not-found failure.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Op == "" && t.URL == ""
}

// FinalOffset returns the stream's final offset carried by a STREAM_CLOSED
// error (the Stream-Next-Offset of the 409 response), or "".
func (e *Error) FinalOffset() string {
	if e.Header == nil {
		return ""
	}
	return e.Header.Get(headerNextOffset)
}

// Values to match with errors.Is.
var (
	ErrNotFound        = &Error{Code: CodeNotFound}
	ErrGone            = &Error{Code: CodeGone}
	ErrConflict        = &Error{Code: CodeConflict}
	ErrSeqConflict     = &Error{Code: CodeSeqConflict}
	ErrStreamClosed    = &Error{Code: CodeStreamClosed}
	ErrBadRequest      = &Error{Code: CodeBadRequest}
	ErrInvalidOffset   = &Error{Code: CodeInvalidOffset}
	ErrUnauthorized    = &Error{Code: CodeUnauthorized}
	ErrForbidden       = &Error{Code: CodeForbidden}
	ErrProducerFenced  = &Error{Code: CodeProducerFenced}
	ErrProducerSeqGap  = &Error{Code: CodeProducerSeqGap}
	ErrTooLarge        = &Error{Code: CodeTooLarge}
	ErrRateLimited     = &Error{Code: CodeRateLimited}
	ErrBusy            = &Error{Code: CodeBusy}
	ErrNotSupported    = &Error{Code: CodeNotSupported}
	ErrUnexpected      = &Error{Code: CodeUnexpected}
	ErrProtocol        = &Error{Code: CodeProtocol}
	ErrParse           = &Error{Code: CodeParse}
	ErrNetwork         = &Error{Code: CodeNetwork}
	ErrInvalidArgument = &Error{Code: CodeInvalidArgument}
	ErrClosed          = &Error{Code: CodeClosed}
)

// CodeOf returns the Code of err when it is (or wraps) an *Error, or "".
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// statusCode maps an HTTP failure status to an error class for operation
// op; sentSeq says whether the request carried Stream-Seq.
func statusCode(op string, status int, h Header, sentSeq bool) Code {
	switch {
	case status == 404:
		return CodeNotFound
	case status == 410:
		return CodeGone
	case status == 409:
		if isTrue(h.Get(headerClosed)) {
			return CodeStreamClosed
		}
		if h.Has(headerProducerExpectedSeq) {
			return CodeProducerSeqGap
		}
		if sentSeq {
			return CodeSeqConflict
		}
		return CodeConflict
	case status == 400:
		if op == "read" {
			return CodeInvalidOffset
		}
		return CodeBadRequest
	case status == 401:
		return CodeUnauthorized
	case status == 403:
		if h.Has(headerProducerEpoch) {
			return CodeProducerFenced
		}
		return CodeForbidden
	case status == 413:
		return CodeTooLarge
	case status == 429:
		return CodeRateLimited
	case status == 405 || status == 501:
		return CodeNotSupported
	case status >= 500:
		return CodeBusy
	}
	return CodeUnexpected
}
