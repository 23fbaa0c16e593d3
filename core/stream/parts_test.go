package stream

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/internal/faults"
)

// jsonArray returns a JSON array of n items like {"i":0,"pad":"…"}.
func jsonArray(from, n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := from; i < from+n; i++ {
		if i > from {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"i":%d,"pad":"%s"}`, i, strings.Repeat("x", i%50))
	}
	b.WriteByte(']')
	return b.String()
}

// readParts reads until the reader reaches the end of the stream and
// returns every item, with every batch.
func readParts(t *testing.T, r *Reader) ([]string, []*Batch) {
	t.Helper()
	var (
		items   []string
		batches []*Batch
	)
	for {
		b, err := r.Next()
		if err == io.EOF {
			return items, batches
		}
		require.NoError(t, err)
		batches = append(batches, b)
		for _, it := range b.Items {
			items = append(items, string(it))
		}
	}
}

func itemsOf(t *testing.T, body string) []string {
	var out []string
	items, err := splitJSON([]byte(body))
	require.NoError(t, err)
	for _, it := range items {
		out = append(out, string(it))
	}
	return out
}

// A body larger than PartBytes comes in parts of about that size, each
// with the items it completes; only the last moves the offset.
func TestReadInParts(t *testing.T) {
	body := jsonArray(0, 2000)
	f := &fakeServer{answers: []func(*Request) (*Response, error){answer(200, jsonHeader("9", true), body)}}
	r := fakeReader(t, f, ReadOptions{PartBytes: 1 << 10})
	items, batches := readParts(t, r)
	assert.Equal(t, itemsOf(t, body), items, "every item once, in order")
	require.Greater(t, len(batches), 40)
	wire := 0
	for i, b := range batches {
		last := i == len(batches)-1
		assert.Equal(t, !last, b.Partial, "part %d", i)
		assert.Equal(t, last, b.UpToDate, "part %d", i)
		if last {
			assert.Equal(t, "9", b.Offset)
		} else {
			assert.Equal(t, "-1", b.Offset, "a part does not move the offset")
		}
		assert.LessOrEqual(t, b.WireBytes, 1<<10, "part %d", i)
		wire += b.WireBytes
	}
	assert.Equal(t, len(body), wire)
	assert.Equal(t, "9", r.Offset())
}

// A body that drops midway is asked for again from the same offset, and
// the items already handed out are not handed out again, also when the
// server answers the second request with fewer items (a shorter response)
// and the rest comes in the next one.
func TestReadInPartsDroppedMidBody(t *testing.T) {
	full := jsonArray(0, 300)
	cut := full[:len(full)*2/3]
	f := &fakeServer{answers: []func(*Request) (*Response, error){
		answer(200, jsonHeader("5", false), jsonArray(1000, 3)),
		dropAfter(200, jsonHeader("9", true), cut),
		dropAfter(200, jsonHeader("9", true), full[:40]),
		answer(200, jsonHeader("7", false), jsonArray(0, 20)),
		answer(200, jsonHeader("9", true), jsonArray(20, 280)),
	}}
	r := fakeReader(t, f, ReadOptions{PartBytes: 512})
	items, _ := readParts(t, r)
	want := append(itemsOf(t, jsonArray(1000, 3)), itemsOf(t, full)...)
	assert.Equal(t, want, items, "nothing lost, nothing repeated")
	assert.Equal(t, []string{"http://fake/s?offset=-1", "http://fake/s?offset=5", "http://fake/s?offset=5",
		"http://fake/s?offset=5", "http://fake/s?offset=7"}, f.urls)
}

// An item above MaxItemBytes is read past and left out (Batch.Skipped says
// where); a body that is not a whole array is a parse error that keeps the
// items handed out, and the next request leaves them out.
func TestReadInPartsBadItemsAndBodies(t *testing.T) {
	big := `{"big":"` + strings.Repeat("y", 5000) + `"}`
	f := &fakeServer{answers: []func(*Request) (*Response, error){
		answer(200, jsonHeader("5", false), `[1, `+big+`, 3]`),
		answer(200, jsonHeader("9", true), jsonArray(0, 100)[:2000]), // no closing bracket
		answer(200, jsonHeader("9", true), jsonArray(0, 100)),
	}}
	r := fakeReader(t, f, ReadOptions{PartBytes: 256, MaxItemBytes: 1000})
	var (
		items   []string
		skipped int
	)
	for {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			assert.Equal(t, CodeParse, CodeOf(err), "%v", err)
			continue
		}
		for i, it := range b.Items {
			for _, at := range b.Skipped {
				if at == i {
					items = append(items, "<left out>")
				}
			}
			items = append(items, string(it))
		}
		for _, at := range b.Skipped {
			if at == len(b.Items) {
				items = append(items, "<left out>")
			}
		}
		skipped += len(b.Skipped)
	}
	want := append([]string{"1", "<left out>", "3"}, itemsOf(t, jsonArray(0, 100))...)
	assert.Equal(t, want, items)
	assert.Equal(t, 1, skipped)
}

// A 40 MB body read in parts never has the reader hold more than a few
// parts of it (the live heap stays far below the body's size).
func TestReadInPartsHoldsAWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 40 MB")
	}
	const n = 180_000 // about 40 MB (the race detector's CI run reads it in seconds)
	f := &fakeServer{answers: []func(*Request) (*Response, error){func(*Request) (*Response, error) {
		body := faults.Array(n, func(dst []byte, i int) []byte {
			return fmt.Appendf(dst, `{"i":%d,"pad":"%s"}`, i, strings.Repeat("z", 200))
		})
		return &Response{StatusCode: 200, Header: jsonHeader("9", true), Body: body}, nil
	}}}
	r := fakeReader(t, f, ReadOptions{PartBytes: 256 << 10})
	var (
		ms    runtime.MemStats
		peak  uint64
		items int
		wire  int
	)
	for {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		items += len(b.Items)
		wire += b.WireBytes
		if len(b.Items)%7 == 0 || !b.Partial { // sampled: ReadMemStats stops the world
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	assert.Equal(t, n, items)
	assert.Greater(t, wire, 38<<20)
	assert.Less(t, peak, uint64(20<<20), "heap peak %d MiB for a %d MiB body", peak>>20, wire>>20)
}

// A small response read in parts costs a buffer of its size, not one of
// PartBytes: a StreamDB reads every live change that way (1 MiB parts),
// and a buffer of 1 MiB per change made the garbage collector run every
// hundred changes. A large one still comes in parts of PartBytes.
func TestReadInPartsSizesSmallResponses(t *testing.T) {
	const changes = 50
	body := jsonArray(0, 3) // a live change: under 100 bytes
	var answers []func(*Request) (*Response, error)
	for i := range changes {
		// Not up to date: the reader asks again, as it does when live.
		answers = append(answers, answer(200, jsonHeader(fmt.Sprint(i+1), i == changes-1), body))
	}
	f := &fakeServer{answers: answers}
	r := fakeReader(t, f, ReadOptions{PartBytes: 1 << 20})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range changes {
		b, err := r.Next()
		require.NoError(t, err)
		require.Len(t, b.Items, 3)
	}
	runtime.ReadMemStats(&after)
	perChange := (after.TotalAlloc - before.TotalAlloc) / changes
	assert.Less(t, perChange, uint64(64<<10), "bytes allocated per small response")

	big := jsonArray(0, 20000) // about 700 KB
	f = &fakeServer{answers: []func(*Request) (*Response, error){answer(200, jsonHeader("9", true), big)}}
	items, batches := readParts(t, fakeReader(t, f, ReadOptions{PartBytes: 64 << 10}))
	assert.Equal(t, itemsOf(t, big), items)
	for i, b := range batches[:len(batches)-1] {
		assert.Greater(t, b.WireBytes, 32<<10, "part %d is most of a part of PartBytes", i)
	}
}
