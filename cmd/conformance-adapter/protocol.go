//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/streamdb/streamdb/core/stream"
)

// The adapter protocol's error codes (ErrorCodes in the suite's protocol.ts).
const (
	errNetwork         = "NETWORK_ERROR"
	errTimeout         = "TIMEOUT"
	errConflict        = "CONFLICT"
	errNotFound        = "NOT_FOUND"
	errSeqConflict     = "SEQUENCE_CONFLICT"
	errStreamClosed    = "STREAM_CLOSED"
	errInvalidOffset   = "INVALID_OFFSET"
	errUnexpected      = "UNEXPECTED_STATUS"
	errParse           = "PARSE_ERROR"
	errInternal        = "INTERNAL_ERROR"
	errNotSupported    = "NOT_SUPPORTED"
	errInvalidArgument = "INVALID_ARGUMENT"
)

// command is any command of the protocol: the union of the fields the
// runner sends. Optional fields the adapter must tell apart from their zero
// value are pointers.
type command struct {
	Type string `json:"type"`

	// init
	ServerURL string `json:"serverUrl"`

	// stream commands
	Path        string            `json:"path"`
	ContentType string            `json:"contentType"`
	TTLSeconds  *int64            `json:"ttlSeconds"`
	ExpiresAt   string            `json:"expiresAt"`
	Headers     map[string]string `json:"headers"`
	Closed      bool              `json:"closed"`
	Data        *string           `json:"data"`
	Binary      bool              `json:"binary"`
	Seq         json.Number       `json:"seq"`

	// idempotent producer commands
	ProducerID  string   `json:"producerId"`
	Epoch       int64    `json:"epoch"`
	AutoClaim   bool     `json:"autoClaim"`
	Items       []string `json:"items"`
	MaxInFlight *int     `json:"maxInFlight"`

	// read
	Offset          string          `json:"offset"`
	Live            json.RawMessage `json:"live"`
	TimeoutMs       *int64          `json:"timeoutMs"`
	MaxChunks       *int            `json:"maxChunks"`
	WaitForUpToDate bool            `json:"waitForUpToDate"`

	// set-dynamic-header, set-dynamic-param
	Name         string `json:"name"`
	ValueType    string `json:"valueType"`
	InitialValue string `json:"initialValue"`

	// validate
	Target *validateTarget `json:"target"`
}

// validateTarget is the object a validate command asks the adapter to
// build. Numbers are float64 so that any JSON number decodes.
type validateTarget struct {
	Target string `json:"target"`

	// retry-options
	MaxRetries     *float64 `json:"maxRetries"`
	InitialDelayMs *float64 `json:"initialDelayMs"`
	MaxDelayMs     *float64 `json:"maxDelayMs"`
	Multiplier     *float64 `json:"multiplier"`

	// idempotent-producer
	ProducerID    *string  `json:"producerId"`
	Epoch         *float64 `json:"epoch"`
	MaxBatchBytes *float64 `json:"maxBatchBytes"`
	MaxBatchItems *float64 `json:"maxBatchItems"`
}

// liveMode is how a read command wants to go on once caught up.
type liveMode string

const (
	liveOff      liveMode = ""
	liveLongPoll liveMode = "long-poll"
	liveSSE      liveMode = "sse"
	liveAuto     liveMode = "auto" // live: true
)

// decodeCommand parses one command line. Unknown fields are ignored, as the
// runner may send fields this adapter has no use for.
func decodeCommand(line []byte) (*command, error) {
	var c command
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("malformed command: %w", err)
	}
	if dec.More() {
		return nil, errors.New("malformed command: more than one JSON value on the line")
	}
	if c.Type == "" {
		return nil, errors.New("malformed command: no type")
	}
	return &c, nil
}

// live decodes the read command's live field: false or absent for a
// catch-up read, "long-poll", "sse", or true for auto.
func (c *command) live() (liveMode, error) {
	raw := bytes.TrimSpace(c.Live)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "false" {
		return liveOff, nil
	}
	if string(raw) == "true" {
		return liveAuto, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch liveMode(s) {
		case liveLongPoll, liveSSE:
			return liveMode(s), nil
		case "auto":
			return liveAuto, nil
		}
	}
	return "", fmt.Errorf("unknown live mode %s", raw)
}

// result is one reply line.
type result map[string]any

// ok returns a success result for a command type.
func ok(cmdType string) result {
	return result{"type": cmdType, "success": true}
}

// adapterError is an error the adapter raises itself, with its protocol
// code and, when it stands for an HTTP answer, a status.
type adapterError struct {
	code    string
	status  int
	message string
}

func (e *adapterError) Error() string { return e.message }

func invalidArgument(format string, args ...any) error {
	return &adapterError{code: errInvalidArgument, message: fmt.Sprintf(format, args...)}
}

// errorResult turns err into the protocol's error result for cmdType.
func errorResult(cmdType string, err error) result {
	code, status := mapError(err)
	r := result{
		"type":        "error",
		"success":     false,
		"commandType": cmdType,
		"errorCode":   code,
		"message":     err.Error(),
	}
	if status != 0 {
		r["status"] = status
	}
	return r
}

// mapError returns the protocol error code for err and the HTTP status it
// carries (0 when no response was received).
func mapError(err error) (code string, status int) {
	var ae *adapterError
	if errors.As(err, &ae) {
		return ae.code, ae.status
	}
	var se *stream.Error
	if !errors.As(err, &se) {
		if errors.Is(err, context.DeadlineExceeded) {
			return errTimeout, 0
		}
		return errInternal, 0
	}
	return mapCode(se), se.Status
}

// mapCode maps a core/stream error class to the protocol's error codes,
// which are fewer.
func mapCode(e *stream.Error) string {
	switch e.Code {
	case stream.CodeNotFound:
		return errNotFound
	case stream.CodeGone:
		// 410 on a read: the offset is before the retention window.
		if e.Op == "read" {
			return errInvalidOffset
		}
		return errNotFound
	case stream.CodeConflict:
		return errConflict
	case stream.CodeSeqConflict, stream.CodeProducerSeqGap:
		return errSeqConflict
	case stream.CodeStreamClosed:
		return errStreamClosed
	case stream.CodeInvalidOffset:
		return errInvalidOffset
	case stream.CodeParse, stream.CodeProtocol:
		return errParse
	case stream.CodeNetwork:
		if errors.Is(e, context.DeadlineExceeded) {
			return errTimeout
		}
		return errNetwork
	case stream.CodeInvalidArgument:
		return errInvalidArgument
	case stream.CodeNotSupported:
		return errNotSupported
	case stream.CodeClosed:
		return errInternal
	}
	// BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, PRODUCER_FENCED, TOO_LARGE,
	// RATE_LIMITED and BUSY (after retries), UNEXPECTED_STATUS: an HTTP
	// status the protocol has no code of its own for.
	if e.Status != 0 {
		return errUnexpected
	}
	return errInternal
}
