// Package snapshot is the stored form of a database's synced state: every
// collection's rows, the stream offset after which they are exact, what
// identifies the stream and the schema, and the recent txids. A database
// writes one in the background and restores it on open, then reads the
// stream from the saved offset (see core/db's Options.Persist).
//
// The format is our own, little-endian, versioned and checksummed:
//
//	magic    "SDBsnap\x00" (8 bytes), then the format version (uvarint)
//	header   the stream's URL, then the collections: count, and for each
//	         its name, event type and primary-key field
//	records  one byte of kind, then:
//	           put:      collection index, key, row (canonical JSON text)
//	           delete:   collection index, key
//	           truncate: nothing (every collection emptied)
//	footer   the offset, the next _seq (float64 bits), the txids: count
//	         and each; it starts at a record of kind end
//	trailer  footer position (u64), length of all before the trailer
//	         (u64), checksum of all before it (u64), "SDBend\x00\x01"
//
// Strings are a uvarint length and their bytes. Records apply in order to
// empty collections: the rows of a scan first, then what changed while
// the scan ran (a put replaces a row, it never merges), so that a snapshot
// is written in slices while the database goes on changing. Decoding
// checks the magic, the version, the trailer, the length and the checksum
// before it trusts anything, so that a cut or damaged file is refused
// (with a *Error saying why) and never half-applied.
package snapshot

import (
	"encoding/binary"
	"io"
	"math"

	"github.com/streamdb/streamdb/internal/strfmt"
)

// Version is the format version this package writes and reads.
const Version = 1

const (
	magic      = "SDBsnap\x00"
	endMagic   = "SDBend\x00\x01"
	trailerLen = 32
)

// Record kinds.
const (
	kindPut      = 1
	kindDelete   = 2
	kindTruncate = 3
	kindEnd      = 4
)

// Collection identifies one collection of the schema.
type Collection struct {
	Name, Type, PrimaryKey string
}

// Header is what a snapshot was taken of: the stream and the schema.
type Header struct {
	// Stream is the stream's URL.
	Stream string
	// Collections is the schema, in declaration order; records name a
	// collection by its index here.
	Collections []Collection
}

// Footer is where the state stands: the stream offset after which the
// records are exact, the next `_seq` number, and the most recent txids,
// oldest first.
type Footer struct {
	Offset string
	Seq    float64
	TxIDs  []string
}

// Reason says why a snapshot cannot be used.
type Reason string

// The reasons for refusing or dropping a snapshot. The first four are
// found by decoding; the rest by the database that restores it.
const (
	ReasonFormat    Reason = "format"    // not a snapshot at all
	ReasonVersion   Reason = "version"   // written by another format version
	ReasonTruncated Reason = "truncated" // cut short
	ReasonChecksum  Reason = "checksum"  // damaged: the checksum fails
	ReasonSchema    Reason = "schema"    // the collections differ from the database's
	ReasonStream    Reason = "stream"    // taken of another stream URL
	ReasonGone      Reason = "stream-gone"
	ReasonRecreated Reason = "stream-recreated" // the stream restarted below the saved offset
	ReasonOffset    Reason = "invalid-offset"   // the server refused the saved offset
	ReasonReset     Reason = "reset"            // a reset control event after the saved offset
	ReasonStorage   Reason = "storage"          // reading or writing the storage failed
)

// Error is a snapshot that cannot be used, and why.
type Error struct {
	Reason Reason
	Msg    string
	Err    error // the underlying failure, if any
}

func (e *Error) Error() string {
	m := "snapshot not used (" + string(e.Reason) + "): " + e.Msg
	if e.Err != nil {
		m += ": " + e.Err.Error()
	}
	return m
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(r Reason, format string, a ...any) *Error {
	return &Error{Reason: r, Msg: strfmt.Sprintf(format, a...)}
}

// Encoder writes a snapshot. Records accumulate in a buffer until Flush
// writes them out, so that a caller can encode under a lock and write
// without it.
type Encoder struct {
	w     io.Writer
	buf   []byte
	sum   checksum
	n     uint64 // bytes flushed
	colls int
	err   error
	done  bool // Finish ran: the buffer's bytes are in the checksum
}

// NewEncoder starts a snapshot with header h; nothing is written before
// the first Flush.
func NewEncoder(w io.Writer, h Header) *Encoder { return NewEncoderSize(w, h, 0) }

// NewEncoderSize is NewEncoder with a buffer of size bytes to begin with:
// a caller that flushes every size bytes never grows it.
func NewEncoderSize(w io.Writer, h Header, size int) *Encoder {
	e := &Encoder{w: w, sum: newChecksum(), colls: len(h.Collections), buf: make([]byte, 0, size)}
	e.buf = append(e.buf, magic...)
	e.buf = binary.AppendUvarint(e.buf, Version)
	e.str(h.Stream)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(h.Collections)))
	for _, c := range h.Collections {
		e.str(c.Name)
		e.str(c.Type)
		e.str(c.PrimaryKey)
	}
	return e
}

func (e *Encoder) str(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// Put records that the row of key in collection coll (its index in the
// header) is row, the row's canonical JSON text.
func (e *Encoder) Put(coll int, key, row string) {
	e.buf = append(e.buf, kindPut)
	e.buf = binary.AppendUvarint(e.buf, uint64(coll))
	e.str(key)
	e.str(row)
}

// Delete records that collection coll has no row for key.
func (e *Encoder) Delete(coll int, key string) {
	e.buf = append(e.buf, kindDelete)
	e.buf = binary.AppendUvarint(e.buf, uint64(coll))
	e.str(key)
}

// Truncate records that every collection was emptied.
func (e *Encoder) Truncate() { e.buf = append(e.buf, kindTruncate) }

// Buffered returns how many encoded bytes wait for Flush.
func (e *Encoder) Buffered() int { return len(e.buf) }

// Written returns how many bytes Flush wrote so far.
func (e *Encoder) Written() int64 { return int64(e.n) }

// Flush writes the buffered bytes.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	if len(e.buf) == 0 {
		return nil
	}
	if !e.done {
		e.sum.write(e.buf)
	}
	if _, err := e.w.Write(e.buf); err != nil {
		e.err = strfmt.Errorf("snapshot: write: %w", err)
		return e.err
	}
	e.n += uint64(len(e.buf))
	e.buf = e.buf[:0]
	return nil
}

// Finish appends the footer and the trailer to the buffered bytes; the
// snapshot is complete once Flush has written them. Nothing can be added
// after it.
func (e *Encoder) Finish(f Footer) {
	if e.done {
		return
	}
	footer := e.n + uint64(len(e.buf))
	e.buf = append(e.buf, kindEnd)
	e.str(f.Offset)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(f.Seq))
	e.buf = binary.AppendUvarint(e.buf, uint64(len(f.TxIDs)))
	for _, id := range f.TxIDs {
		e.str(id)
	}
	total := e.n + uint64(len(e.buf)) // all before the trailer
	e.buf = binary.LittleEndian.AppendUint64(e.buf, footer)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, total)
	e.sum.write(e.buf)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, e.sum.sum())
	e.buf = append(e.buf, endMagic...)
	e.done = true
}

// Close finishes the snapshot with footer f and flushes it.
func (e *Encoder) Close(f Footer) error {
	e.Finish(f)
	return e.Flush()
}
