//go:build js && wasm

package main

import (
	"strconv"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/core/query"
	"github.com/streamdb/streamdb/core/value"
)

// warmRounds is how often warmUp runs each of its queries.
const warmRounds = 8

// warmQueries are the shapes warmUp runs: a filter, a join with a select, a
// group-by with aggregates, an orderBy with a limit on numbers and on
// strings, a left join, and distinct.
var warmQueries = []string{
	`{"from":{"alias":"u","collection":"users"},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["u","active"]},{"type":"val","value":true}]}]}`,
	`{"from":{"alias":"m","collection":"messages"},"join":[{"type":"inner","source":{"alias":"u","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["m","userId"]},{"type":"ref","path":["u","id"]}]}}],"select":[{"field":"text","expr":{"type":"ref","path":["m","text"]}},{"field":"userName","expr":{"type":"ref","path":["u","name"]}}]}`,
	`{"from":{"alias":"m","collection":"messages"},"groupBy":[{"type":"ref","path":["m","userId"]}],"select":[{"field":"userId","expr":{"type":"ref","path":["m","userId"]}},{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["m","id"]}]}},{"field":"s","expr":{"type":"agg","name":"sum","args":[{"type":"ref","path":["m","ts"]}]}}]}`,
	`{"from":{"alias":"m","collection":"messages"},"orderBy":[{"expr":{"type":"ref","path":["m","ts"]},"direction":"desc"}],"limit":50}`,
	`{"from":{"alias":"m","collection":"messages"},"orderBy":[{"expr":{"type":"ref","path":["m","text"]},"direction":"asc","stringSort":"lexical"}],"limit":20}`,
	`{"from":{"alias":"u","collection":"users"},"join":[{"type":"left","source":{"alias":"m","collection":"messages"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["u","id"]},{"type":"ref","path":["m","userId"]}]}}]}`,
	`{"from":{"alias":"m","collection":"messages"},"select":[{"field":"userId","expr":{"type":"ref","path":["m","userId"]}}],"distinct":true}`,
}

// warmUp (the package's warmUp()) runs the query engine on made-up rows,
// one query at a time with a turn of the page's event loop between them,
// so that the page's WebAssembly engine has compiled the engine's hot code
// with its optimizing compiler before the page's first query: V8 runs a
// function's first calls on baseline code and optimizes the functions that
// stay hot, and a page's first query would otherwise pay for that. It runs
// once per module, on made-up data (nothing of the page's is read), and
// costs about half a second of the main thread in slices of up to about
// 60 ms (the first ones, which compile), so a page calls it when it has
// time to spare: while it waits for the stream's first bytes.
func (b *bridge) warmUp() {
	users := collection.New("users", "user", "id")
	messages := collection.New("messages", "message", "id")
	var ob value.ObjectBuilder
	users.Begin()
	for i := range 100 {
		id := "u" + strconv.Itoa(i)
		ob.Add("id", value.String(id))
		ob.Add("name", value.String("user "+strconv.Itoa(i*7919%100)))
		ob.Add("active", value.Bool(i%3 == 0))
		users.Put(id, ob.Build())
	}
	users.End(false)
	message := func(i int) (string, value.Value) {
		id := "m" + strconv.Itoa(i)
		ob.Add("id", value.String(id))
		ob.Add("userId", value.String("u"+strconv.Itoa(i*31%100)))
		ob.Add("text", value.String("message "+strconv.Itoa(i*104729%1000)))
		ob.Add("ts", value.Number(float64(i*7%1000)))
		return id, ob.Build()
	}
	messages.Begin()
	for i := range 1000 {
		messages.Put(message(i))
	}
	messages.End(false)
	cols := map[string]*collection.Collection{"users": users, "messages": messages}
	read := func(name string, fn func(string, value.Value) bool) { cols[name].Range(fn) }
	queries := make([]*ir.Query, len(warmQueries))
	for i, text := range warmQueries {
		q, err := ir.Parse([]byte(text))
		if err != nil {
			return
		}
		queries[i] = q
	}
	for round := range warmRounds {
		for _, q := range queries {
			select {
			case <-b.ctx.Done():
				return
			default:
			}
			lq, err := query.Compile(q, query.Options{})
			if err != nil {
				return
			}
			lq.Load(read)
			jswire.QueryOpened(1, false, lq.Ordered(), false, lq.Range, &jswire.Pieces{Size: answerPiece, Emit: func([]byte) {}})
			// Live changes: an insert and a delete.
			id, v := message(1000 + round)
			gone := "m" + strconv.Itoa(round)
			old, _ := messages.Get(gone)
			lq.Apply("messages", []collection.Change{
				{Type: collection.Insert, Key: id, Value: v},
				{Type: collection.Delete, Key: gone, Value: old},
			})
			b.yieldToPage()
		}
	}
}
