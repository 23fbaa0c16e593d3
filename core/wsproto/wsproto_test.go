package wsproto

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	frames := []Frame{
		{Type: Subscribe, Sub: 1, HasSub: true, Stream: "/v1/stream/chat", Offset: "-1", Headers: map[string]string{"authorization": "Bearer x"}},
		{Type: Subscribe, Sub: 2, HasSub: true, Stream: "/v1/stream/chat", Offset: "0_5", Retries: true},
		{Type: Unsubscribe, Sub: 7, HasSub: true},
		{Type: Append, Req: 3, HasReq: true, Stream: "/v1/stream/a b", Data: []byte(`[{"type":"user","key":"1"}]`),
			Producer: &Producer{ID: "page-1", Epoch: 2, Seq: 41}},
		{Type: Hello, Version: 1, MaxFrame: 1 << 20},
		{Type: Batch, Sub: 1, HasSub: true, Offset: "0000_0001", UpToDate: true, Items: [][]byte{[]byte(`{"a":1}`), []byte(`"é\u0000"`)}},
		{Type: Batch, Sub: 2, HasSub: true, Offset: "0000_0002", Closed: true, Items: nil},
		{Type: Batch, Sub: 3, HasSub: true, Offset: "0000_0002", Partial: true, Items: [][]byte{[]byte(`[1,{"b":[]}]`)}},
		{Type: Ack, Req: 3, HasReq: true, Offset: "0000_0003"},
		{Type: Ack, Req: 4, HasReq: true, Duplicate: true},
		{Type: Error, Sub: 1, HasSub: true, Code: "NOT_FOUND", Status: 404, Message: "no \"stream\""},
		{Type: Error, Code: CodeBadFrame, Message: "x"},
		{Type: Retrying, Sub: 2, HasSub: true, Attempt: 3, DelayMs: 1500, Code: "BUSY", Status: 503, Message: "upstream down"},
		{Type: Retrying, Sub: 2, HasSub: true, Attempt: 1, Code: "NETWORK", Message: "connection refused"},
	}
	for _, f := range frames {
		text := AppendFrame(nil, &f)
		got, err := Decode(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got.Items == nil && f.Type == Batch {
			got.Items = nil
		}
		if len(got.Items) == 0 {
			got.Items = nil
		}
		if !reflect.DeepEqual(*got, f) {
			t.Errorf("%s\n got %+v\nwant %+v", text, *got, f)
		}
	}
}

func TestBadFrames(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `{"type":1}`, `{}`, `{"type":"subscribe","sub":1,"stream":"/s"}`,
		`{"type":"subscribe","sub":1.5,"stream":"/s","offset":"-1"}`,
		`{"type":"subscribe","sub":1,"stream":"/s","offset":"-1","headers":{"a":1}}`,
		`{"type":"append","req":1,"stream":"/s"}`,
		`{"type":"append","req":1,"stream":"/s","data":1,"producer":{"id":"","epoch":0,"seq":0}}`,
		`{"type":"append","req":1,"stream":"/s","data":1,"producer":{"id":"p","epoch":-1,"seq":0}}`,
		`{"type":"append","req":1,"stream":"/s","data":1,"producer":{"id":"p","seq":0}}`,
		`{"type":"batch","sub":1,"offset":"o","items":{}}`,
		`{"type":"nope"}`, `{"type":"unsubscribe","sub":99999999999999999999}`,
		`{"type":"unsubscribe","sub":1}x`, `{"type":"unsubscribe","sub":1,"upToDate":1}`,
		`{"type":"retrying","attempt":1,"delayMs":5}`, `{"type":"retrying","sub":1,"attempt":"1"}`,
		`{"type":"retrying","sub":1,"delayMs":1.5}`, `{"type":"subscribe","sub":1,"stream":"/s","offset":"-1","retries":1}`,
	} {
		_, err := Decode([]byte(in))
		var fe *FrameError
		if !errors.As(err, &fe) {
			t.Errorf("%q: %v, want a FrameError", in, err)
		}
	}
}

// A well-formed frame of a type this version does not know is refused as
// such (a reader may skip it); a broken frame or a missing type is not.
func TestUnknownType(t *testing.T) {
	for in, unknown := range map[string]bool{
		`{"type":"notice","sub":1,"message":"later"}`: true,
		`{"type":"notice","sub":1.5}`:                 false,
		`{"sub":1}`:                                   false,
		`{"type":"batch","sub":1}`:                    false,
	} {
		_, err := Decode([]byte(in))
		var fe *FrameError
		if !errors.As(err, &fe) || fe.UnknownType != unknown {
			t.Errorf("%s: %#v, want a FrameError with UnknownType %v", in, err, unknown)
		}
	}
}

// FuzzDecode: no input crashes Decode, and what it accepts comes back the
// same through AppendFrame.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"type":"subscribe","sub":1,"stream":"/v1/stream/x","offset":"-1","headers":{"a":"b"}}`))
	f.Add([]byte(`{"type":"batch","sub":1,"offset":"1_2","upToDate":true,"closed":false,"items":[1,{"a":[2]}]}`))
	f.Add([]byte(`{"type":"append","req":2,"stream":"/s","data":[{"x":null}],"producer":{"id":"p","epoch":0,"seq":3}}`))
	f.Add([]byte(`{"type":"error","req":2,"code":"X","status":500,"message":"m"}`))
	f.Add([]byte(`{"type":"retrying","sub":2,"attempt":1,"delayMs":250,"code":"BUSY","status":503,"message":"m"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		fr, err := Decode(in)
		if err != nil {
			return
		}
		again, err := Decode(AppendFrame(nil, fr))
		if err != nil {
			t.Fatalf("re-encoded frame refused: %v\n%s", err, AppendFrame(nil, fr))
		}
		if !bytes.Equal(AppendFrame(nil, again), AppendFrame(nil, fr)) {
			t.Fatalf("not stable:\n%s\n%s", AppendFrame(nil, fr), AppendFrame(nil, again))
		}
	})
}

// A batch's items are delimited by structure only: a malformed item comes
// through for the caller to refuse, the others are unharmed; a broken
// array is a bad frame. Escaped keys are read as their text.
func TestLenientItems(t *testing.T) {
	f, err := Decode([]byte(`{"type":"batch","sub":1,"offset":"o","items":[1, {bad} ,"x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range f.Items {
		got = append(got, string(it))
	}
	if want := []string{"1", "{bad}", `"x"`}; !slices.Equal(got, want) {
		t.Errorf("items %q, want %q", got, want)
	}
	for _, in := range []string{
		`{"type":"batch","sub":1,"offset":"o","items":[1,"open]}`,
		`{"type":"batch","sub":1,"offset":"o","items":[1,{]}`,
		`{"type":"batch","sub":1,"offset":"o","items":[1]`,
	} {
		var fe *FrameError
		if _, err := Decode([]byte(in)); !errors.As(err, &fe) {
			t.Errorf("%q: %v, want a FrameError", in, err)
		}
	}
	f, err = Decode([]byte(`{"t\u0079pe":"unsubscribe","sub":2}`))
	if err != nil || f.Type != Unsubscribe || f.Sub != 2 {
		t.Errorf("escaped key: %+v, %v", f, err)
	}
}
