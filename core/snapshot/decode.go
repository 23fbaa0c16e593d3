package snapshot

import (
	"bytes"
	"encoding/binary"
	"math"
	"unsafe"
)

// Snapshot is a decoded snapshot whose integrity was checked. Its strings
// share the memory of the bytes it was decoded from.
type Snapshot struct {
	Header
	Footer
	records []byte
	size    int
}

// Size returns the snapshot's length in bytes.
func (s *Snapshot) Size() int { return s.size }

// Decode checks b (magic, version, trailer, length, checksum) and reads
// its header and footer. The strings of the result and of its records
// share b's memory, so b must not change afterwards. A b that is not a
// usable snapshot gives a *Error with its Reason.
func Decode(b []byte) (*Snapshot, error) { return DecodePaused(b, nil) }

// pauseEvery is how many bytes DecodePaused checksums between two calls
// of its pause function.
const pauseEvery = 4 << 20

// DecodePaused is Decode that calls pause (when not nil) every few MiB of
// the checksum, so that a caller can let other work run during a large
// snapshot's check.
func DecodePaused(b []byte, pause func()) (*Snapshot, error) {
	if len(b) < len(magic) {
		if bytes.HasPrefix([]byte(magic), b) {
			return nil, errorf(ReasonTruncated, "%d bytes, shorter than the magic", len(b))
		}
		return nil, errorf(ReasonFormat, "not a StreamDB snapshot")
	}
	if string(b[:len(magic)]) != magic {
		return nil, errorf(ReasonFormat, "not a StreamDB snapshot")
	}
	r := reader{b: b, pos: len(magic)}
	if v, ok := r.uvarint(); !ok {
		return nil, errorf(ReasonTruncated, "cut in its version")
	} else if v != Version {
		return nil, errorf(ReasonVersion, "format version %d, this build reads %d", v, Version)
	}
	if len(b) < r.pos+trailerLen || string(b[len(b)-len(endMagic):]) != endMagic {
		return nil, errorf(ReasonTruncated, "%d bytes without the trailer's end mark", len(b))
	}
	t := len(b) - trailerLen
	footer := binary.LittleEndian.Uint64(b[t:])
	total := binary.LittleEndian.Uint64(b[t+8:])
	if total != uint64(t) {
		return nil, errorf(ReasonTruncated, "%d bytes where the trailer says %d", t, total)
	}
	if want, got := binary.LittleEndian.Uint64(b[t+16:]), sumPaused(b[:t+16], pause); want != got {
		return nil, errorf(ReasonChecksum, "checksum %016x, the trailer says %016x", got, want)
	}
	s := &Snapshot{size: len(b)}
	bad := func(what string) error { return errorf(ReasonFormat, "bad %s at byte %d", what, r.pos) }
	var ok bool
	if s.Stream, ok = r.str(); !ok {
		return nil, bad("stream URL")
	}
	n, ok := r.uvarint()
	if !ok || n > uint64(t) {
		return nil, bad("collection count")
	}
	s.Collections = make([]Collection, n)
	for i := range s.Collections {
		c := &s.Collections[i]
		var ok1, ok2, ok3 bool
		c.Name, ok1 = r.str()
		c.Type, ok2 = r.str()
		c.PrimaryKey, ok3 = r.str()
		if !ok1 || !ok2 || !ok3 {
			return nil, bad("collection")
		}
	}
	if footer < uint64(r.pos) || footer >= uint64(t) {
		return nil, bad("footer position")
	}
	s.records = b[r.pos:footer]
	f := reader{b: b[:t], pos: int(footer)}
	if k, ok := f.byte(); !ok || k != kindEnd {
		return nil, bad("footer")
	}
	if s.Offset, ok = f.str(); !ok {
		return nil, bad("offset")
	}
	seq, ok := f.u64()
	if !ok {
		return nil, bad("seq")
	}
	s.Seq = math.Float64frombits(seq)
	if n, ok = f.uvarint(); !ok || n > uint64(t) {
		return nil, bad("txid count")
	}
	s.TxIDs = make([]string, n)
	for i := range s.TxIDs {
		if s.TxIDs[i], ok = f.str(); !ok {
			return nil, bad("txid")
		}
	}
	if f.pos != t {
		return nil, bad("footer end")
	}
	return s, nil
}

// Records returns a reader of the snapshot's records, from the first.
func (s *Snapshot) Records() *Records {
	return &Records{r: reader{b: s.records}, colls: len(s.Collections)}
}

// Op is what a record does.
type Op uint8

// The record operations.
const (
	Put      Op = kindPut
	Delete   Op = kindDelete
	Truncate Op = kindTruncate
)

// Record is one step of a snapshot: put a row, delete a key, or empty
// every collection. Key and Row share the snapshot's memory.
type Record struct {
	Op   Op
	Coll int
	Key  string
	Row  string // Put's row: canonical JSON text of an object
}

// Records reads a snapshot's records in order.
type Records struct {
	r     reader
	colls int
}

// Next returns the next record, or false at the end. A record that does
// not parse gives an error; the checksum makes that all but impossible
// for a snapshot this package wrote.
func (rs *Records) Next() (Record, bool, error) {
	r := &rs.r
	if r.pos == len(r.b) {
		return Record{}, false, nil
	}
	at := r.pos
	bad := func(what string) (Record, bool, error) {
		return Record{}, false, errorf(ReasonFormat, "bad %s in the record at byte %d", what, at)
	}
	k, _ := r.byte()
	if k == kindTruncate {
		return Record{Op: Truncate}, true, nil
	}
	if k != kindPut && k != kindDelete {
		return bad("kind")
	}
	c, ok := r.uvarint()
	if !ok || c >= uint64(rs.colls) {
		return bad("collection")
	}
	rec := Record{Op: Op(k), Coll: int(c)}
	if rec.Key, ok = r.str(); !ok {
		return bad("key")
	}
	if k == kindPut {
		rec.Row, ok = r.str()
		if !ok || len(rec.Row) < 2 || rec.Row[0] != '{' || rec.Row[len(rec.Row)-1] != '}' {
			return bad("row")
		}
	}
	return rec, true, nil
}

// reader reads the format's primitives from b; each reports false when b
// ends first.
type reader struct {
	b   []byte
	pos int
}

func (r *reader) byte() (byte, bool) {
	if r.pos >= len(r.b) {
		return 0, false
	}
	r.pos++
	return r.b[r.pos-1], true
}

func (r *reader) uvarint() (uint64, bool) {
	v, n := binary.Uvarint(r.b[r.pos:])
	if n <= 0 {
		return 0, false
	}
	r.pos += n
	return v, true
}

func (r *reader) u64() (uint64, bool) {
	if len(r.b)-r.pos < 8 {
		return 0, false
	}
	r.pos += 8
	return binary.LittleEndian.Uint64(r.b[r.pos-8:]), true
}

// str reads a string sharing r.b's memory.
func (r *reader) str() (string, bool) {
	n, ok := r.uvarint()
	if !ok || n > uint64(len(r.b)-r.pos) {
		return "", false
	}
	s := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	if n == 0 {
		return "", true
	}
	return unsafe.String(&s[0], len(s)), true
}
