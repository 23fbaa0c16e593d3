package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

var testHeader = Header{Stream: "http://127.0.0.1:4437/v1/stream/chat", Collections: []Collection{
	{Name: "users", Type: "user", PrimaryKey: "id"},
	{Name: "messages", Type: "message", PrimaryKey: "id"},
}}

// sample encodes a small snapshot: rows, a delete, a truncate, more rows,
// flushed in several pieces.
func sample(t testing.TB) []byte {
	var out bytes.Buffer
	e := NewEncoder(&out, testHeader)
	e.Put(0, "u1", `{"id":"u1","name":"Ada","_seq":0}`)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	e.Put(1, "m1", `{"id":"m1","text":"hé \ud83d\ude00","_seq":1}`)
	e.Delete(0, "u1")
	e.Truncate()
	e.Put(1, "", `{"id":"","_seq":2}`)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	e.Put(0, "u2", `{"id":"u2","_seq":3}`)
	if err := e.Close(Footer{Offset: "0000000000000000_0000000000000460", Seq: 4, TxIDs: []string{"t1", "t2"}}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func allRecords(t testing.TB, s *Snapshot) []Record {
	var out []Record
	rs := s.Records()
	for {
		r, ok, err := rs.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, r)
	}
}

func TestRoundTrip(t *testing.T) {
	b := sample(t)
	s, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Header, testHeader) {
		t.Errorf("header %+v", s.Header)
	}
	wantF := Footer{Offset: "0000000000000000_0000000000000460", Seq: 4, TxIDs: []string{"t1", "t2"}}
	if !reflect.DeepEqual(s.Footer, wantF) {
		t.Errorf("footer %+v", s.Footer)
	}
	want := []Record{
		{Op: Put, Coll: 0, Key: "u1", Row: `{"id":"u1","name":"Ada","_seq":0}`},
		{Op: Put, Coll: 1, Key: "m1", Row: `{"id":"m1","text":"hé \ud83d\ude00","_seq":1}`},
		{Op: Delete, Coll: 0, Key: "u1"},
		{Op: Truncate},
		{Op: Put, Coll: 1, Key: "", Row: `{"id":"","_seq":2}`},
		{Op: Put, Coll: 0, Key: "u2", Row: `{"id":"u2","_seq":3}`},
	}
	if got := allRecords(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("records\n got %+v\nwant %+v", got, want)
	}
	if s.Size() != len(b) {
		t.Errorf("size %d, want %d", s.Size(), len(b))
	}
}

func reasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Every cut of a snapshot is refused, and says it was cut (or, for the
// first bytes, that it is no snapshot).
func TestEveryTruncationIsRefused(t *testing.T) {
	b := sample(t)
	for n := 0; n < len(b); n++ {
		_, err := Decode(b[:n])
		if r := reasonOf(err); r != ReasonTruncated {
			t.Fatalf("cut at %d of %d: %v (reason %q), want truncated", n, len(b), err, r)
		}
	}
}

// Every changed byte is caught: by the magic, the version, the trailer or
// the checksum.
func TestEveryFlippedByteIsRefused(t *testing.T) {
	b := sample(t)
	for i := range b {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= mask
			if s, err := Decode(c); err == nil {
				t.Fatalf("byte %d ^ %#x accepted: %+v", i, mask, s.Footer)
			}
		}
	}
}

func TestVersionAndFormat(t *testing.T) {
	b := sample(t)
	c := bytes.Clone(b)
	c[len(magic)] = Version + 1
	if r := reasonOf(second(Decode(c))); r != ReasonVersion {
		t.Errorf("other version: reason %q", r)
	}
	if r := reasonOf(second(Decode([]byte(`{"not":"a snapshot"}`)))); r != ReasonFormat {
		t.Errorf("JSON: reason %q", r)
	}
	if r := reasonOf(second(Decode(nil))); r != ReasonTruncated {
		t.Errorf("empty: reason %q", r)
	}
}

func second[T any](_ T, err error) error { return err }

// The checksum does not depend on how the bytes were split into writes.
func TestChecksumSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 1000)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	for n := 0; n <= len(b); n += 7 {
		want := sumOf(b[:n])
		c := newChecksum()
		for rest := b[:n]; len(rest) > 0; {
			k := min(len(rest), rng.IntN(70))
			c.write(rest[:k])
			rest = rest[k:]
		}
		if got := c.sum(); got != want {
			t.Fatalf("n=%d: split sum %x, whole %x", n, got, want)
		}
	}
	if sumOf([]byte{0}) == sumOf(nil) || sumOf([]byte{0, 0}) == sumOf([]byte{0}) {
		t.Error("zero padding collides with zero bytes")
	}
}

// A large snapshot encodes and decodes in order.
func TestManyRows(t *testing.T) {
	var out bytes.Buffer
	e := NewEncoder(&out, testHeader)
	for i := range 10000 {
		e.Put(i%2, fmt.Sprintf("k%05d", i), fmt.Sprintf(`{"id":"k%05d","n":%d}`, i, i))
		if e.Buffered() > 4096 {
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.Close(Footer{Offset: "x"}); err != nil {
		t.Fatal(err)
	}
	s, err := Decode(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	recs := allRecords(t, s)
	if len(recs) != 10000 || recs[9999].Key != "k09999" || recs[9999].Coll != 1 {
		t.Fatalf("%d records, last %+v", len(recs), recs[len(recs)-1])
	}
}

// FuzzDecode: no input crashes the decoder or the record reader; a
// snapshot cut or damaged anywhere is refused.
func FuzzDecode(f *testing.F) {
	b := sample(f)
	f.Add(b, uint16(0), byte(0))
	f.Add(b[:len(b)/2], uint16(3), byte(1))
	f.Add([]byte(magic), uint16(0), byte(0))
	f.Fuzz(func(t *testing.T, in []byte, at uint16, flip byte) {
		if s, err := Decode(in); err == nil {
			rs := s.Records()
			for {
				if _, ok, err := rs.Next(); err != nil || !ok {
					break
				}
			}
		}
		// The sample, damaged where the fuzzer says, is always refused.
		c := bytes.Clone(b)
		if flip != 0 {
			c[int(at)%len(c)] ^= flip
		} else {
			c = c[:int(at)%len(c)]
		}
		if _, err := Decode(c); err == nil {
			t.Fatalf("damaged sample accepted (at %d, flip %#x)", at, flip)
		}
	})
}

// FuzzRecords: arbitrary record bytes inside a snapshot whose checksum is
// right never crash the record reader.
func FuzzRecords(f *testing.F) {
	f.Add([]byte{kindPut, 1, 1, 'k', 2, '{', '}'})
	f.Add([]byte{kindDelete, 5, 0})
	f.Add([]byte{kindTruncate, kindPut, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, records []byte) {
		var out bytes.Buffer
		e := NewEncoder(&out, testHeader)
		e.buf = append(e.buf, records...)
		if err := e.Close(Footer{Offset: "o"}); err != nil {
			t.Fatal(err)
		}
		s, err := Decode(out.Bytes())
		if err != nil {
			return // the footer position may fall inside them
		}
		rs := s.Records()
		for {
			r, ok, err := rs.Next()
			if err != nil || !ok {
				break
			}
			if r.Op == Put && (r.Coll >= len(testHeader.Collections) || r.Row[0] != '{') {
				t.Fatalf("bad record handed out: %+v", r)
			}
		}
	})
}

// DecodePaused checks a large snapshot in pieces, with the same result.
func TestDecodePaused(t *testing.T) {
	var out bytes.Buffer
	e := NewEncoder(&out, testHeader)
	row := `{"id":"k","pad":"` + string(bytes.Repeat([]byte("x"), 1000)) + `"}`
	for i := range 12000 {
		e.Put(0, fmt.Sprint(i), row)
	}
	if err := e.Close(Footer{Offset: "o"}); err != nil {
		t.Fatal(err)
	}
	pauses := 0
	if _, err := DecodePaused(out.Bytes(), func() { pauses++ }); err != nil {
		t.Fatal(err)
	}
	if pauses != out.Len()/pauseEvery {
		t.Errorf("%d pauses for %d bytes", pauses, out.Len())
	}
	c := bytes.Clone(out.Bytes())
	c[len(c)-100] ^= 1
	if _, err := DecodePaused(c, func() {}); reasonOf(err) != ReasonChecksum {
		t.Errorf("damaged: %v", err)
	}
}
