package jswire_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/core/snapshot"
	"github.com/streamdb/streamdb/core/state"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
)

func parse(t *testing.T, text string) value.Value {
	t.Helper()
	v, err := value.ParseString(text)
	require.NoError(t, err)
	return v
}

// Every form of key TanStack DB 0.15.2 gives a result (row keys, join keys,
// group keys of one or more values) crosses as a distinct JSON text, so
// that undefined and null, 1 and "1", NaN and null stay apart.
func TestAppendKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  value.Value
		want string
	}{
		{"undefined", value.Undefined(), `["undefined"]`},
		{"null", value.Null(), `null`},
		{"NaN", value.Number(math.NaN()), `["NaN"]`},
		{"Infinity", value.Number(math.Inf(1)), `["Infinity"]`},
		{"-Infinity", value.Number(math.Inf(-1)), `["-Infinity"]`},
		{"zero", value.Number(0), `0`},
		{"negative zero is zero", value.Number(math.Copysign(0, -1)), `0`},
		{"number", value.Number(1), `1`},
		{"fraction", value.Number(-2.5), `-2.5`},
		{"numeric string", value.String("1"), `"1"`},
		{"empty string", value.String(""), `""`},
		{"string with escapes", value.String("a\"b\\c\n\u2028"), "\"a\\\"b\\\\c\\n\u2028\""},
		{"true", value.Bool(true), `true`},
		{"false", value.Bool(false), `false`},
		{"join key", value.String(`["u1",10]`), `"[\"u1\",10]"`},
		{"nested join key", value.String(`["[1,10]","c1"]`), `"[\"[1,10]\",\"c1\"]"`},
		{"group tuple", value.String(`[null,"a",{"number":"NaN"}]`), `"[null,\"a\",{\"number\":\"NaN\"}]"`},
		{"array", parse(t, `[1,"a",null]`), `[[1,"a",null]]`},
		{"object", parse(t, `{"a":1}`), `[{"a":1}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(jswire.AppendKey(nil, tc.key))
			assert.Equal(t, tc.want, got)
			assert.True(t, json.Valid([]byte(got)), "valid JSON: %s", got)
		})
	}
}

// Keys that differ give texts that differ.
func TestAppendKeyDistinct(t *testing.T) {
	keys := []value.Value{
		value.Undefined(), value.Null(), value.Number(math.NaN()), value.Number(math.Inf(1)),
		value.Number(math.Inf(-1)), value.Number(0), value.Number(1), value.String("1"),
		value.String("null"), value.String("undefined"), value.String(`["undefined"]`),
		value.Bool(true), value.String("true"), parse(t, `["undefined"]`), parse(t, `[1]`),
	}
	seen := map[string]value.Value{}
	for _, k := range keys {
		text := string(jswire.AppendKey(nil, k))
		if prev, dup := seen[text]; dup {
			t.Errorf("%v and %v both cross as %s", prev, k, text)
		}
		seen[text] = k
	}
}

func TestStep(t *testing.T) {
	sorted, closed, keyed := new(db.Live), new(db.Live), new(db.Live)
	ids := map[*db.Live]int{sorted: 3, keyed: 7}
	queryID := func(l *db.Live) (int, bool) { id, ok := ids[l]; return id, ok }
	row := func(s string) value.Value { return parse(t, s) }
	for _, tc := range []struct {
		name string
		step db.Step
		want string
	}{
		{"empty", db.Step{}, `{"c":{},"q":[]}`},
		{"collection changes", db.Step{Collections: map[string][]db.Change{"users": {
			{Type: db.Insert, Key: "1", Value: row(`{"id":"1"}`)},
			{Type: db.Update, Key: "2", Value: row(`{"id":"2","n":2}`), Previous: row(`{"id":"2","n":1}`)},
			{Type: db.Delete, Key: "3", Value: row(`{"id":"3"}`)},
		}}}, `{"c":{"users":[["i","1",{"id":"1"}],["u","2",{"id":"2","n":2},{"id":"2","n":1}],["d","3",{"id":"3"}]]},"q":[]}`},
		{"query changes have six fields, closed queries are left out", db.Step{Queries: []db.QueryChanges{
			{Live: sorted, Changes: []db.QueryChange{
				{Type: db.Insert, Key: value.String("a"), Value: row(`{"n":1}`), OldRank: -1, Rank: 0},
				{Type: db.Update, Key: value.Number(2), Value: row(`{"n":2}`), Previous: row(`{"n":1}`), OldRank: 4, Rank: 1},
				{Type: db.Delete, Key: value.Undefined(), Value: row(`{"n":3}`), Previous: row(`{"n":9}`), OldRank: 2, Rank: -1},
			}},
			{Live: closed, Changes: []db.QueryChange{{Type: db.Insert, Key: value.String("x"), Value: row(`{}`), OldRank: -1}}},
			{Live: keyed, Changes: []db.QueryChange{{Type: db.Insert, Key: value.Null(), Value: row(`{"team":null}`), OldRank: -1, Rank: 0}}},
		}}, `{"c":{},"q":[[3,[["i","a",{"n":1},-1,0],["u",2,{"n":2},4,1],["d",["undefined"],null,2,-1]]],[7,[["i",null,{"team":null},-1,0]]]]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := jswire.Step(&tc.step, queryID)
			assert.Equal(t, tc.want, string(got))
			assert.GreaterOrEqual(t, cap(got), len(got))
		})
	}
}

// The step's buffer is sized once: no append grows it.
func TestStepSizedOnce(t *testing.T) {
	var st db.Step
	st.Collections = map[string][]db.Change{}
	l := new(db.Live)
	qc := db.QueryChanges{Live: l}
	for i := range 1000 {
		k := fmt.Sprint(i)
		v := parse(t, fmt.Sprintf(`{"id":%q,"name":"user %d"}`, k, i))
		st.Collections["users"] = append(st.Collections["users"], db.Change{Type: db.Update, Key: k, Value: v, Previous: v})
		qc.Changes = append(qc.Changes, db.QueryChange{Type: db.Update, Key: value.String(k), Value: v, Previous: v, OldRank: i, Rank: i})
	}
	st.Queries = []db.QueryChanges{qc}
	allocs := testing.AllocsPerRun(10, func() {
		jswire.Step(&st, func(*db.Live) (int, bool) { return 1, true })
	})
	assert.LessOrEqual(t, allocs, 1.0, "one allocation: the buffer")
}

func TestQueryOpened(t *testing.T) {
	rows := func(pairs ...value.Value) func(func(k, v value.Value) bool) {
		return func(fn func(k, v value.Value) bool) {
			for i := 0; i+1 < len(pairs); i += 2 {
				if !fn(pairs[i], pairs[i+1]) {
					return
				}
			}
		}
	}
	for _, tc := range []struct {
		name            string
		single, ordered bool
		rows            func(func(k, v value.Value) bool)
		want            string
	}{
		{"empty", false, false, rows(), `{"id":1,"single":false,"ordered":false,"special":false,"keys":[],"rows":[]}`},
		{"group keys", false, true, rows(value.Undefined(), parse(t, `{"n":2}`), value.Null(), parse(t, `{"n":3}`), value.Number(1), parse(t, `{"n":1}`), value.String("1"), parse(t, `{"n":4}`)),
			`{"id":1,"single":false,"ordered":true,"special":true,"keys":[["undefined"],null,1,"1"],"rows":[{"n":2},{"n":3},{"n":1},{"n":4}]}`},
		{"special keys", false, false, rows(value.Number(math.Inf(-1)), value.Number(1), parse(t, `[1,"a"]`), value.Number(2), value.Number(math.NaN()), value.Number(3)),
			`{"id":1,"single":false,"ordered":false,"special":true,"keys":[["-Infinity"],[[1,"a"]],["NaN"]],"rows":[1,2,3]}`},
		{"non-ASCII", false, false, rows(value.String("clé"), parse(t, `{"n":"été ☃"}`), value.String("日本"), parse(t, `{"n":"😀"}`)),
			`{"id":1,"single":false,"ordered":false,"special":false,"keys":["clé","日本"],"rows":[{"n":"été ☃"},{"n":"😀"}]}`},
		{"findOne", true, false, rows(value.String("single_group"), parse(t, `{"total":0}`)),
			`{"id":1,"single":true,"ordered":false,"special":false,"keys":["single_group"],"rows":[{"total":0}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// In one piece, and in pieces of every size: the pieces make the
			// same text, each cut after an element.
			// Without the keys, the same text less "special" and "keys".
			var opened struct {
				Special json.RawMessage `json:"special"`
				Keys    json.RawMessage `json:"keys"`
			}
			require.NoError(t, json.Unmarshal([]byte(tc.want), &opened))
			withoutKeys := strings.Replace(tc.want, `,"special":`+string(opened.Special)+`,"keys":`+string(opened.Keys), "", 1)
			for _, w := range []struct {
				what, want string
				write      func(*jswire.Pieces)
			}{
				{"with the keys", tc.want, func(p *jswire.Pieces) { jswire.QueryOpened(1, tc.single, tc.ordered, true, tc.rows, p) }},
				{"without the keys", withoutKeys, func(p *jswire.Pieces) { jswire.QueryOpened(1, tc.single, tc.ordered, false, tc.rows, p) }},
			} {
				for _, size := range []int{0, 1, 7, 30, 1 << 20} {
					var pieces []string
					w.write(&jswire.Pieces{Size: size, Emit: func(b []byte) { pieces = append(pieces, string(b)) }})
					if size == 0 || len(w.want) <= size {
						// One text: the result as it is.
						require.Len(t, pieces, 1, "%s, pieces of %d bytes", w.what, size)
						assert.Equal(t, w.want, pieces[0], "%s, pieces of %d bytes", w.what, size)
						continue
					}
					// Texts of their own, which the shim puts together.
					assert.JSONEq(t, w.want, assemble(t, pieces), "%s, pieces of %d bytes", w.what, size)
					for i, piece := range pieces {
						if i > 0 && i < len(pieces)-1 && pieces[i+1][1] == piece[1] {
							assert.GreaterOrEqual(t, len(piece), size, "a piece of a list ends before it holds %d bytes", size)
						}
						assert.True(t, utf8.ValidString(piece), "a piece is cut between characters: %q", piece)
					}
				}
			}
		})
	}
}

// TestQueryOpenedVirtualPieces checks the first result of a database whose
// rows carry the virtual fields (virtualProps) in pieces of several sizes
// against the same result in one piece.
func TestQueryOpenedVirtualPieces(t *testing.T) {
	rows := func(fn func(k, v value.Value) bool) {
		for i := range 40 {
			k := value.String(fmt.Sprintf("k%02d", i))
			var v value.Value
			switch i % 3 {
			case 0:
				v = value.MustParse(fmt.Sprintf(`{"n":%d,"s":"été %d"}`, i, i))
			case 1:
				v = value.MustParse(`{}`)
			default:
				v = value.Number(float64(i))
			}
			if !fn(k, v) {
				return
			}
		}
	}
	for _, keys := range []bool{false, true} {
		var whole []string
		jswire.QueryOpenedVirtual(3, false, false, keys, rows, &jswire.Pieces{Emit: func(b []byte) { whole = append(whole, string(b)) }}, "live-query-3")
		require.Len(t, whole, 1)
		assert.Contains(t, whole[0], `"$synced":true`)
		for _, size := range []int{1, 7, 30, 200} {
			var pieces []string
			jswire.QueryOpenedVirtual(3, false, false, keys, rows, &jswire.Pieces{Size: size, Emit: func(b []byte) { pieces = append(pieces, string(b)) }}, "live-query-3")
			require.Greater(t, len(pieces), 2, "keys %v, pieces of %d bytes", keys, size)
			assert.JSONEq(t, whole[0], assemble(t, pieces), "keys %v, pieces of %d bytes", keys, size)
		}
	}
}

// assemble puts a first result's pieces together as the shim does
// (js/db.js, _openQuery): the first is the object with its lists empty,
// each of the others a JSON array of a list's elements after its tag (0:
// keys, 1: rows). It returns the JSON text of the object.
func assemble(t *testing.T, pieces []string) string {
	t.Helper()
	var head map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(pieces[0]), &head), "the first piece: %s", pieces[0])
	lists := map[string][]json.RawMessage{}
	for _, name := range []string{"keys", "rows"} {
		if raw, ok := head[name]; ok {
			require.JSONEq(t, `[]`, string(raw), "the first piece's %s", name)
			lists[name] = []json.RawMessage{}
		}
	}
	for _, piece := range pieces[1:] {
		var elems []json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(piece), &elems), "a piece: %s", piece)
		require.NotEmpty(t, elems, "a piece without its tag")
		name := map[string]string{"0": "keys", "1": "rows"}[string(elems[0])]
		_, ok := lists[name]
		require.True(t, ok, "a piece of no list the first piece has: %s", piece)
		lists[name] = append(lists[name], elems[1:]...)
	}
	for name, elems := range lists {
		b, err := json.Marshal(elems)
		require.NoError(t, err)
		head[name] = b
	}
	b, err := json.Marshal(head)
	require.NoError(t, err)
	return string(b)
}

func TestCollectionRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
		want string
	}{
		{"empty", nil, `[]`},
		{"rows", []string{"a", "b\"c"}, `[["a",{"k":"a"}],["b\"c",{"k":"b\"c"}]]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := jswire.CollectionRows(func(fn func(string, value.Value) bool) {
				for _, k := range tc.keys {
					b, _ := json.Marshal(map[string]string{"k": k})
					if !fn(k, parse(t, string(b))) {
						return
					}
				}
			})
			assert.Equal(t, tc.want, string(got))
		})
	}
}

func TestTxInfo(t *testing.T) {
	muts := []db.Mutation{
		{Collection: "users", Key: "1", Type: db.Insert, Modified: parse(t, `{"id":"1"}`)},
		{Collection: "users", Key: "2", Type: db.Delete, Original: parse(t, `{"id":"2"}`)},
	}
	assert.Equal(t, `{"state":"pending","mutations":[]}`, string(jswire.TxInfo(db.TxState(0), nil)))
	assert.Equal(t, `{"state":"completed","mutations":[`+
		`{"type":"insert","collection":"users","key":"1","original":null,"modified":{"id":"1"}},`+
		`{"type":"delete","collection":"users","key":"2","original":{"id":"2"},"modified":null}]}`,
		string(jswire.TxInfo(db.TxState(2), muts)))
}

func TestProgressAndBatch(t *testing.T) {
	assert.Equal(t, `{"bytes":10,"events":2,"offset":"0_10","ready":true}`,
		string(jswire.Progress(db.Progress{Bytes: 10, Events: 2, Offset: "0_10", Ready: true})))
	assert.Equal(t, `{"offset":"0_5","upToDate":false,"items":[]}`,
		string(jswire.Batch(&stream.Batch{Offset: "0_5"})))
	assert.Equal(t, `{"offset":"0_9","upToDate":true,"items":[{"a":1},[2]]}`,
		string(jswire.Batch(&stream.Batch{Offset: "0_9", UpToDate: true, Items: [][]byte{[]byte(`{"a":1}`), []byte(`[2]`)}})))
}

// authorization returns a header with an Authorization field.
func authorization(v string) stream.Header {
	h := stream.Header{}
	h.Set("Authorization", v)
	return h
}

func TestParseOpenConfig(t *testing.T) {
	users := db.CollectionDef{Name: "users", Type: "user", PrimaryKey: "id"}
	for _, tc := range []struct {
		name    string
		text    string
		want    jswire.OpenConfig
		wantErr string
	}{
		{"defaults", `{"url":"http://x/s"}`, jswire.OpenConfig{URL: "http://x/s", Options: db.Options{Live: db.LiveLongPoll}}, ""},
		{"everything", `{"url":"u","headers":{"Authorization":"Bearer t","X-N":1},"live":"sse",` +
			`"collections":[{"name":"users","type":"user","primaryKey":"id"}],"maxTxIds":50}`,
			jswire.OpenConfig{URL: "u", Options: db.Options{
				ReadHeader: authorization("Bearer t"), Live: db.LiveSSE,
				Collections: []db.CollectionDef{users}, MaxTxIDs: 50}}, ""},
		{"live off", `{"url":"u","live":"off","maxTxIds":-1}`, jswire.OpenConfig{URL: "u", Options: db.Options{Live: db.LiveOff}}, ""},
		{"task budget", `{"url":"u","taskBudgetMs":12.5}`, jswire.OpenConfig{URL: "u", Options: db.Options{Budget: 12500 * time.Microsecond}}, ""},
		{"bad task budget", `{"url":"u","taskBudgetMs":-3}`, jswire.OpenConfig{URL: "u"}, ""},
		{"idle timeout", `{"url":"u","idleTimeoutMs":1500}`, jswire.OpenConfig{URL: "u", Options: db.Options{IdleTimeout: 1500 * time.Millisecond}}, ""},
		{"idle timeout off", `{"url":"u","idleTimeoutMs":0}`, jswire.OpenConfig{URL: "u", Options: db.Options{IdleTimeout: -1}}, ""},
		{"bad idle timeout", `{"url":"u","idleTimeoutMs":-5}`, jswire.OpenConfig{URL: "u"}, ""},
		{"max event bytes", `{"url":"u","maxEventBytes":4096}`, jswire.OpenConfig{URL: "u", Options: db.Options{MaxEventBytes: 4096}}, ""},
		{"params", `{"url":"u","params":{"tenant":"acme","n":1}}`, jswire.OpenConfig{URL: "u", Options: db.Options{ReadParams: map[string]string{"tenant": "acme"}}}, ""},
		{"retry", `{"url":"u","retry":{"maxRetries":3,"initialDelayMs":10}}`, jswire.OpenConfig{URL: "u", Options: db.Options{Retry: &stream.RetryPolicy{
			MaxRetries: 3, InitialDelay: 10 * time.Millisecond, MaxDelay: 30 * time.Second, Multiplier: 2}}}, ""},
		{"bad retry", `{"url":"u","retry":{"initialDelayMs":50,"maxDelayMs":10}}`, jswire.OpenConfig{}, "maxDelayMs"},
		{"fractional retries", `{"url":"u","retry":{"maxRetries":1.5}}`, jswire.OpenConfig{}, "maxRetries"},
		{"not JSON", `{`, jswire.OpenConfig{}, "config must be a JSON object"},
		{"not an object", `[]`, jswire.OpenConfig{}, "config must be a JSON object"},
		{"no url", `{"live":"sse"}`, jswire.OpenConfig{}, "config.url must be a non-empty string"},
		{"bad live", `{"url":"u","live":"yes"}`, jswire.OpenConfig{}, `config.live must be long-poll, sse, off or websocket, got "yes"`},
		{"websocket without url", `{"url":"u","live":"websocket"}`, jswire.OpenConfig{}, `live websocket needs config.websocket.url`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jswire.ParseOpenConfig(tc.text)
			if tc.wantErr != "" {
				var ae *jswire.ArgError
				require.ErrorAs(t, err, &ae)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.want.Options.ReadHeader != nil {
				assert.Equal(t, tc.want.Options.ReadHeader.Get("Authorization"), got.Options.ReadHeader.Get("Authorization"))
				assert.Empty(t, got.Options.ReadHeader.Get("X-N"), "a header that is not a string is ignored")
				got.Options.ReadHeader, tc.want.Options.ReadHeader = nil, nil
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseNames(t *testing.T) {
	for _, tc := range []struct {
		text    string
		want    []string
		wantErr bool
	}{
		{`[]`, nil, false},
		{`["users","messages"]`, []string{"users", "messages"}, false},
		{`["users",1,null]`, []string{"users"}, false},
		{`{"users":true}`, nil, true},
		{`nope`, nil, true},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got, err := jswire.ParseNames(tc.text)
			if tc.wantErr {
				var ae *jswire.ArgError
				assert.ErrorAs(t, err, &ae)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseStoredString(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
		wantErr          bool
	}{
		{name: "high surrogate", text: `"\ud800"`, want: "\xed\xa0\x80"},
		{name: "low surrogate", text: `"\udc00"`, want: "\xed\xb0\x80"},
		{name: "surrogate inside", text: `"a\ud800b"`, want: "a\xed\xa0\x80b"},
		{name: "two high surrogates", text: `"\ud800\ud800"`, want: "\xed\xa0\x80\xed\xa0\x80"},
		{name: "low before high", text: `"\udc00\ud800"`, want: "\xed\xb0\x80\xed\xa0\x80"},
		{name: "a pair beside a lone one", text: `"\ud83d\ude00\udfff"`, want: "\U0001F600\xed\xbf\xbf"},
		{name: "replacement character", text: `"\ufffd"`, want: "\ufffd"},
		{name: "raw text and escapes", text: `"é\"\\\n"`, want: "é\"\\\n"},
		{name: "empty", text: `""`, want: ""},
		{name: "not a string", text: `1`, wantErr: true},
		{name: "an array", text: `["a"]`, wantErr: true},
		{name: "unterminated", text: `"a`, wantErr: true},
		{name: "bytes after", text: `"a" `, wantErr: true},
		{name: "bad escape", text: `"\ud8"`, wantErr: true},
		{name: "nothing", text: ``, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jswire.ParseStoredString("key", tc.text)
			if tc.wantErr {
				var ae *jswire.ArgError
				require.ErrorAs(t, err, &ae)
				assert.Contains(t, ae.Msg, "key: ", "names the argument")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// A key sent as JSON text reaches the row stored under the same key, and
// no other.
func TestStoredStringFindsItsRow(t *testing.T) {
	d := offlineDB(t)
	rows := map[string]string{`"\ud800"`: "high", `"\udc00"`: "low", `"\ufffd"`: "replacement", `"a\ud800b"`: "inside"}
	tx := d.Begin(db.TxOptions{})
	for key, v := range rows {
		require.NoError(t, jswire.Mutate(tx, "insert", "users", "", fmt.Sprintf(`{"id":%s,"v":%q}`, key, v)))
	}
	c := d.Collection("users")
	require.Equal(t, len(rows), c.Size())
	for key, v := range rows {
		s, err := jswire.ParseStoredString("key", key)
		require.NoError(t, err)
		row, ok := c.Get(s)
		require.True(t, ok, key)
		got, _ := row.Get("v").Str()
		assert.Equal(t, v, got, key)
	}
}

// offline is a transport that never reaches a server: transactions need
// none.
var offline = stream.TransportFunc(func(context.Context, *stream.Request) (*stream.Response, error) {
	return nil, errors.New("offline")
})

// offlineDB opens a database of one collection, users, on a stream it
// never reads, closed after the test.
func offlineDB(t *testing.T) *db.DB {
	t.Helper()
	client, err := stream.NewClient(offline, stream.Options{})
	require.NoError(t, err)
	d, err := db.Open(client.Stream("http://offline/s"), db.Options{
		Live:        db.LiveOff,
		Collections: []db.CollectionDef{{Name: "users", Type: "user", PrimaryKey: "id"}},
	})
	require.NoError(t, err)
	t.Cleanup(d.Close)
	return d
}

func TestMutate(t *testing.T) {
	d := offlineDB(t)
	tx := d.Begin(db.TxOptions{})
	for _, tc := range []struct {
		name              string
		op, key, value    string
		wantArg, wantSent error
	}{
		{name: "insert", op: "insert", value: `{"id":"1","name":"a"}`},
		{name: "update", op: "update", key: "1", value: `{"name":"b"}`},
		{name: "insert of a key there", op: "insert", value: `{"id":"1"}`, wantSent: db.ErrDuplicateKey},
		{name: "update of a missing key", op: "update", key: "9", value: `{"name":"b"}`, wantSent: db.ErrKeyNotFound},
		{name: "value not JSON", op: "insert", value: `{`, wantArg: &jswire.ArgError{}},
		{name: "unknown operation", op: "upsert", value: `{}`, wantArg: &jswire.ArgError{}},
		{name: "delete", op: "delete", key: "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := jswire.Mutate(tx, tc.op, "users", tc.key, tc.value)
			switch {
			case tc.wantArg != nil:
				var ae *jswire.ArgError
				assert.ErrorAs(t, err, &ae)
			case tc.wantSent != nil:
				assert.ErrorIs(t, err, tc.wantSent)
			default:
				assert.NoError(t, err)
			}
		})
	}
	_, ok := d.Collection("users").Get("1")
	assert.False(t, ok, "inserted, updated, then deleted")
}

func TestShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want jswire.ErrorShape
	}{
		{"bad argument", fmt.Errorf("open: %w", &jswire.ArgError{Msg: "x"}), jswire.ErrorShape{TypeError: true}},
		{"stream", &stream.Error{Code: "NOT_FOUND", URL: "u", Offset: "0_1", Status: 404},
			jswire.ErrorShape{Name: "StreamError", Props: []jswire.Prop{{"code", "NOT_FOUND"}, {"status", 404}, {"url", "u"}, {"offset", "0_1"}}}},
		{"query", &ir.Error{Clause: "limit", Reason: "needs an orderBy"},
			jswire.ErrorShape{Name: "QueryCompileError", Props: []jswire.Prop{{"clause", "limit"}, {"reason", "needs an orderBy"}}}},
		{"event", &state.Error{Offset: "0_1", Type: "user", Key: "1", Op: "insert", TxID: "t", Reason: "no value"},
			jswire.ErrorShape{Name: "InvalidEventError", Props: []jswire.Prop{{"offset", "0_1"}, {"type", "user"}, {"key", "1"}, {"operation", "insert"}, {"txid", "t"}, {"reason", "no value"}}}},
		{"usage", &jswire.UsageError{Msg: "the StreamDB is closed"}, jswire.ErrorShape{Name: "StreamDBError", Props: []jswire.Prop{{"code", "USAGE"}}}},
		{"db sentinel, wrapped", fmt.Errorf("update users/9: %w", db.ErrKeyNotFound), jswire.ErrorShape{Name: "StreamDBError", Props: []jswire.Prop{{"code", "KEY_NOT_FOUND"}}}},
		{"closed", db.ErrClosed, jswire.ErrorShape{Name: "StreamDBError", Props: []jswire.Prop{{"code", "CLOSED"}}}},
		{"snapshot, wrapping the stream's failure", &snapshot.Error{Reason: snapshot.ReasonGone, Msg: "gone", Err: &stream.Error{Code: "NOT_FOUND", Status: 404}},
			jswire.ErrorShape{Name: "SnapshotError", Props: []jswire.Prop{{"code", "SNAPSHOT"}, {"reason", "stream-gone"}}}},
		{"anything else", errors.New("boom"), jswire.ErrorShape{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, jswire.Shape(tc.err))
		})
	}
}

func TestCollator(t *testing.T) {
	var made []string
	collator := jswire.Collator(func(locale, options string) (jswire.PageCollation, error) {
		made = append(made, locale+"|"+options)
		if locale == "bad" {
			return jswire.PageCollation{}, errors.New("RangeError: Incorrect locale information provided")
		}
		return jswire.PageCollation{Compare: func(a, b string) (int, error) {
			if a == "throw" || b == "throw" {
				return 0, errors.New("compare threw")
			}
			return strings.Compare(strings.ToLower(a), strings.ToLower(b)), nil
		}}, nil
	})
	coll, err := collator("de", parse(t, `{"sensitivity":"base"}`))
	require.NoError(t, err)
	assert.Nil(t, coll.Prepare, "no Place: nothing to prepare")
	c := coll.Compare
	assert.Equal(t, 0, c("A", "a"))
	assert.Equal(t, 0, c("x", "x"))
	assert.Equal(t, value.Lexical("throw", "a"), c("throw", "a"), "a failing compare falls back to code unit order")
	_, err = collator("de", parse(t, `{"sensitivity":"base"}`))
	require.NoError(t, err)
	_, err = collator("", value.Undefined())
	require.NoError(t, err)
	_, err = collator("bad", value.Null())
	assert.ErrorContains(t, err, `Intl.Collator("bad", )`)
	assert.Equal(t, []string{`de|{"sensitivity":"base"}`, "|", "bad|"}, made, "made once per locale and options")
}

// wireFormat returns the lines of a file from "// WIRE FORMAT" to
// "// (end of the wire format)".
func wireFormat(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(b)
	start := strings.Index(text, "// WIRE FORMAT")
	end := strings.Index(text, "// (end of the wire format)")
	require.True(t, start >= 0 && end > start, "%s has the wire format block", path)
	return text[start:end]
}

// The wire format is stated once, in this package's doc, and repeated word
// for word in the shim's file that reads it.
func TestHeaderMatchesShim(t *testing.T) {
	goSide := wireFormat(t, "doc.go")
	jsSide := wireFormat(t, "../../js/wire.js")
	assert.Equal(t, goSide, jsSide, "js/wire.js repeats core/jswire/doc.go's wire format")
}

// The header names every error code Shape can give.
func TestHeaderNamesEveryErrorCode(t *testing.T) {
	header := wireFormat(t, "doc.go")
	for _, err := range append(jswire.DBErrors(), &jswire.UsageError{}) {
		s := jswire.Shape(err)
		require.NotEmpty(t, s.Props, "%v has a code", err)
		assert.Contains(t, header, s.Name)
		assert.Contains(t, header, s.Props[0].Value, "the header names %v's code", err)
	}
}

// splitKeyText is the shim's reading of KEYTEXT (js/wire.js decodeKeys),
// in UTF-16 code units; a key in its JSON form comes back as that text.
func splitKeyText(t *testing.T, text string) []string {
	t.Helper()
	require.True(t, strings.HasPrefix(text, "\x00"), "KEYTEXT starts with a NUL")
	u := utf16.Encode([]rune(text))
	var keys []string
	for i := 1; i < len(u); {
		n := int(u[i])
		i++
		json := ""
		if n >= 0xFFFE {
			j := i
			for u[j] != ':' {
				j++
			}
			json = map[bool]string{true: "json:"}[n == 0xFFFE]
			n, _ = strconv.Atoi(string(utf16.Decode(u[i:j])))
			i = j + 1
		}
		keys = append(keys, json+string(utf16.Decode(u[i:i+n])))
		i += n
	}
	return keys
}

// QueryKeys' KEYTEXT holds every key whole, in order: a string key as
// itself, whatever its length and characters (astral ones count two code
// units), a key that is not a string or holds a lone surrogate as its KEY
// (JSON).
func TestQueryKeysText(t *testing.T) {
	long := strings.Repeat("é", 0xD800) + "x"
	keys := []value.Value{
		value.String(""), value.String("a"), value.String(`["m1","u1"]`), value.String("日本"), value.String("😀x"),
		value.String(strings.Repeat("k", 300)), value.String(long), value.String("\x00"), value.String("\uffff1:"), value.String("\ufffe2:"),
		value.MustParse(`"a\ud800b"`), value.Number(1), value.Number(math.NaN()), value.Undefined(), value.Null(), value.MustParse(`[1,"a"]`),
	}
	want := []string{"", "a", `["m1","u1"]`, "日本", "😀x", strings.Repeat("k", 300), long, "\x00", "\uffff1:", "\ufffe2:",
		`json:"a\ud800b"`, "json:1", `json:["NaN"]`, `json:["undefined"]`, "json:null", `json:[[1,"a"]]`}
	rows := func(fn func(k, v value.Value) bool) {
		for _, k := range keys {
			if !fn(k, value.Null()) {
				return
			}
		}
	}
	for _, size := range []int{0, 1, 100, 1 << 20} {
		var pieces []string
		jswire.QueryKeys(rows, &jswire.Pieces{Size: size, Emit: func(b []byte) { pieces = append(pieces, string(b)) }})
		assert.Equal(t, want, splitKeyText(t, strings.Join(pieces, "")), "pieces of %d bytes", size)
		for _, piece := range pieces {
			assert.True(t, utf8.ValidString(piece), "a piece is cut between characters")
		}
	}
}
