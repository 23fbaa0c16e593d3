package value

import "testing"

// benchRow is a 5-field row as JSON.stringify writes it (canonical).
var benchRow = []byte(`{"id":7,"name":"user 7 é","email":"user7@example.com","active":false,"score":5433.07}`)

func BenchmarkParseRow(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchRow)))
	for b.Loop() {
		if _, err := Parse(benchRow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseRowEscaped parses a row with an escape JSON.stringify would
// not write (\u00e9, as Python's json.dumps writes it): the rewriting path.
func BenchmarkParseRowEscaped(b *testing.B) {
	row := []byte(`{"id":7,"name":"user 7 \u00e9","email":"user7@example.com","active":false,"score":5433.07}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(row)))
	for b.Loop() {
		if _, err := Parse(row); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRowIndented(b *testing.B) {
	row := []byte(`{ "id": 7, "name": "user 7 \u00e9", "email": "user7@example.com", "active": false, "score": 5433.07 }`)
	b.ReportAllocs()
	b.SetBytes(int64(len(row)))
	for b.Loop() {
		if _, err := Parse(row); err != nil {
			b.Fatal(err)
		}
	}
}

var sink Value

func BenchmarkGetField(b *testing.B) {
	row, _ := Parse(benchRow)
	b.ReportAllocs()
	for b.Loop() {
		sink = row.Get("email")
	}
}

func BenchmarkEqual(b *testing.B) {
	x := MustParse(`{"id":7,"name":"user 7","email":"user7@example.com","active":false,"score":5433.07}`)
	y := MustParse(`{"name":"user 7","id":7,"email":"user7@example.com","score":5433.07,"active":false}`)
	b.Run("same text", func(b *testing.B) {
		y := MustParse(string(benchRow))
		x := MustParse(string(benchRow))
		b.ReportAllocs()
		for b.Loop() {
			if !Equal(x, y) {
				b.Fatal()
			}
		}
	})
	b.Run("permuted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !Equal(x, y) {
				b.Fatal()
			}
		}
	})
}

var hashSink uint64

func BenchmarkHash(b *testing.B) {
	row, _ := Parse(benchRow)
	b.ReportAllocs()
	for b.Loop() {
		hashSink = hash(row, 1)
	}
}

func BenchmarkMerge(b *testing.B) {
	row, _ := Parse(benchRow)
	patch := MustParse(`{"score":17,"active":true}`)
	b.ReportAllocs()
	for b.Loop() {
		sink = Merge(row, patch)
	}
}

// BenchmarkGetMessageFields reads the fields of a row shaped as bench/'s
// messages the way a join and its select do: the join key, then the
// selected text.
func BenchmarkGetMessageFields(b *testing.B) {
	row := MustParse(`{"id":"m48213","userId":"u7731","text":"lorem ipsum dolor sit amet elit","ts":1700048213000}`)
	b.ReportAllocs()
	for b.Loop() {
		sink = row.Get("userId")
		sink = row.Get("text")
		sink = row.Get("ts")
	}
}

// BenchmarkGetStreamRowFields is BenchmarkGetMessageFields on a row as a
// stream's rows are made (ParseRow, with its memberDir), reading a field
// behind the message's text as a where clause or an orderBy on ts does.
func BenchmarkGetStreamRowFields(b *testing.B) {
	raw := []byte(`{"id":"m48213","userId":"u7731","text":"lorem ipsum dolor sit amet elit, sed do eiusmod tempor","ts":1700048213000,"likes":3}`)
	for _, name := range []string{"dir", "scan"} {
		b.Run(name, func(b *testing.B) {
			row, err := ParseRow(raw, "id", String("m48213"), "_seq", Number(1))
			if err != nil {
				b.Fatal(err)
			}
			if name == "scan" {
				row.num = 0
			}
			b.ReportAllocs()
			for b.Loop() {
				sink = row.Get("userId")
				sink = row.Get("ts")
				sink = row.Get("likes")
			}
		})
	}
}
