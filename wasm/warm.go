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

// warmUp (the package's warmUp()) runs the query engine on made-up rows so
// that the page's WebAssembly engine has compiled the engine's hot code
// with its optimizing compiler before the page's first queries need it: V8
// compiles a function on its first call with its baseline compiler and
// optimizes the functions that stay hot, so a first visit's first results
// would otherwise run on slow code. Nothing of the page's is read. It runs
// once per module.
//
// The package runs it in a Worker, on another instance of the same
// compiled module: V8 shares a module's compiled code between its
// instances, so what the worker's instance makes hot is optimized for the
// page's too, and the page's thread pays nothing. Where there is no
// Worker, warmUp() runs it on the page's thread, one query at a time with
// a turn of the event loop between them (about half a second in all).
// Each of warmQueries runs warmRounds times on collections filled
// directly, with its first result written for JS and two live changes. It
// returns what stopped it early (a query the engine refused): a warm-up
// that fails warms less, nothing else.
func (b *bridge) warmUp() error {
	users := collection.New("users", "user", "id")
	messages := collection.New("messages", "message", "id")
	// The rows are written as their JSON text, which is canonical: built
	// field by field (value.ObjectBuilder), they took twice the code.
	num := strconv.Itoa
	users.Begin()
	for i := range 100 {
		id := "u" + num(i)
		users.Put(id, value.Canonical(`{"id":"`+id+`","name":"user `+num(i*7919%100)+`","active":`+strconv.FormatBool(i%3 == 0)+`}`))
	}
	users.End(false)
	message := func(i int) (string, value.Value) {
		id := "m" + num(i)
		return id, value.Canonical(`{"id":"` + id + `","userId":"u` + num(i*31%100) + `","text":"message ` + num(i*104729%1000) + `","ts":` + num(i*7%1000) + `}`)
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
			return err
		}
		queries[i] = q
	}
	for round := range warmRounds {
		for _, q := range queries {
			if err := b.ctx.Err(); err != nil {
				return err
			}
			lq, err := query.Compile(q, query.Options{})
			if err != nil {
				return err
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
	return nil
}
